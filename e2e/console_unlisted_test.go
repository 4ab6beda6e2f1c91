package e2e

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// An agent holding more sessions than its workspace lists (--workspace-max)
// sees in its console the ones it must act on and the most recently
// suspended, and a note of how many are left out; when it closes one, the
// next comes back into the list. A visitor's long question is shown clipped
// on the offer card (the room's details give it whole).
func TestAgentConsoleUnlistedSessions(t *testing.T) {
	p := startConsole(t, "--workspace-max", "2")
	const a1 = "agent3"
	p.grant(p.agentJID(a1), "chat")
	c := availableConsole(t, p, a1, "available", "3")

	suspend := func(room string) {
		t.Helper()
		c.click(a1, `.parley-chat[data-room="`+room+`"] .parley-open`)
		c.click(a1, "#parley-suspend")
		eventually(t, "the session suspended", func() bool { return p.session(sessionOfRoom(room)).State == "suspended" })
		c.waitFor(a1, `.parley-chat[data-room="`+room+`"]`, "Suspended")
	}
	// Cy, then Di, taken and suspended in turn (Cy is the one suspended
	// longest), then Ed taken.
	long := strings.Repeat("Where is my parcel? ", 40) // 800 bytes
	var rooms []string
	for i, nick := range []string{"Cy", "Di", "Ed"} {
		v := p.visitor()
		question := "Question from " + nick
		if i == 0 {
			question = long
		}
		s := offerTo(c, a1, p, v, nick, question)
		if i == 0 {
			var shown string
			c.eval(a1, `[...document.querySelectorAll(".parley-offer dd")].map((d) => d.textContent).find((t) => t.startsWith("Where is my parcel?")) || ""`, &shown)
			if len(shown) >= len(long) || len(shown) < 200 || !strings.HasSuffix(shown, "…") || !utf8.ValidString(shown) {
				t.Fatalf("the offer card shows the question as %d bytes %q, want it clipped and marked", len(shown), shown)
			}
			c.shot(a1, "console-unlisted-0-clipped-offer")
		}
		acceptOffer(c, a1, v, s.Get("room"))
		rooms = append(rooms, s.Get("room"))
		c.waitFor(a1, `.parley-chat[data-room="`+s.Get("room")+`"]`, nick)
		if i < 2 {
			suspend(s.Get("room"))
		}
	}

	// Ed (active) and Di (suspended last) are listed; Cy is counted.
	c.waitFor(a1, ".parley-unlisted", "1 more suspended chat is not listed")
	c.waitFor(a1, `.parley-chat[data-room="`+rooms[1]+`"]`, "Suspended")
	c.waitFor(a1, `.parley-chat[data-room="`+rooms[2]+`"]`, "Active")
	c.waitGone(a1, `.parley-chat[data-room="`+rooms[0]+`"]`, "")
	c.shot(a1, "console-unlisted-1-note")

	// Ed closed: Cy is listed again and the note goes.
	c.click(a1, `.parley-chat[data-room="`+rooms[2]+`"] .parley-open`)
	c.click(a1, "#parley-close")
	c.click(a1, `converse-confirm-modal.show button[type=submit]`)
	c.waitFor(a1, `.parley-chat[data-room="`+rooms[0]+`"]`, "Suspended")
	c.waitGone(a1, ".parley-unlisted", "")
	c.shot(a1, "console-unlisted-2-all-listed")
}

// sessionOfRoom is the session id of a room JID (its localpart).
func sessionOfRoom(room string) string {
	id, _, _ := strings.Cut(room, "@")
	return id
}
