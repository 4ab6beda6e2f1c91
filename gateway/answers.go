package gateway

import (
	"encoding/xml"
	"io"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmlstream"
	"mellium.im/xmpp/commands"
	"mellium.im/xmpp/disco"
	"mellium.im/xmpp/disco/info"
	"mellium.im/xmpp/disco/items"
	"mellium.im/xmpp/form"
)

// The rendering of the engine's typed answers (sessions.Payload) and of a
// room line's own element (muc.Element). Parley's elements come from package
// wire; disco#info and disco#items children from mellium's disco/info and
// disco/items; the command's actions and note from mellium's commands.
// Written here by hand, because mellium has no type for them: the <query/>
// and <command/> wrappers with a payload inside (mellium's wrap whole IQs),
// and XEP-0004 forms, since mellium's form.Data has no <reported/> and
// <item/> rows for result tables and orders attributes differently.

// element turns tokens into an element, giving children that inherit their
// parent's namespace that namespace, as a parse of the same text does.
func element(r xml.TokenReader) *xmpp.Element {
	el := written(r)
	if el != nil {
		inherit(el)
	}
	return el
}

// written turns tokens into an element as they are: children that inherit
// their parent's namespace stay unqualified, so they are written without a
// namespace declaration of their own (the console's elements are written so).
func written(r xml.TokenReader) *xmpp.Element {
	if r == nil {
		return nil
	}
	tok, err := r.Token()
	if err != nil {
		return nil
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return nil
	}
	el, err := xmpp.FromTokens(start, eofAfter(r))
	if err != nil {
		return nil
	}
	return el
}

// eofAfter delivers a token a reader returns together with io.EOF (as
// mellium's readers do) before the EOF.
func eofAfter(r xml.TokenReader) xml.TokenReader {
	var done bool
	return xmlstream.ReaderFunc(func() (xml.Token, error) {
		if done {
			return nil, io.EOF
		}
		tok, err := r.Token()
		if err == io.EOF && tok != nil {
			done = true
			return tok, nil
		}
		return tok, err
	})
}

func inherit(el *xmpp.Element) {
	for _, c := range el.Children {
		if c.Name.Space == "" {
			c.Name.Space = el.Name.Space
		}
		inherit(c)
	}
}

// roomElement renders a room line's own element (an event, a marker).
func roomElement(el muc.Element) *xmpp.Element { return element(wire.RoomElement(el)) }

// payloadEl renders a stanza's typed payload.
func payloadEl(p sessions.Payload) *xmpp.Element {
	switch v := p.(type) {
	case nil:
		return nil
	case *sessions.DiscoInfo:
		q := xmpp.New(disco.NSInfo, "query", "node", v.Node)
		q.Add(element(info.Identity{Category: v.Identity.Category, Type: v.Identity.Type, Name: v.Identity.Name}.TokenReader()))
		for _, f := range v.Features {
			q.Add(element(info.Feature{Var: f}.TokenReader()))
		}
		if v.Form != nil {
			q.Add(formEl(v.Form))
		}
		return q
	case *sessions.DiscoItems:
		q := xmpp.New(disco.NSItems, "query", "node", v.Node)
		for _, it := range v.Items {
			q.Add(element(items.Item{JID: it.JID, Node: it.Node, Name: it.Name}.TokenReader()))
		}
		if v.Page != nil {
			q.Add(rsmSet(v.Page.First, v.Page.Last, v.Page.Count))
		}
		return q
	case *sessions.CommandReply:
		c := xmpp.New(commands.NS, "command", "node", v.Node, "sessionid", v.SessionID, "status", v.Status)
		switch v.Status {
		case sessions.CmdExecuting:
			c.Add(element((commands.Complete | commands.Complete<<3).TokenReader()), formEl(v.Form))
		case sessions.CmdCompleted:
			if v.Form != nil {
				c.Add(formEl(v.Form))
			}
			c.Add(element(commands.Note{Type: commands.NoteInfo, Value: v.Note}.TokenReader()))
		}
		return c
	}
	return element(wire.Payload(p))
}

// formEl renders a XEP-0004 form by hand (see above).
func formEl(f *sessions.Form) *xmpp.Element {
	if f == nil {
		return nil
	}
	x := xmpp.New(form.NS, "x", "type", f.Type)
	if f.Title != "" {
		x.Add(xmpp.New(form.NS, "title").SetText(f.Title))
	}
	for _, fl := range f.Fields {
		x.Add(fieldEl(fl))
	}
	if len(f.Reported) > 0 {
		r := xmpp.New(form.NS, "reported")
		for _, fl := range f.Reported {
			r.Add(fieldEl(fl))
		}
		x.Add(r)
	}
	for _, row := range f.Items {
		it := xmpp.New(form.NS, "item")
		for _, fl := range row {
			it.Add(fieldEl(fl))
		}
		x.Add(it)
	}
	return x
}

func fieldEl(f sessions.Field) *xmpp.Element {
	el := xmpp.New(form.NS, "field", "var", f.Var, "type", f.Type, "label", f.Label)
	for _, o := range f.Options {
		el.Add(xmpp.New(form.NS, "option", "label", o.Label).Add(xmpp.New(form.NS, "value").SetText(o.Value)))
	}
	for _, v := range f.Values {
		el.Add(xmpp.New(form.NS, "value").SetText(v))
	}
	return el
}
