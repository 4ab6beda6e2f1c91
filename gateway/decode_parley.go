package gateway

import (
	"encoding/xml"
	"errors"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
	"github.com/parley-chat/parley/xmpp"
)

// decodeParley reads one of Parley's requests to the service or a room with
// package wire.
func decodeParley(c *xmpp.Element, iqType string) (sessions.Cmd, *muc.Error) {
	switch c.Name.Local {
	case "request":
		var r wire.Request
		if err := unmarshalWire(c, &r); err != nil {
			return nil, wireError(err)
		}
		return &sessions.RequestCmd{Queue: r.Queue, Token: r.Token, Probe: r.Probe, New: r.New, Visitor: r.Visitor, Body: r.Body}, nil
	case "reconnect":
		var r wire.Reconnect
		if err := unmarshalWire(c, &r); err != nil {
			return nil, wireError(err)
		}
		return &sessions.ReconnectCmd{Session: r.Session, Token: r.Token}, nil
	case "suspend":
		var s wire.Suspend
		if err := unmarshalWire(c, &s); err != nil {
			return nil, wireError(err)
		}
		return &sessions.SuspendCmd{Cause: s.Cause}, nil
	case "resume":
		return &sessions.ResumeCmd{}, nil
	case "close":
		return &sessions.CloseCmd{}, nil
	case "comment":
		var cm wire.Comment
		if err := unmarshalWire(c, &cm); err != nil {
			return nil, wireError(err)
		}
		return &sessions.CommentCmd{Text: cm.Text}, nil
	}
	var cn wire.Canned
	if err := unmarshalWire(c, &cn); err != nil {
		return nil, wireError(err)
	}
	if iqType == "set" && cn.ID == "" {
		return nil, muc.Errorf(muc.Modify, muc.BadRequest, "canned needs an id attribute")
	}
	return &sessions.CannedCmd{ID: cn.ID}, nil
}

// unmarshalWire decodes the element with its wire type.
func unmarshalWire(c *xmpp.Element, v xml.Unmarshaler) error {
	d := xml.NewTokenDecoder(eofAfter(c.TokenReader()))
	tok, err := d.Token()
	if err != nil {
		return err
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return errors.New("no element")
	}
	return v.UnmarshalXML(d, start)
}

// wireError is the answer to an element wire refused.
func wireError(err error) *muc.Error {
	var be *wire.BoolError
	if errors.As(err, &be) {
		return muc.Errorf(muc.Modify, muc.BadRequest, "%s must be true or false", be.Attr)
	}
	return muc.Errorf(muc.Modify, muc.BadRequest, "%v", err)
}
