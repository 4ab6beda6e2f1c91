package xmpptest

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testbed"
	pxmpp "github.com/parley-chat/parley/xmpp"
)

// recv starts c with a handler that hands every stanza to the channel it returns.
func recv(c *Conn) <-chan *pxmpp.Element {
	ch := make(chan *pxmpp.Element, 16)
	c.Start(func(el *pxmpp.Element) { ch <- el })
	return ch
}

func await(t *testing.T, ch <-chan *pxmpp.Element, what string, match func(*pxmpp.Element) bool) *pxmpp.Element {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case el := <-ch:
			if match(el) {
				return el
			}
		case <-timeout:
			t.Fatalf("no %s", what)
		}
	}
}

// Against the test bed's server: an agent (password) and a visitor
// (anonymous) log in and exchange a message; a component echoes one back;
// a wrong password is an error; Close ends the stream (Done).
func TestConnOnTheTestBed(t *testing.T) {
	env := testbed.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a, err := Login(ctx, env.C2SAddr, "agent1", env.AgentHost, env.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(time.Second)
	v, err := Login(ctx, env.C2SAddr, "", env.GuestHost, "")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(time.Second)
	if a.Name != "agent1" || v.Name != "visitor" || v.JID.Domain().String() != env.GuestHost || v.JID.Resourcepart() == "" {
		t.Errorf("logged in as %s (%s) and %s (%s)", a.Name, a.JID, v.Name, v.JID)
	}
	fromA, fromV := recv(a), recv(v)

	if err := a.SendBody(ctx, v.JID.String(), "chat", "hello & <welcome>"); err != nil {
		t.Fatal(err)
	}
	await(t, fromV, "the agent's message", func(e *pxmpp.Element) bool {
		return IsMessage(a.JID.String(), "hello & <welcome>")(e)
	})
	if err := v.SendXML(ctx, `<message xmlns='jabber:client' type='chat' to='%s'><body>%s</body></message>`, Escape(a.JID.String()), Escape("thanks 'a'")); err != nil {
		t.Fatal(err)
	}
	await(t, fromA, "the visitor's message", IsMessage(v.JID.String(), "thanks 'a'"))

	domain := testbed.Component(t, env)
	comp, err := Component(ctx, env.XMPPAddr, domain, env.Secret)
	if err != nil {
		t.Fatal(err)
	}
	comp.Start(func(el *pxmpp.Element) {
		if el.Name.Local == "message" && el.Get("type") != "error" {
			from, to := el.Get("from"), el.Get("to")
			el.Set("from", to).Set("to", from)
			_ = comp.Send(context.Background(), el.Strip("jabber:component:accept").TokenReader())
		}
	})
	if err := v.SendBody(ctx, domain, "chat", "echo me"); err != nil {
		t.Fatal(err)
	}
	await(t, fromV, "the echo", IsMessage(domain, "echo me"))
	comp.Close(3 * time.Second)
	select {
	case <-comp.Done():
	case <-time.After(5 * time.Second):
		t.Error("the component's stream did not end after Close")
	}

	if _, err := Login(ctx, env.C2SAddr, "agent2", env.AgentHost, env.Password+"-wrong"); err == nil {
		t.Error("a wrong password logged in")
	}
	if _, err := Component(ctx, env.XMPPAddr, testbed.Component(t, env), env.Secret+"-wrong"); err == nil {
		t.Error("a wrong component secret connected")
	}
}
