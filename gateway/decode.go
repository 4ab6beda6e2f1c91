package gateway

import (
	"encoding/xml"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmpp/jid"
)

// Namespaces the gateway reads.
const (
	nsStanzas    = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsChatStates = "http://jabber.org/protocol/chatstates"
	nsOOB        = "jabber:x:oob"
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
	nsDiscoItems = "http://jabber.org/protocol/disco#items"
	nsPing       = "urn:xmpp:ping"
	nsVersion    = "jabber:iq:version"
	nsMAM        = "urn:xmpp:mam:2"
	nsRSM        = "http://jabber.org/protocol/rsm"
	nsData       = "jabber:x:data"
	nsDelay      = "urn:xmpp:delay"
	nsSID        = "urn:xmpp:sid:0"
	nsCommands   = "http://jabber.org/protocol/commands"
)

// badRequest is a decoding failure to answer with <bad-request/>.
type badRequest struct{ text string }

func (b badRequest) Error() string { return b.text }

func addrs(el *xmpp.Element) (from, to jid.JID, err error) {
	from, err = jid.Parse(el.Get("from"))
	if err != nil {
		return from, to, badRequest{"malformed from address"}
	}
	to, err = jid.Parse(el.Get("to"))
	if err != nil {
		return from, to, badRequest{"malformed to address"}
	}
	return from, to, nil
}

func childText(el *xmpp.Element, local string) (string, bool) {
	for _, c := range el.Children {
		if c.Name.Local == local && (c.Name.Space == xmpp.NSComponent || c.Name.Space == "jabber:client" || c.Name.Space == "") {
			return c.Text, true
		}
	}
	return "", false
}

func decodePresence(el *xmpp.Element) (*sessions.Presence, error) {
	from, to, err := addrs(el)
	if err != nil {
		return nil, err
	}
	p := &sessions.Presence{From: from, To: to, ID: el.Get("id"), Type: el.Get("type"), History: muc.NoHistoryLimit}
	p.Show, _ = childText(el, "show")
	p.Status, _ = childText(el, "status")
	if a := el.Child(sessions.NS, "agent"); a != nil {
		var ap wire.AgentPresence
		if err := unmarshalWire(a, &ap); err != nil {
			return p, badRequest{err.Error() + " (use <show>dnd</show> to take no new chats)"}
		}
		p.MaxChats = ap.MaxChats
	}
	if x := el.Child(muc.NS, "x"); x != nil {
		p.MUC = true
		if h := x.Child(muc.NS, "history"); h != nil {
			p.History, err = decodeHistory(h)
			if err != nil {
				return p, err
			}
		}
	}
	p.Suspend = el.Child(sessions.NS, "suspend") != nil
	return p, nil
}

func decodeHistory(h *xmpp.Element) (muc.HistoryRequest, error) {
	r := muc.NoHistoryLimit
	num := func(name string) (int, error) {
		v := h.Get(name)
		if v == "" {
			return -1, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, badRequest{"history " + name + " must be a non-negative number"}
		}
		return n, nil
	}
	var err error
	if r.MaxChars, err = num("maxchars"); err != nil {
		return r, err
	}
	if r.MaxStanzas, err = num("maxstanzas"); err != nil {
		return r, err
	}
	if r.Seconds, err = num("seconds"); err != nil {
		return r, err
	}
	if s := h.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return r, badRequest{"history since must be an XEP-0082 date-time"}
		}
		r.Since = t
	}
	return r, nil
}

// kept reports whether a message child of that name is passed on to
// occupants and kept.
func kept(name xml.Name) bool {
	switch name.Space {
	case xmpp.NSComponent, "jabber:client", "":
		return false // body, subject, thread: carried apart
	case nsSID:
		return name.Local == "origin-id" // a stanza-id only the service may stamp
	case muc.NSUser, nsDelay, nsStanzas:
		return false // invitations, and what only the service may stamp
	case sessions.NS:
		return name.Local == "comment"
	}
	return true
}

func decodeMessage(el *xmpp.Element) (*sessions.Message, error) {
	from, to, err := addrs(el)
	if err != nil {
		return nil, err
	}
	m := &sessions.Message{From: from, To: to, ID: el.Get("id"), Type: el.Get("type")}
	if m.Type == "" {
		m.Type = "normal"
	}
	m.Body, _ = childText(el, "body")
	if s, ok := childText(el, "subject"); ok {
		m.Subject = &s
	}
	for _, c := range el.Children {
		if !kept(c.Name) {
			continue
		}
		switch {
		case c.Name.Space == nsOOB:
			if err := checkLink(c); err != nil {
				return m, err
			}
			m.OOB = true
		case c.Name.Space == nsChatStates:
			m.HasState = true
		case c.Name.Space == sessions.NS && c.Name.Local == "comment":
			m.Comment = true
		case c.Name.Space == nsSID && c.Name.Local == "origin-id":
			m.OriginID = c.Get("id")
		}
	}
	if m.Payload, err = relayed(el); err != nil {
		return m, badRequest{"the message's extensions could not be relayed"}
	}
	if x := el.Child(muc.NSUser, "x"); x != nil {
		for _, inv := range x.ChildrenNamed(muc.NSUser, "invite") {
			t, err := jid.Parse(inv.Get("to"))
			if err != nil || inv.Get("to") == "" {
				return m, badRequest{"an invitation needs a valid to address"}
			}
			r, _ := childText2(inv, "reason")
			m.Invites = append(m.Invites, sessions.Invite{To: t, Reason: r})
		}
		m.Decline = x.Child(muc.NSUser, "decline") != nil
	}
	return m, nil
}

