package e2e

import (
	"strings"
	"testing"
)

// tabTo presses Tab (or Shift+Tab) until want holds for the focused element,
// checking before the first press too; at most max presses.
func tabTo(b *browser, page, key, what string, max int, want func(focusInfo) bool) {
	b.t.Helper()
	for i := 0; ; i++ {
		if want(b.focused(page)) {
			return
		}
		if i == max {
			b.t.Fatalf("%s: %s not reached with %d presses of %s (focus on %+v)", page, what, max, key, b.focused(page))
		}
		b.press(page, key)
	}
}

// focusRing is the focused element's computed outline.
func focusRing(b *browser, page string) string {
	b.t.Helper()
	var s string
	b.eval(page, `(() => { const c = getComputedStyle(document.activeElement); return c.outlineStyle + " " + c.outlineWidth; })()`, &s)
	return s
}

// A keyboard-only pass through the console: Tab, Shift+Tab and Enter (and
// the arrow keys in a select) accept an offer, send a message, suspend with a cause
// and resume; every panel control reached shows a visible focus ring.
func TestAgentConsoleKeyboard(t *testing.T) {
	p := startConsole(t)
	const a1 = "agent8"
	p.grant(p.agentJID(a1), "chat")
	c := availableConsole(t, p, a1, "available", "2")
	ring := func(what string) {
		t.Helper()
		if r := focusRing(c, a1); !strings.HasPrefix(r, "solid ") || r == "solid 0px" {
			t.Fatalf("%s has no visible focus ring: outline %q", what, r)
		}
	}

	v := p.visitor()
	s := offerTo(c, a1, p, v, "Ann", "Where is my parcel?")
	room := s.Get("room")

	// Accept.
	tabTo(c, a1, "Tab", "Accept", 120, func(f focusInfo) bool { return f.Tag == "button" && f.Name == "Accept" })
	ring("Accept")
	c.shot(a1, "console-16-keyboard-accept")
	c.press(a1, "Enter")
	v.expect("assigned", isEvent(room, "assigned"))
	c.waitFor(a1, `.parley-chat[data-room="`+room+`"]`, "Active")

	// A message, typed in Converse's box reached with Tab.
	tabTo(c, a1, "Tab", "the message box", 150, func(f focusInfo) bool { return f.Tag == "textarea" && !strings.HasPrefix(f.ID, "parley-") })
	c.typeText(a1, "converse-muc textarea.chat-textarea:focus", "Hi Ann, from the keyboard.")
	c.press(a1, "Enter")
	v.expect("the agent's line", isMsg(room+"/"+a1, "Hi Ann, from the keyboard."))

	// Suspend with the second cause, picked with the arrow keys.
	// (Converse's message box keeps Tab for nick completion: Shift+Tab leaves it.)
	tabTo(c, a1, "Shift+Tab", "the cause", 200, func(f focusInfo) bool { return f.ID == "parley-cause" })
	ring("the cause")
	var first, cause string
	c.eval(a1, `document.activeElement.value`, &first)
	c.press(a1, "ArrowDown")
	c.eval(a1, `document.activeElement.value`, &cause)
	if cause == first || cause == "" {
		t.Fatalf("ArrowDown did not change the cause: %q", cause)
	}
	tabTo(c, a1, "Tab", "Suspend", 5, func(f focusInfo) bool { return f.ID == "parley-suspend" })
	ring("Suspend")
	c.shot(a1, "console-17-keyboard-suspend")
	c.press(a1, "Enter")
	c.waitFor(a1, ".parley-chat", "Suspended ("+cause+")")
	eventually(t, "suspended with the cause", func() bool {
		r := p.session(s.Get("id"))
		return r.State == "suspended" && r.SuspendCause == cause
	})

	// Resume.
	tabTo(c, a1, "Tab", "Resume", 150, func(f focusInfo) bool { return f.ID == "parley-resume" })
	ring("Resume")
	c.press(a1, "Enter")
	c.waitFor(a1, ".parley-chat", "Active")
	eventually(t, "active again", func() bool { return p.session(s.Get("id")).State == "active" })
}
