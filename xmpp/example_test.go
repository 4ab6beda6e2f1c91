package xmpp_test

import (
	"fmt"

	"github.com/parley-chat/parley/xmpp"
)

// Build an outgoing stanza: an empty namespace means "inherit", so the
// message and its body take the stream's namespace when written, while the
// extension elements declare their own.
func ExampleElement() {
	msg := xmpp.New("", "message",
		"from", "sid@chat.example.com",
		"to", "ann@guest.example.com/widget",
		"type", "groupchat",
		"id", "", // empty values are left out
	).Add(
		xmpp.New("", "body").SetText("Chat suspended by the agent"),
		xmpp.New("urn:parley:chat:0", "event", "type", "suspended", "by", "agent"),
	)
	fmt.Println(msg.String())
	fmt.Println(msg.Get("type"), msg.Child("urn:parley:chat:0", "event").Get("by"))
	// Output:
	// <message from="sid@chat.example.com" to="ann@guest.example.com/widget" type="groupchat"><body>Chat suspended by the agent</body><event xmlns="urn:parley:chat:0" type="suspended" by="agent"></event></message>
	// groupchat agent
}

// Parse a payload of sibling elements and read it: names carry their resolved
// namespaces.
func ExampleParse() {
	els, err := xmpp.Parse(`<active xmlns='http://jabber.org/protocol/chatstates'/>` +
		`<x xmlns='jabber:x:oob'><url>https://files.example.com/a.pdf</url></x>`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, el := range els {
		fmt.Printf("{%s}%s\n", el.Name.Space, el.Name.Local)
	}
	fmt.Println(els[1].Child("jabber:x:oob", "url").Text)
	// Output:
	// {http://jabber.org/protocol/chatstates}active
	// {jabber:x:oob}x
	// https://files.example.com/a.pdf
}
