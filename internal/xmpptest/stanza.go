package xmpptest

import (
	"encoding/xml"
	"strings"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/wire"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// Namespaces the predicates look into (Parley's own is wire.NS).
const (
	NSMUCUser = "http://jabber.org/protocol/muc#user"
	NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
)

// IsMessage matches a message from from ("" for anyone) whose body contains body.
func IsMessage(from, body string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		if e.Name.Local != "message" || (from != "" && e.Get("from") != from) {
			return false
		}
		b := e.Child("", "body")
		return b != nil && strings.Contains(b.Text, body)
	}
}

// IsEvent matches a Parley event of type typ in room, from the service's nick
// (muc.ServiceNick, docs/protocol.md).
func IsEvent(room, typ string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		if e.Name.Local != "message" || e.Get("from") != room+"/"+muc.ServiceNick {
			return false
		}
		ev := e.Child(wire.NS, "event")
		return ev != nil && ev.Get("type") == typ
	}
}

// IsPresence matches a presence of type typ ("" for available) from from.
func IsPresence(from, typ string) func(*pxmpp.Element) bool {
	return func(e *pxmpp.Element) bool {
		return e.Name.Local == "presence" && e.Get("from") == from && e.Get("type") == typ
	}
}

// HasStatus says whether e carries MUC status code (XEP-0045 <status/>).
func HasStatus(e *pxmpp.Element, code string) bool {
	x := e.Child(NSMUCUser, "x")
	if x == nil {
		return false
	}
	for _, s := range x.ChildrenNamed("", "status") {
		if s.Get("code") == code {
			return true
		}
	}
	return false
}

// ErrorCondition is the defined condition of e's <error/> ("" when none).
func ErrorCondition(e *pxmpp.Element) string {
	er := e.Child("", "error")
	if er == nil {
		return ""
	}
	for _, c := range er.Children {
		if c.Name.Space == NSStanzas && c.Name.Local != "text" {
			return c.Name.Local
		}
	}
	return ""
}

// ErrorText is the <text/> of e's <error/> ("" when none).
func ErrorText(e *pxmpp.Element) string {
	if er := e.Child("", "error"); er != nil {
		if t := er.Child(NSStanzas, "text"); t != nil {
			return t.Text
		}
	}
	return ""
}

// DescribeError names e's error condition, with its text in parentheses; for
// a stanza without <error/>, its type.
func DescribeError(e *pxmpp.Element) string {
	if e.Child("", "error") == nil {
		return "type " + e.Get("type")
	}
	cond, text := ErrorCondition(e), ErrorText(e)
	if text != "" {
		return cond + " (" + text + ")"
	}
	return cond
}

// Escape escapes s for an attribute value or text in a stanza written as XML
// text (single quotes included).
func Escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), "'", "&#39;")
}
