package sessions

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// A supervisor sees every live session: the service lists them a page at a
// time (ServicePageMax, XEP-0059), in disco#items and in the sessions
// command, so that no answer grows with the service's load past what the
// XMPP server lets a component send in one stanza.
func TestServiceListsArePaged(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.QueueLimit = 1000 })
	n := 2*ServicePageMax + ServicePageMax/2
	var ids []string
	for i := 0; i < n; i++ {
		sid, _, _ := w.newChat(fmt.Sprintf("v%d@guest.example.com/w", i), "Hello")
		ids = append(ids, sid)
	}
	slices.Sort(ids)
	disco := func(p Page) ([]string, *PageAnswer) {
		t.Helper()
		_, r := w.svc(sue, &DiscoItemsCmd{Page: p})
		items, ok := r.Payload.(*DiscoItems)
		if !ok {
			t.Fatalf("disco#items %+v: %+v", p, r)
		}
		got := []string{}
		for _, it := range items.Items {
			got = append(got, it.JID.Localpart())
		}
		return got, items.Page
	}
	// Each case is checked twice: the supervisor's answer (from the index
	// of live ids) and pageOf over the rule's whole list (how an agent's
	// page is made), which must agree.
	check := func(what string, p Page, want []string, wantPage *PageAnswer) {
		t.Helper()
		got, page := disco(p)
		viaList, listPage := pageOf(w.eng.knownSessions(bareOf(sue)), p)
		for _, r := range []struct {
			how  string
			ids  []string
			page *PageAnswer
		}{{"disco#items", got, page}, {"pageOf", viaList, listPage}} {
			if !slices.Equal(r.ids, want) {
				t.Errorf("%s, %s: %d rooms %v…, want %d from %v", what, r.how, len(r.ids), r.ids[:min(len(r.ids), 2)], len(want), want[:min(len(want), 2)])
			}
			if (r.page == nil) != (wantPage == nil) || r.page != nil && *r.page != *wantPage {
				t.Errorf("%s, %s: page %+v, want %+v", what, r.how, r.page, wantPage)
			}
		}
	}
	max := ServicePageMax
	check("no page asked", Page{}, ids[:max], &PageAnswer{ids[0], ids[max-1], n})
	check("the next page", Page{Asked: true, After: ids[max-1]}, ids[max:2*max], &PageAnswer{ids[max], ids[2*max-1], n})
	check("the last page", Page{Asked: true, After: ids[2*max-1]}, ids[2*max:], &PageAnswer{ids[2*max], ids[n-1], n})
	check("past the end", Page{Asked: true, After: ids[n-1]}, []string{}, &PageAnswer{Count: n})
	check("ten", Page{Asked: true, Max: 10, After: ids[5]}, ids[6:16], &PageAnswer{ids[6], ids[15], n})
	check("more than the service gives", Page{Asked: true, Max: 10 * max}, ids[:max], &PageAnswer{ids[0], ids[max-1], n})
	check("the count only", Page{Asked: true, CountOnly: true}, []string{}, &PageAnswer{Count: n})
	// After a room no longer listed (it ended): from the next one on.
	gone := ids[10][:len(ids[10])-1] + "~"
	check("after a room not listed", Page{Asked: true, Max: 3, After: gone}, ids[11:14], &PageAnswer{ids[11], ids[13], n})

	// A supervisor's pages come from the index of live ids: after sessions
	// end, they still list what the rule lists (mayKnow over every session).
	for i, v := range []int{3, 50, 120, 200, 249} {
		from := fmt.Sprintf("v%d@guest.example.com/w", v)
		var sid string
		for _, id := range ids {
			if w.record(id).VisitorJIDs[0] == from {
				sid = id
			}
		}
		if _, r := w.cmd(from, sid, &CloseCmd{}); errCond(r) != "" {
			t.Fatalf("close %d: %+v", i, r)
		}
	}
	live := w.eng.knownSessions(bareOf(sue))
	if len(live) != n-5 {
		t.Fatalf("%d live sessions after 5 closed, want %d", len(live), n-5)
	}
	var paged []string
	for after, pages := "", 0; ; pages++ {
		if pages > len(live)/ServicePageMax+1 {
			t.Fatalf("still paging after %d pages (after %q): a page does not move on", pages, after)
		}
		got, page := disco(Page{Asked: true, After: after})
		if page == nil || page.Count != len(live) {
			t.Fatalf("page after %q: %+v, want count %d", after, page, len(live))
		}
		if len(got) == 0 {
			break
		}
		paged, after = append(paged, got...), page.Last
	}
	if !slices.Equal(paged, live) {
		t.Errorf("paged through %d rooms, the rule lists %d", len(paged), len(live))
	}

	// A short list is whole, and says nothing of pages unless asked: an
	// agent who signs in is offered what it can take.
	w.signIn(alice)
	_, r := w.svc(alice, &DiscoItemsCmd{})
	if items := r.Payload.(*DiscoItems); items.Page != nil || len(items.Items) == 0 || len(items.Items) > w.cfg.DefaultCapacity {
		t.Errorf("an agent's offered rooms: %+v", items)
	}

	// The sessions command lists the first page and says how many there are.
	_, r = w.svc(sue, &AdHocCmd{Node: "sessions"})
	c := commandOf(r)
	if c.Form == nil || len(c.Form.Items) != max {
		t.Fatalf("sessions command: %+v", c)
	}
	if total := n - 5; !strings.Contains(c.Note, fmt.Sprintf("%d chat sessions, the first %d listed", total, max)) {
		t.Errorf("sessions command's note %q", c.Note)
	}
}
