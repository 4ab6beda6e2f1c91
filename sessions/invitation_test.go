package sessions

import (
	"fmt"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

// invitationStanza is how the tests count an invitation among the messages
// to an agent: a message from the room with the invitation's body. Its
// content is read from the typed Invitation (messagesTo); the rendering is
// gateway/invitation.go, which its golden test checks.
func invitationStanza(inv *Invitation) *Stanza {
	return &Stanza{Name: "message", From: inv.Room, To: inv.To, Body: inv.Body}
}

// Every invitation says in its body what to do, and carries a human reason.
func TestInvitationsSayWhatToDo(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _, out := w.newChat(ann, "Where is my parcel?")
	var offer *Invitation
	for _, o := range out.Out {
		if inv, ok := o.(*Invitation); ok && inv.Kind == InviteOffer {
			offer = inv
		}
	}
	if offer == nil {
		t.Fatalf("no offer in %+v", out.Out)
	}
	room := sid + "@" + service
	if offer.Room.String() != room || offer.Reason == "" || offer.Timeout != 30 {
		t.Errorf("offer %+v", offer)
	}
	want := fmt.Sprintf("To accept, join the room %s", room)
	if !strings.Contains(offer.Body, want) || !strings.Contains(offer.Body, "decline") {
		t.Errorf("offer body %q does not say how to accept and decline", offer.Body)
	}
}

// The sign-in address (a JID with a node part, for clients that refuse a
// contact without '@') answers presence exactly like the service's JID, from
// itself, and signs the agent in.
func TestSignInAddress(t *testing.T) {
	w := newWorld(t)
	addr := "agents@" + service
	out := w.eng.Process(w.now, []Input{&Presence{From: jid.MustParse(bareOf(alice)), To: jid.MustParse(addr), Type: "subscribe"}})
	var got []string
	help := false
	for _, o := range out.Out {
		s, ok := o.(*Stanza)
		if !ok {
			continue
		}
		if s.From.String() != addr {
			t.Errorf("%s from %s, want from %s", s.Name, s.From, addr)
		}
		if s.Name == "presence" {
			got = append(got, s.Type+">"+s.To.String())
		}
		if s.Name == "message" && strings.Contains(s.Body, "join the room to accept") {
			help = true
		}
	}
	if want := []string{"subscribed>" + bareOf(alice), "subscribe>" + bareOf(alice), ">" + bareOf(alice)}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("presences %v, want %v", got, want)
	}
	if !help {
		t.Error("no message tells the agent what happens next")
	}
	out = w.eng.Process(w.now, []Input{&Presence{From: jid.MustParse(eve), To: jid.MustParse(addr)}})
	if presenceErr(out, eve) != "forbidden" {
		t.Errorf("a non-holder's presence to the sign-in address: %+v", out.Out)
	}
	w.eng.Process(w.now, []Input{&Presence{From: jid.MustParse(alice), To: jid.MustParse(addr)}})
	if !w.eng.Router().Online(bareOf(alice)) {
		t.Fatal("directed presence to the sign-in address did not sign the agent in")
	}
	sid, _, out := w.newChat(ann, "Hello")
	if got := offers(out)[sid]; len(got) != 1 || got[0] != alice {
		t.Errorf("offered to %v, want %s", got, alice)
	}
}