func childText2(el *xmpp.Element, local string) (string, bool) {
	if c := el.Child("", local); c != nil {
		return c.Text, true
	}
	return "", false
}

// decodeIQ reads an IQ get/set into a command. An unknown payload is
// service-unavailable; a malformed one bad-request.
func decodeIQ(el *xmpp.Element) (*sessions.IQ, *muc.Error) {
	from, to, err := addrs(el)
	if err != nil {
		return nil, muc.Errorf(muc.Modify, muc.BadRequest, "%v", err)
	}
	q := &sessions.IQ{From: from, To: to, ID: el.Get("id"), Type: el.Get("type")}
	if len(el.Children) != 1 {
		return q, muc.Errorf(muc.Modify, muc.BadRequest, "an IQ %s carries exactly one child element", q.Type)
	}
	c := el.Children[0]
	switch c.Name.Space + " " + c.Name.Local {
	case sessions.NS + " request", sessions.NS + " reconnect", sessions.NS + " suspend", sessions.NS + " resume",
		sessions.NS + " close", sessions.NS + " comment", sessions.NS + " canned":
		cmd, err := decodeParley(c, q.Type)
		if err != nil {
			return q, err
		}
		q.Cmd = cmd
	case nsDiscoInfo + " query":
		q.Cmd = &sessions.DiscoInfoCmd{Node: c.Get("node")}
	case nsDiscoItems + " query":
		cmd := &sessions.DiscoItemsCmd{Node: c.Get("node")}
		if set := c.Child(nsRSM, "set"); set != nil {
			page, err := parsePage(set)
			if err != nil {
				return q, err
			}
			cmd.Page = page
		}
		q.Cmd = cmd
	case nsPing + " ping":
		q.Cmd = &sessions.PingCmd{}
	case nsMAM + " query":
		mq, err := parseMAM(c)
		if err != nil {
			return q, err
		}
		q.Cmd = &sessions.MAMCmd{Token: mq.token, Query: mq}
	case nsCommands + " command":
		cmd := &sessions.AdHocCmd{Node: c.Get("node"), Action: c.Get("action"), SessionID: c.Get("sessionid")}
		switch cmd.Action {
		case "", "execute", "complete", "next", "cancel":
		default:
			return q, muc.Errorf(muc.Modify, muc.BadRequest, "unknown action %q", cmd.Action)
		}
		if cmd.Node == "" {
			return q, muc.Errorf(muc.Modify, muc.BadRequest, "a command needs a node")
		}
		if x := c.Child(nsData, "x"); x != nil && x.Get("type") == "submit" {
			cmd.Form = map[string][]string{}
			for _, f := range x.ChildrenNamed(nsData, "field") {
				for _, v := range f.ChildrenNamed(nsData, "value") {
					cmd.Form[f.Get("var")] = append(cmd.Form[f.Get("var")], v.Text)
				}
				if _, ok := cmd.Form[f.Get("var")]; !ok {
					cmd.Form[f.Get("var")] = nil
				}
			}
		}
		q.Cmd = cmd
	case muc.NS + "#owner query":
		oc := &sessions.MUCOwnerCmd{}
		if d := c.Child(muc.NS+"#owner", "destroy"); d != nil {
			oc.Destroy = true
			if r := d.Child(muc.NS+"#owner", "reason"); r != nil {
				oc.Reason = r.Text
			}
		}
		q.Cmd = oc
	case muc.NS + "#admin query":
		q.Cmd = &sessions.MUCAdminCmd{}
	case sessions.NS + " availability":
		var a wire.Availability
		if err := unmarshalWire(c, &a); err != nil {
			return q, wireError(err)
		}
		q.Cmd = &sessions.AvailabilityCmd{Queue: a.Queue}
	case sessions.NS + " workspace":
		q.Cmd = &sessions.WorkspaceCmd{}
	case sessions.NS + " leave-message":
		r, err := decodeLeaveMessage(c)
		if err != nil {
			return q, err
		}
		q.Cmd = r
	case nsVersion + " query":
		q.Cmd = &sessions.VersionCmd{} // answered by the gateway itself
	default:
		return q, muc.Errorf(muc.Cancel, muc.ServiceUnavailable, "%s is not supported here", c.Name.Space)
	}
	return q, nil
}

// parsePage reads the XEP-0059 <set/> of a disco#items query: <max/> and
// <after/>. The service pages forwards only: <before/> (a page from the
// end) is refused as not implemented rather than answered with the wrong
// page.
func parsePage(set *xmpp.Element) (sessions.Page, *muc.Error) {
	p := sessions.Page{Asked: true}
	if mx := set.Child(nsRSM, "max"); mx != nil {
		n, err := strconv.Atoi(strings.TrimSpace(mx.Text))
		if err != nil || n < 0 {
			return p, muc.Errorf(muc.Modify, muc.BadRequest, "RSM max must be a non-negative number")
		}
		p.Max, p.CountOnly = n, n == 0
	}
	if a := set.Child(nsRSM, "after"); a != nil {
		p.After = a.Text
	}
	if set.Child(nsRSM, "before") != nil {
		return p, muc.Errorf(muc.Cancel, muc.FeatureNotImplemented, "this list pages forwards only: use <after/>")
	}
	return p, nil
}
