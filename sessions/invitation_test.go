package sessions

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// invitationStanza is how the tests read an invitation: as the message the
// gateway sends (mediated invitation, direct invitation, Parley's element),
// so that assertions written against payloads keep working. The real
// rendering is gateway/invitation.go; its golden test checks that one.
func invitationStanza(inv *Invitation) *Stanza {
	p := el("x", muc.NSUser, nil, el("invite", "", []string{"from", inv.Inviter.String()}, reasonOf(inv.Reason))) +
		el("x", "jabber:x:conference", []string{"jid", inv.Room.String(), "reason", inv.Reason}, "")
	switch inv.Kind {
	case InviteOffer:
		p += el("offer", NS, []string{"session", inv.Session, "timeout", itoa(inv.Timeout), "queue", inv.Queue}, "")
	case InviteConference, InviteTransfer:
		p += el("conference", NS, []string{"session", inv.Session, "from", inv.Inviter.String(), "mode", inv.Mode()}, "")
	}
	return &Stanza{Name: "message", From: inv.Room, To: inv.To, Body: inv.Body, Payload: rawXML(p)}
}

func reasonOf(r string) string {
	if r == "" {
		return ""
	}
	return el("reason", "", nil, text(r))
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
