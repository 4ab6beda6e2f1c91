package muc

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// t0 is the fixed "now" of every test; other instants are t0 plus a duration.
var t0 = time.Date(2025, time.March, 14, 9, 30, 0, 0, time.UTC)

var (
	roomJID    = jid.MustParse("s1@muc.test")
	agentDesk  = jid.MustParse("agent@corp.test/desk")
	agentPhone = jid.MustParse("agent@corp.test/phone")
	bossDesk   = jid.MustParse("boss@corp.test/desk")
	visTab1    = jid.MustParse("v-7f3a@guest.test/tab1")
	visTab2    = jid.MustParse("v-7f3a@guest.test/tab2")
	guestG     = jid.MustParse("guest@guest.test/g")
	watcherW   = jid.MustParse("watcher@guest.test/w")
	eve        = jid.MustParse("eve@evil.test/x")

	agentE   = Entry{Affiliation: AffOwner, Role: RoleModerator, Person: "agent@corp.test"}
	bossE    = Entry{Affiliation: AffAdmin, Role: RoleModerator, Person: "boss@corp.test"}
	visitorE = Entry{Affiliation: AffMember, Role: RoleParticipant, Person: "visitor"}
	guestE   = Entry{Affiliation: AffNone, Role: RoleParticipant, Person: "guest@guest.test"}
	silentE  = Entry{Affiliation: AffNone, Role: RoleVisitor, Person: "watcher@guest.test"}
)

// describe renders a stanza on one line so that whole sequences (recipients,
// order, items, codes) can be compared at once.
func describe(s Stanza) string {
	var b strings.Builder
	switch s := s.(type) {
	case *Presence:
		fmt.Fprintf(&b, "presence %s -> %s", s.From, s.To)
		if s.Type != "" {
			fmt.Fprintf(&b, " type=%s", s.Type)
		}
		fmt.Fprintf(&b, " item=%s/%s", s.Item.Affiliation, s.Item.Role)
		if s.Item.JID.String() != "" {
			fmt.Fprintf(&b, "/%s", s.Item.JID)
		}
		if len(s.Codes) > 0 {
			codes := make([]string, len(s.Codes))
			for i, c := range s.Codes {
				codes[i] = fmt.Sprint(c)
			}
			fmt.Fprintf(&b, " codes=%s", strings.Join(codes, ","))
		}
		if s.Show != "" {
			fmt.Fprintf(&b, " show=%s", s.Show)
		}
		if s.Status != "" {
			fmt.Fprintf(&b, " status=%q", s.Status)
		}
		if s.Destroyed {
			fmt.Fprintf(&b, " destroyed=%q", s.DestroyReason)
		}
	case *Message:
		fmt.Fprintf(&b, "message %s -> %s type=%s", s.From, s.To, s.Type)
		if s.ID != "" {
			fmt.Fprintf(&b, " id=%s", s.ID)
		}
		if s.Body != "" {
			fmt.Fprintf(&b, " body=%q", s.Body)
		}
		if s.Subject != nil {
			fmt.Fprintf(&b, " subject=%q", *s.Subject)
		}
		if s.Payload != "" {
			fmt.Fprintf(&b, " payload=%q", s.Payload)
		}
		if !s.Delay.IsZero() {
			fmt.Fprintf(&b, " delay=%s", s.Delay.Sub(t0))
		}
		if s.StanzaID != "" {
			fmt.Fprintf(&b, " sid=%s", s.StanzaID)
		}
	default:
		fmt.Fprintf(&b, "unexpected %T", s)
	}
	return b.String()
}

func describeAll(st []Stanza) []string {
	out := make([]string, len(st))
	for i, s := range st {
		out[i] = describe(s)
	}
	return out
}

func assertStanzas(t *testing.T, got []Stanza, want ...string) {
	t.Helper()
	g := describeAll(got)
	if len(want) == 0 {
		want = []string{}
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("stanzas:\n got:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
}

func assertErr(t *testing.T, err error, typ, cond string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error %s/%s", err, err, typ, cond)
	}
	if string(e.Type) != typ || string(e.Condition) != cond {
		t.Errorf("error = %s/%s, want %s/%s", e.Type, e.Condition, typ, cond)
	}
}

func join(t *testing.T, r *Room, full jid.JID, nick string, e Entry) []Stanza {
	t.Helper()
	st, err := r.Join(full, nick, e, PresenceInfo{}, NoHistoryLimit, t0)
	if err != nil {
		t.Fatalf("join %s as %s: %v", full, nick, err)
	}
	return st
}

func nicks(r *Room) []string {
	var out []string
	for _, o := range r.Occupants() {
		out = append(out, o.Nick)
	}
	return out
}

func jids(js ...jid.JID) []jid.JID { return js }

func sameJIDs(a, b []jid.JID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func TestNewRoomAddrAndSubject(t *testing.T) {
	r := NewRoom(jid.MustParse("s1@muc.test/ignored"), 10)
	if got := r.Addr().String(); got != "s1@muc.test" {
		t.Errorf("Addr = %q, want the bare s1@muc.test", got)
	}
	if r.Subject() != "" || !r.Empty() || r.Destroyed() {
		t.Errorf("new room: subject %q, empty %v, destroyed %v", r.Subject(), r.Empty(), r.Destroyed())
	}
	r.SetSubject("Billing question")
	if r.Subject() != "Billing question" {
		t.Errorf("Subject = %q", r.Subject())
	}
}

func TestJoinSequence(t *testing.T) {
	tests := []struct {
		name  string
		full  jid.JID
		nick  string
		entry Entry
		pres  PresenceInfo
		want  []string
	}{{
		name:  "participant sees no real JIDs of others",
		full:  guestG,
		nick:  "Guest",
		entry: guestE,
		pres:  PresenceInfo{Show: "chat", Status: "hi"},
		want: []string{
			"presence s1@muc.test/Agent -> guest@guest.test/g item=owner/moderator",
			"presence s1@muc.test/Visitor -> guest@guest.test/g item=member/participant",
			"presence s1@muc.test/Guest -> agent@corp.test/desk item=none/participant/guest@guest.test/g show=chat status=\"hi\"",
			"presence s1@muc.test/Guest -> v-7f3a@guest.test/tab1 item=none/participant show=chat status=\"hi\"",
			"presence s1@muc.test/Guest -> guest@guest.test/g item=none/participant/guest@guest.test/g codes=110,170 show=chat status=\"hi\"",
			"message s1@muc.test/Visitor -> guest@guest.test/g type=groupchat body=\"hello\" delay=2s sid=sid-1",
			"message s1@muc.test -> guest@guest.test/g type=groupchat subject=\"Billing question\"",
		},
	}, {
		name:  "moderator sees real JIDs and agents-only history",
		full:  bossDesk,
		nick:  "Boss",
		entry: bossE,
		want: []string{
			"presence s1@muc.test/Agent -> boss@corp.test/desk item=owner/moderator/agent@corp.test/desk",
			"presence s1@muc.test/Visitor -> boss@corp.test/desk item=member/participant/v-7f3a@guest.test/tab1",
			"presence s1@muc.test/Boss -> agent@corp.test/desk item=admin/moderator/boss@corp.test/desk",
			"presence s1@muc.test/Boss -> v-7f3a@guest.test/tab1 item=admin/moderator",
			"presence s1@muc.test/Boss -> boss@corp.test/desk item=admin/moderator/boss@corp.test/desk codes=110,170",
			"message s1@muc.test/Visitor -> boss@corp.test/desk type=groupchat body=\"hello\" delay=2s sid=sid-1",
			"message s1@muc.test/Agent -> boss@corp.test/desk type=groupchat body=\"internal\" delay=3s sid=sid-2",
			"message s1@muc.test -> boss@corp.test/desk type=groupchat subject=\"Billing question\"",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRoom(roomJID, 10)
			r.SetSubject("Billing question")
			join(t, r, agentDesk, "Agent", agentE)
			join(t, r, visTab1, "Visitor", visitorE)
			if _, err := r.Send(visTab1, "m1", Line{At: t0.Add(2 * time.Second), Body: "hello", StanzaID: "sid-1"}); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Send(agentDesk, "m2", Line{At: t0.Add(3 * time.Second), Body: "internal", StanzaID: "sid-2", AgentsOnly: true}); err != nil {
				t.Fatal(err)
			}
			st, err := r.Join(tc.full, tc.nick, tc.entry, tc.pres, NoHistoryLimit, t0.Add(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			assertStanzas(t, st, tc.want...)
			subj := st[len(st)-1].(*Message)
			if !subj.From.Equal(r.Addr()) || subj.Body != "" || subj.StanzaID != "" {
				t.Errorf("subject message from %s body %q sid %q, want from the bare room, no body, no id", subj.From, subj.Body, subj.StanzaID)
			}
			o, ok := r.Lookup(tc.full)
			if !ok || o.Nick != tc.nick || o.Person != tc.entry.Person || o.Role != tc.entry.Role ||
				o.Affiliation != tc.entry.Affiliation || o.Presence != tc.pres || !sameJIDs(o.JIDs, jids(tc.full)) {
				t.Errorf("Lookup(%s) = %+v, %v", tc.full, o, ok)
			}
		})
	}
}

func TestJoinFirstGetsEmptySubject(t *testing.T) {
	r := NewRoom(roomJID, 10)
	st := join(t, r, visTab1, "Visitor", visitorE)
	assertStanzas(t, st,
		"presence s1@muc.test/Visitor -> v-7f3a@guest.test/tab1 item=member/participant/v-7f3a@guest.test/tab1 codes=110,170",
		"message s1@muc.test -> v-7f3a@guest.test/tab1 type=groupchat subject=\"\"",
	)
	if m := st[1].(*Message); m.Subject == nil {
		t.Error("subject message without a subject: an empty <subject/> must still be sent")
	}
}

func TestJoinSameJIDAgainUpdatesPresenceOnly(t *testing.T) {
	r := NewRoom(roomJID, 10)
	r.SetSubject("s")
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)
	r.Record(Line{Nick: "Agent", At: t0, Body: "kept", StanzaID: "sid-1"})

	// Entry{} as the caller passes for an occupant already in: it is ignored.
	st, err := r.Join(visTab1, "Visitor", Entry{}, PresenceInfo{Show: "away"}, NoHistoryLimit, t0)
	if err != nil {
		t.Fatal(err)
	}
	assertStanzas(t, st,
		"presence s1@muc.test/Visitor -> agent@corp.test/desk item=member/participant/v-7f3a@guest.test/tab1 show=away",
		"presence s1@muc.test/Visitor -> v-7f3a@guest.test/tab1 item=member/participant/v-7f3a@guest.test/tab1 codes=110 show=away",
	)
	o, _ := r.ByNick("Visitor")
	if o.Affiliation != AffMember || o.Role != RoleParticipant || o.Person != "visitor" || len(o.JIDs) != 1 {
		t.Errorf("occupant after presence update = %+v", o)
	}
}

func TestJoinSharedNick(t *testing.T) {
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)

	st := join(t, r, visTab2, "Visitor", visitorE)
	assertStanzas(t, st,
		"presence s1@muc.test/Agent -> v-7f3a@guest.test/tab2 item=owner/moderator",
		"presence s1@muc.test/Visitor -> agent@corp.test/desk item=member/participant/v-7f3a@guest.test/tab2",
		"presence s1@muc.test/Visitor -> v-7f3a@guest.test/tab1 item=member/participant",
		"presence s1@muc.test/Visitor -> v-7f3a@guest.test/tab2 item=member/participant/v-7f3a@guest.test/tab2 codes=110,170",
		"message s1@muc.test -> v-7f3a@guest.test/tab2 type=groupchat subject=\"\"",
	)
	o, ok := r.ByNick("Visitor")
	if !ok || !sameJIDs(o.JIDs, jids(visTab1, visTab2)) {
		t.Fatalf("ByNick(Visitor) = %+v, %v; want JIDs tab1, tab2", o, ok)
	}
	if got := nicks(r); !reflect.DeepEqual(got, []string{"Agent", "Visitor"}) {
		t.Errorf("nicks = %v", got)
	}

	// Both windows receive broadcasts, and both may speak.
	st, err := r.Send(agentDesk, "a1", Line{At: t0, Body: "how can I help?", StanzaID: "sid-1"})
	if err != nil {
		t.Fatal(err)
	}
	assertStanzas(t, st,
		"message s1@muc.test/Agent -> v-7f3a@guest.test/tab1 type=groupchat id=a1 body=\"how can I help?\" sid=sid-1",
		"message s1@muc.test/Agent -> v-7f3a@guest.test/tab2 type=groupchat id=a1 body=\"how can I help?\" sid=sid-1",
		"message s1@muc.test/Agent -> agent@corp.test/desk type=groupchat id=a1 body=\"how can I help?\" sid=sid-1",
	)
	st, err = r.Send(visTab2, "v1", Line{At: t0, Body: "my bill", StanzaID: "sid-2"})
	if err != nil {
		t.Fatal(err)
	}
	assertStanzas(t, st,
		"message s1@muc.test/Visitor -> agent@corp.test/desk type=groupchat id=v1 body=\"my bill\" sid=sid-2",
		"message s1@muc.test/Visitor -> v-7f3a@guest.test/tab1 type=groupchat id=v1 body=\"my bill\" sid=sid-2",
		"message s1@muc.test/Visitor -> v-7f3a@guest.test/tab2 type=groupchat id=v1 body=\"my bill\" sid=sid-2",
	)
}

func TestJoinErrors(t *testing.T) {
	tests := []struct {
		name      string
		full      jid.JID
		nick      string
		entry     Entry
		typ, cond string
	}{
		{"another person takes a nick", eve, "Visitor", Entry{Affiliation: AffNone, Role: RoleParticipant, Person: "eve"}, "cancel", "conflict"},
		{"an agent takes the visitor's nick", agentPhone, "Visitor", agentE, "cancel", "conflict"},
		{"nick change by a joined JID", visTab1, "Visitor2", visitorE, "cancel", "not-acceptable"},
		{"nick change to a taken nick", visTab1, "Agent", visitorE, "cancel", "not-acceptable"},
		{"empty nick", guestG, "", guestE, "modify", "jid-malformed"},
		{"nick not UTF-8", guestG, "bad\xff", guestE, "modify", "jid-malformed"},
		{"nick longer than a resourcepart", guestG, strings.Repeat("n", 1024), guestE, "modify", "jid-malformed"},
		{"nick not in normal form", guestG, "Rene\u0301", guestE, "modify", "jid-malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRoom(roomJID, 10)
			join(t, r, agentDesk, "Agent", agentE)
			join(t, r, visTab1, "Visitor", visitorE)
			st, err := r.Join(tc.full, tc.nick, tc.entry, PresenceInfo{}, NoHistoryLimit, t0)
			assertErr(t, err, tc.typ, tc.cond)
			if st != nil {
				t.Errorf("stanzas with the error: %v", describeAll(st))
			}
			if got := nicks(r); !reflect.DeepEqual(got, []string{"Agent", "Visitor"}) {
				t.Errorf("nicks after refused join = %v", got)
			}
			if o, _ := r.ByNick("Visitor"); !sameJIDs(o.JIDs, jids(visTab1)) {
				t.Errorf("Visitor JIDs after refused join = %v", o.JIDs)
			}
			if !tc.full.Equal(visTab1) {
				if _, ok := r.Lookup(tc.full); ok {
					t.Errorf("%s is in the room after a refused join", tc.full)
				}
			}
		})
	}

	t.Run("a valid non-ASCII nick", func(t *testing.T) {
		r := NewRoom(roomJID, 10)
		st := join(t, r, guestG, "René", guestE)
		if got := st[0].(*Presence).From.String(); got != "s1@muc.test/René" {
			t.Errorf("from = %q", got)
		}
	})

	t.Run("destroyed room", func(t *testing.T) {
		r := NewRoom(roomJID, 10)
		join(t, r, visTab1, "Visitor", visitorE)
		r.Destroy("")
		st, err := r.Join(visTab1, "Visitor", visitorE, PresenceInfo{}, NoHistoryLimit, t0)
		assertErr(t, err, "cancel", "item-not-found")
		if st != nil || !r.Empty() {
			t.Errorf("join of a destroyed room: %v, empty %v", describeAll(st), r.Empty())
		}
	})
}

// historyLines is a window of five lines from an hour before t0 to a minute before.
func historyLines() []Line {
	return []Line{
		{Nick: "Visitor", At: t0.Add(-60 * time.Minute), Body: "a", StanzaID: "s1"},
		{Nick: "Agent", At: t0.Add(-30 * time.Minute), Body: "bb", StanzaID: "s2", AgentsOnly: true},
		{Nick: "Agent", At: t0.Add(-10 * time.Minute), Body: "ccc", StanzaID: "s3", Payload: "<x xmlns='urn:example'/>"},
		{Nick: "", At: t0.Add(-5 * time.Minute), Body: "dddd", StanzaID: "s4"},
		{Nick: "Visitor", At: t0.Add(-1 * time.Minute), Body: "eeeee", StanzaID: "s5"},
	}
}

// joinHistory joins a room holding historyLines with h and returns the
// history part, checking what comes before and after it.
func joinHistory(t *testing.T, e Entry, h HistoryRequest) []*Message {
	t.Helper()
	r := NewRoom(roomJID, 10)
	r.LoadHistory(historyLines())
	st, err := r.Join(guestG, "Newcomer", e, PresenceInfo{}, h, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) < 2 {
		t.Fatalf("join sent %v", describeAll(st))
	}
	if p, ok := st[0].(*Presence); !ok || len(p.Codes) == 0 || p.Codes[0] != StatusSelf {
		t.Errorf("first stanza %s, want the self-presence", describe(st[0]))
	}
	if m, ok := st[len(st)-1].(*Message); !ok || m.Subject == nil {
		t.Errorf("last stanza %s, want the subject", describe(st[len(st)-1]))
	}
	var out []*Message
	for _, s := range st[1 : len(st)-1] {
		m, ok := s.(*Message)
		if !ok || m.Delay.IsZero() || m.Subject != nil {
			t.Fatalf("%s between the self-presence and the subject is not history", describe(s))
		}
		out = append(out, m)
	}
	return out
}

func sids(ms []*Message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.StanzaID)
	}
	return out
}

func TestHistoryRequest(t *testing.T) {
	l := historyLines()
	bothNewest := approxSize(l[3]) + approxSize(l[4])
	limits := func(chars, stanzas, seconds int) HistoryRequest {
		return HistoryRequest{MaxChars: chars, MaxStanzas: stanzas, Seconds: seconds}
	}
	tests := []struct {
		name  string
		entry Entry
		h     HistoryRequest
		want  []string
	}{
		{"no limit, participant: no agents-only lines", guestE, NoHistoryLimit, []string{"s1", "s3", "s4", "s5"}},
		{"no limit, moderator: everything", bossE, NoHistoryLimit, []string{"s1", "s2", "s3", "s4", "s5"}},
		{"maxstanzas keeps the newest", guestE, limits(-1, 2, -1), []string{"s4", "s5"}},
		{"maxstanzas counts what the participant may see", guestE, limits(-1, 4, -1), []string{"s1", "s3", "s4", "s5"}},
		{"maxstanzas counts what the moderator may see", bossE, limits(-1, 4, -1), []string{"s2", "s3", "s4", "s5"}},
		{"maxstanzas larger than the window", bossE, limits(-1, 100, -1), []string{"s1", "s2", "s3", "s4", "s5"}},
		{"maxstanzas 0: none", bossE, limits(-1, 0, -1), []string{}},
		{"maxchars 0: none", bossE, limits(0, -1, -1), []string{}},
		{"zero HistoryRequest: none", bossE, HistoryRequest{}, []string{}},
		{"maxchars exactly two stanzas", guestE, limits(bothNewest, -1, -1), []string{"s4", "s5"}},
		{"maxchars one short of two", guestE, limits(bothNewest-1, -1, -1), []string{"s5"}},
		{"maxchars below the newest", guestE, limits(approxSize(l[4])-1, -1, -1), []string{}},
		{"seconds: the boundary instant is included", bossE, limits(-1, -1, 600), []string{"s3", "s4", "s5"}},
		{"seconds: one less", bossE, limits(-1, -1, 599), []string{"s4", "s5"}},
		{"seconds 0: none", bossE, limits(-1, -1, 0), []string{}},
		{"seconds beyond a Duration: everything", guestE, limits(-1, -1, math.MaxInt), []string{"s1", "s3", "s4", "s5"}},
		{"since: strictly after", bossE, HistoryRequest{MaxChars: -1, MaxStanzas: -1, Seconds: -1, Since: t0.Add(-10 * time.Minute)}, []string{"s4", "s5"}},
		{"since: earlier", bossE, HistoryRequest{MaxChars: -1, MaxStanzas: -1, Seconds: -1, Since: t0.Add(-11 * time.Minute)}, []string{"s3", "s4", "s5"}},
		{"since and maxstanzas", guestE, HistoryRequest{MaxChars: -1, MaxStanzas: 1, Seconds: -1, Since: t0.Add(-2 * time.Hour)}, []string{"s5"}},
		{"seconds and maxstanzas", bossE, limits(-1, 2, 3600), []string{"s4", "s5"}},
		{"seconds and since: the smaller set", bossE, HistoryRequest{MaxChars: -1, MaxStanzas: -1, Seconds: 2400, Since: t0.Add(-20 * time.Minute)}, []string{"s3", "s4", "s5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := sids(joinHistory(t, tc.entry, tc.h))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("history = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHistoryStanzas(t *testing.T) {
	ms := joinHistory(t, bossE, NoHistoryLimit)
	st := make([]Stanza, len(ms))
	for i, m := range ms {
		st[i] = m
	}
	assertStanzas(t, st,
		"message s1@muc.test/Visitor -> guest@guest.test/g type=groupchat body=\"a\" delay=-1h0m0s sid=s1",
		"message s1@muc.test/Agent -> guest@guest.test/g type=groupchat body=\"bb\" delay=-30m0s sid=s2",
		"message s1@muc.test/Agent -> guest@guest.test/g type=groupchat body=\"ccc\" payload=\"<x xmlns='urn:example'/>\" delay=-10m0s sid=s3",
		"message s1@muc.test -> guest@guest.test/g type=groupchat body=\"dddd\" delay=-5m0s sid=s4",
		"message s1@muc.test/Visitor -> guest@guest.test/g type=groupchat body=\"eeeee\" delay=-1m0s sid=s5",
	)
	if !ms[3].From.Equal(roomJID) {
		t.Errorf("a room line comes from %s, want the bare room", ms[3].From)
	}
}

func bodies(ls []Line) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.Body)
	}
	return out
}

func TestHistoryWindow(t *testing.T) {
	t.Run("Send keeps the newest historyLimit lines", func(t *testing.T) {
		r := NewRoom(roomJID, 3)
		join(t, r, visTab1, "Visitor", visitorE)
		for i := 1; i <= 5; i++ {
			if _, err := r.Send(visTab1, "", Line{At: t0.Add(time.Duration(i) * time.Second), Body: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
		if got := bodies(r.History()); !reflect.DeepEqual(got, []string{"3", "4", "5"}) {
			t.Errorf("window = %v", got)
		}
		st := join(t, r, agentDesk, "Agent", agentE)
		var hist []string
		for _, s := range st {
			if m, ok := s.(*Message); ok && m.Subject == nil {
				hist = append(hist, m.Body)
			}
		}
		if !reflect.DeepEqual(hist, []string{"3", "4", "5"}) {
			t.Errorf("history on join = %v", hist)
		}
	})
	t.Run("Record and Announce count too", func(t *testing.T) {
		r := NewRoom(roomJID, 2)
		r.Record(Line{Body: "r1"})
		r.Announce(Line{Body: "a1"})
		r.Record(Line{Body: "r2"})
		if got := bodies(r.History()); !reflect.DeepEqual(got, []string{"a1", "r2"}) {
			t.Errorf("window = %v", got)
		}
	})
	t.Run("LoadHistory replaces and trims", func(t *testing.T) {
		r := NewRoom(roomJID, 3)
		r.Record(Line{Body: "old"})
		r.LoadHistory(historyLines())
		if got := bodies(r.History()); !reflect.DeepEqual(got, []string{"ccc", "dddd", "eeeee"}) {
			t.Errorf("window = %v", got)
		}
		r.LoadHistory(nil)
		if got := r.History(); len(got) != 0 {
			t.Errorf("window after LoadHistory(nil) = %v", bodies(got))
		}
	})
	t.Run("limit 0 keeps nothing but still delivers", func(t *testing.T) {
		r := NewRoom(roomJID, 0)
		join(t, r, visTab1, "Visitor", visitorE)
		st, err := r.Send(visTab1, "", Line{Body: "x"})
		if err != nil || len(st) != 1 {
			t.Fatalf("Send = %v, %v", describeAll(st), err)
		}
		if got := r.History(); len(got) != 0 {
			t.Errorf("window = %v", bodies(got))
		}
	})
}

// sendRoom has Agent (two clients, moderator), Visitor (two windows,
// participant) and Watcher (a visitor, no voice).
func sendRoom(t *testing.T) *Room {
	t.Helper()
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, agentPhone, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)
	join(t, r, visTab2, "Visitor", visitorE)
	join(t, r, watcherW, "Watcher", silentE)
	return r
}

func TestSend(t *testing.T) {
	const chatState = "<active xmlns='http://jabber.org/protocol/chatstates'/>"
	tests := []struct {
		name      string
		from      jid.JID
		id        string
		line      Line
		typ, cond string // the error, if any
		want      []string
		wantNick  string // of the recorded line
	}{{
		name: "non-occupant", from: eve, line: Line{Body: "spam"},
		typ: "modify", cond: "not-acceptable",
	}, {
		name: "other resource of an occupant", from: jid.MustParse("agent@corp.test/tablet"), line: Line{Body: "hi"},
		typ: "modify", cond: "not-acceptable",
	}, {
		name: "visitor role has no voice", from: watcherW, line: Line{Body: "can I talk?"},
		typ: "auth", cond: "forbidden",
	}, {
		name: "participant: every JID of every occupant, the sender's own last", from: visTab2, id: "m-1",
		line:     Line{Nick: "Forged", At: t0, Body: "hello", StanzaID: "sid-9", Payload: chatState},
		wantNick: "Visitor",
		want: []string{
			"message s1@muc.test/Visitor -> agent@corp.test/desk type=groupchat id=m-1 body=\"hello\" payload=\"" + chatState + "\" sid=sid-9",
			"message s1@muc.test/Visitor -> agent@corp.test/phone type=groupchat id=m-1 body=\"hello\" payload=\"" + chatState + "\" sid=sid-9",
			"message s1@muc.test/Visitor -> watcher@guest.test/w type=groupchat id=m-1 body=\"hello\" payload=\"" + chatState + "\" sid=sid-9",
			"message s1@muc.test/Visitor -> v-7f3a@guest.test/tab1 type=groupchat id=m-1 body=\"hello\" payload=\"" + chatState + "\" sid=sid-9",
			"message s1@muc.test/Visitor -> v-7f3a@guest.test/tab2 type=groupchat id=m-1 body=\"hello\" payload=\"" + chatState + "\" sid=sid-9",
		},
	}, {
		name: "agents-only line reaches moderators only", from: agentPhone, id: "c-1",
		line:     Line{At: t0, Body: "VIP customer", StanzaID: "sid-10", AgentsOnly: true},
		wantNick: "Agent",
		want: []string{
			"message s1@muc.test/Agent -> agent@corp.test/desk type=groupchat id=c-1 body=\"VIP customer\" sid=sid-10",
			"message s1@muc.test/Agent -> agent@corp.test/phone type=groupchat id=c-1 body=\"VIP customer\" sid=sid-10",
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sendRoom(t)
			st, err := r.Send(tc.from, tc.id, tc.line)
			h := r.History()
			if tc.cond != "" {
				assertErr(t, err, tc.typ, tc.cond)
				if st != nil || len(h) != 0 {
					t.Errorf("refused message sent %v and recorded %v", describeAll(st), bodies(h))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertStanzas(t, st, tc.want...)
			want := tc.line
			want.Nick = tc.wantNick
			if len(h) != 1 || h[0] != want {
				t.Errorf("recorded %+v, want %+v", h, want)
			}
		})
	}
}

func TestAnnounceAndRecord(t *testing.T) {
	r := sendRoom(t)
	st := r.Announce(Line{Nick: "Agent", At: t0, Body: "Agent joined the chat", StanzaID: "sid-a"})
	assertStanzas(t, st,
		"message s1@muc.test -> agent@corp.test/desk type=groupchat body=\"Agent joined the chat\" sid=sid-a",
		"message s1@muc.test -> agent@corp.test/phone type=groupchat body=\"Agent joined the chat\" sid=sid-a",
		"message s1@muc.test -> v-7f3a@guest.test/tab1 type=groupchat body=\"Agent joined the chat\" sid=sid-a",
		"message s1@muc.test -> v-7f3a@guest.test/tab2 type=groupchat body=\"Agent joined the chat\" sid=sid-a",
		"message s1@muc.test -> watcher@guest.test/w type=groupchat body=\"Agent joined the chat\" sid=sid-a",
	)
	for _, s := range st {
		if m := s.(*Message); !m.From.Equal(r.Addr()) {
			t.Errorf("announcement from %s, want the bare room JID", m.From)
		}
	}
	st = r.Announce(Line{At: t0, Body: "SLA breached", AgentsOnly: true})
	assertStanzas(t, st,
		"message s1@muc.test -> agent@corp.test/desk type=groupchat body=\"SLA breached\"",
		"message s1@muc.test -> agent@corp.test/phone type=groupchat body=\"SLA breached\"",
	)

	r.Record(Line{Nick: "Visitor", At: t0.Add(time.Second), Body: "while away", StanzaID: "sid-r"})
	h := r.History()
	if len(h) != 3 || h[0].Nick != "" || h[1].Nick != "" || !h[1].AgentsOnly || h[2].Body != "while away" || h[2].Nick != "Visitor" {
		t.Errorf("history = %+v", h)
	}
	// A recorded line reaches a later joiner only.
	st = join(t, r, guestG, "Guest", guestE)
	var hist []string
	for _, s := range st {
		if m, ok := s.(*Message); ok && m.Subject == nil {
			hist = append(hist, describe(m))
		}
	}
	want := []string{
		"message s1@muc.test -> guest@guest.test/g type=groupchat body=\"Agent joined the chat\" delay=0s sid=sid-a",
		"message s1@muc.test/Visitor -> guest@guest.test/g type=groupchat body=\"while away\" delay=1s sid=sid-r",
	}
	if !reflect.DeepEqual(hist, want) {
		t.Errorf("history on join:\n got %q\nwant %q", hist, want)
	}
}

func TestLeave(t *testing.T) {
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)
	join(t, r, visTab2, "Visitor", visitorE)
	join(t, r, guestG, "Guest", guestE)

	// One of two windows: only it is told.
	st, was, last := r.Leave(visTab1, "closing tab")
	assertStanzas(t, st,
		"presence s1@muc.test/Visitor -> v-7f3a@guest.test/tab1 type=unavailable item=member/none/v-7f3a@guest.test/tab1 codes=110 status=\"closing tab\"",
	)
	if last || was.Nick != "Visitor" || was.Person != "visitor" {
		t.Errorf("Leave(tab1): was %+v, last %v", was, last)
	}
	if o, ok := r.ByNick("Visitor"); !ok || !sameJIDs(o.JIDs, jids(visTab2)) {
		t.Errorf("Visitor after tab1 left = %+v, %v", o, ok)
	}
	if _, ok := r.Lookup(visTab1); ok {
		t.Error("tab1 is still looked up after leaving")
	}
	if err := r.SelfPing(visTab1, "Visitor"); err == nil {
		t.Error("SelfPing of a JID that left succeeds")
	}

	// The last window: everyone is told, moderators with the real JID.
	st, was, last = r.Leave(visTab2, "bye")
	assertStanzas(t, st,
		"presence s1@muc.test/Visitor -> agent@corp.test/desk type=unavailable item=member/none/v-7f3a@guest.test/tab2 status=\"bye\"",
		"presence s1@muc.test/Visitor -> guest@guest.test/g type=unavailable item=member/none status=\"bye\"",
		"presence s1@muc.test/Visitor -> v-7f3a@guest.test/tab2 type=unavailable item=member/none/v-7f3a@guest.test/tab2 codes=110 status=\"bye\"",
	)
	if !last || was.Nick != "Visitor" || was.Person != "visitor" || was.Role != RoleParticipant || !sameJIDs(was.JIDs, jids(visTab2)) {
		t.Errorf("Leave(tab2): was %+v, last %v", was, last)
	}
	if _, ok := r.ByNick("Visitor"); ok || r.Present("visitor") {
		t.Error("Visitor is still in the room")
	}
	if got := nicks(r); !reflect.DeepEqual(got, []string{"Agent", "Guest"}) {
		t.Errorf("nicks = %v", got)
	}

	// Not joined (any more): nothing.
	for _, j := range []jid.JID{visTab2, eve} {
		st, was, last = r.Leave(j, "")
		if st != nil || was.Nick != "" || was.JIDs != nil || last {
			t.Errorf("Leave(%s) when not joined = %v, %+v, %v", j, describeAll(st), was, last)
		}
	}

	// The nick is free again for another person.
	if _, err := r.Join(eve, "Visitor", Entry{Role: RoleParticipant, Person: "eve"}, PresenceInfo{}, NoHistoryLimit, t0); err != nil {
		t.Errorf("joining a freed nick: %v", err)
	}
}

func TestSetPresence(t *testing.T) {
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)
	join(t, r, guestG, "Guest", guestE)

	p := PresenceInfo{Show: "away", Status: "brb"}
	st := r.SetPresence(visTab1, p)
	assertStanzas(t, st,
		"presence s1@muc.test/Visitor -> agent@corp.test/desk item=member/participant/v-7f3a@guest.test/tab1 show=away status=\"brb\"",
		"presence s1@muc.test/Visitor -> guest@guest.test/g item=member/participant show=away status=\"brb\"",
		"presence s1@muc.test/Visitor -> v-7f3a@guest.test/tab1 item=member/participant/v-7f3a@guest.test/tab1 codes=110 show=away status=\"brb\"",
	)
	if o, _ := r.ByNick("Visitor"); o.Presence != p {
		t.Errorf("Presence = %+v, want %+v", o.Presence, p)
	}
	// A later joiner sees the new availability.
	st = join(t, r, bossDesk, "Boss", bossE)
	if got, want := describe(st[2]), "presence s1@muc.test/Visitor -> boss@corp.test/desk item=member/participant/v-7f3a@guest.test/tab1 show=away status=\"brb\""; got != want {
		t.Errorf("Visitor to the joiner:\n got %s\nwant %s", got, want)
	}

	if st := r.SetPresence(eve, p); st != nil {
		t.Errorf("SetPresence of a non-occupant = %v", describeAll(st))
	}
}

func TestSelfPing(t *testing.T) {
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)
	tests := []struct {
		name   string
		full   jid.JID
		nick   string
		joined bool
	}{
		{"joined as that nick", visTab1, "Visitor", true},
		{"moderator joined as that nick", agentDesk, "Agent", true},
		{"joined under another nick", visTab1, "Agent", false},
		{"another window of the person, not joined", visTab2, "Visitor", false},
		{"stranger", eve, "Visitor", false},
		{"no nick", visTab1, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := r.SelfPing(tc.full, tc.nick)
			if tc.joined {
				if err != nil {
					t.Errorf("SelfPing = %v, want nil", err)
				}
				return
			}
			assertErr(t, err, "cancel", "not-acceptable")
		})
	}
}

func TestDestroy(t *testing.T) {
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, agentPhone, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)

	st := r.Destroy("the chat has ended")
	assertStanzas(t, st,
		"presence s1@muc.test/Agent -> agent@corp.test/desk type=unavailable item=none/none codes=110 destroyed=\"the chat has ended\"",
		"presence s1@muc.test/Agent -> agent@corp.test/phone type=unavailable item=none/none codes=110 destroyed=\"the chat has ended\"",
		"presence s1@muc.test/Visitor -> v-7f3a@guest.test/tab1 type=unavailable item=none/none codes=110 destroyed=\"the chat has ended\"",
	)
	if !r.Destroyed() || !r.Empty() || len(r.Occupants()) != 0 || r.Present("visitor") || r.Present("agent@corp.test") {
		t.Errorf("after Destroy: destroyed %v, empty %v, occupants %v", r.Destroyed(), r.Empty(), nicks(r))
	}
	if _, ok := r.Lookup(agentDesk); ok {
		t.Error("Lookup finds an occupant of a destroyed room")
	}
	if _, ok := r.ByNick("Visitor"); ok {
		t.Error("ByNick finds an occupant of a destroyed room")
	}
	_, err := r.Join(guestG, "Guest", guestE, PresenceInfo{}, NoHistoryLimit, t0)
	assertErr(t, err, "cancel", "item-not-found")
	_, err = r.Send(visTab1, "", Line{Body: "still there?"})
	assertErr(t, err, "modify", "not-acceptable")
	if st, _, _ := r.Leave(visTab1, ""); st != nil {
		t.Errorf("Leave after Destroy = %v", describeAll(st))
	}
	if st := r.SetPresence(visTab1, PresenceInfo{Show: "away"}); st != nil {
		t.Errorf("SetPresence after Destroy = %v", describeAll(st))
	}
	if st := r.Destroy("again"); len(st) != 0 || !r.Destroyed() {
		t.Errorf("second Destroy = %v", describeAll(st))
	}
}

func TestRemove(t *testing.T) {
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, agentPhone, "Agent", agentE)
	join(t, r, bossDesk, "Boss", bossE)
	join(t, r, visTab1, "Visitor", visitorE)

	st := r.Remove("agent@corp.test", "transferred to billing")
	assertStanzas(t, st,
		"presence s1@muc.test/Agent -> agent@corp.test/desk type=unavailable item=owner/none/agent@corp.test/desk codes=110 status=\"transferred to billing\"",
		"presence s1@muc.test/Agent -> boss@corp.test/desk type=unavailable item=owner/none/agent@corp.test/phone status=\"transferred to billing\"",
		"presence s1@muc.test/Agent -> v-7f3a@guest.test/tab1 type=unavailable item=owner/none status=\"transferred to billing\"",
		"presence s1@muc.test/Agent -> agent@corp.test/phone type=unavailable item=owner/none/agent@corp.test/phone codes=110 status=\"transferred to billing\"",
	)
	if r.Present("agent@corp.test") {
		t.Error("the agent is still present")
	}
	for _, j := range []jid.JID{agentDesk, agentPhone} {
		if _, ok := r.Lookup(j); ok {
			t.Errorf("%s still looked up", j)
		}
	}
	if got := nicks(r); !reflect.DeepEqual(got, []string{"Boss", "Visitor"}) {
		t.Errorf("nicks = %v", got)
	}
	if st := r.Remove("nobody", "x"); st != nil {
		t.Errorf("Remove of an absent person = %v", describeAll(st))
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, agentPhone, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)
	loaded := []Line{{Nick: "Visitor", At: t0, Body: "original", StanzaID: "s1"}}
	r.LoadHistory(loaded)

	occs := r.Occupants()
	if len(occs) != 2 || occs[0].Nick != "Agent" || occs[1].Nick != "Visitor" ||
		!sameJIDs(occs[0].JIDs, jids(agentDesk, agentPhone)) || occs[0].Role != RoleModerator || occs[0].Affiliation != AffOwner {
		t.Fatalf("Occupants = %+v", occs)
	}
	occs[0].JIDs[0] = eve
	occs[0].Nick, occs[0].Role, occs[0].Person = "X", RoleNone, "eve"
	if o, ok := r.Lookup(agentDesk); ok {
		o.JIDs[1] = eve
		o.Presence.Show = "dnd"
	} else {
		t.Fatal("Lookup(agentDesk) not found")
	}
	if o, ok := r.ByNick("Visitor"); ok {
		o.JIDs[0] = eve
		o.Affiliation = AffOwner
	} else {
		t.Fatal("ByNick(Visitor) not found")
	}
	h := r.History()
	h[0].Body = "changed"
	loaded[0].Body = "changed too"

	a, _ := r.ByNick("Agent")
	if a.Nick != "Agent" || a.Person != "agent@corp.test" || a.Role != RoleModerator || a.Presence.Show != "" ||
		!sameJIDs(a.JIDs, jids(agentDesk, agentPhone)) {
		t.Errorf("Agent after mutating copies = %+v", a)
	}
	v, _ := r.ByNick("Visitor")
	if v.Affiliation != AffMember || !sameJIDs(v.JIDs, jids(visTab1)) {
		t.Errorf("Visitor after mutating copies = %+v", v)
	}
	if _, ok := r.Lookup(eve); ok {
		t.Error("eve is looked up after mutating a copy")
	}
	if got := r.History(); len(got) != 1 || got[0].Body != "original" {
		t.Errorf("history after mutating copies = %+v", got)
	}
	if !r.Present("agent@corp.test") || r.Present("eve") || r.Present("") {
		t.Error("Present is wrong after mutating copies")
	}
	st, err := r.Send(visTab1, "", Line{Body: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, s := range st {
		to = append(to, s.(*Message).To.String())
	}
	if want := []string{"agent@corp.test/desk", "agent@corp.test/phone", "v-7f3a@guest.test/tab1"}; !reflect.DeepEqual(to, want) {
		t.Errorf("recipients after mutating copies = %v, want %v", to, want)
	}
	if _, ok := r.ByNick("nobody"); ok {
		t.Error("ByNick(nobody) found")
	}
}

func TestRelay(t *testing.T) {
	r := NewRoom(roomJID, 10)
	join(t, r, agentDesk, "Agent", agentE)
	join(t, r, visTab1, "Visitor", visitorE)
	join(t, r, visTab2, "Visitor", visitorE)
	const composing = "<composing xmlns='http://jabber.org/protocol/chatstates'/>"

	st, err := r.Relay(visTab1, "cs-1", composing)
	if err != nil {
		t.Fatal(err)
	}
	assertStanzas(t, st,
		"message s1@muc.test/Visitor -> agent@corp.test/desk type=groupchat id=cs-1 payload=\""+composing+"\"",
		"message s1@muc.test/Visitor -> v-7f3a@guest.test/tab2 type=groupchat id=cs-1 payload=\""+composing+"\"",
	)
	if h := r.History(); len(h) != 0 {
		t.Errorf("a relayed chat state was recorded: %+v", h)
	}
	st, err = r.Relay(eve, "cs-2", composing)
	assertErr(t, err, "modify", "not-acceptable")
	if st != nil {
		t.Errorf("relayed from a non-occupant: %v", describeAll(st))
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{AffNone.String(), "none"},
		{AffMember.String(), "member"},
		{AffAdmin.String(), "admin"},
		{AffOwner.String(), "owner"},
		{Affiliation(42).String(), "none"},
		{RoleNone.String(), "none"},
		{RoleVisitor.String(), "visitor"},
		{RoleParticipant.String(), "participant"},
		{RoleModerator.String(), "moderator"},
		{Role(-1).String(), "none"},
		{Errorf(Cancel, Conflict, "nick %q is in use", "Bob").Error(), `muc: conflict (cancel): nick "Bob" is in use`},
		{(&Error{Type: "auth", Condition: "forbidden"}).Error(), "muc: forbidden (auth)"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// Error is usable as an error and keeps its fields.
	var err error = Errorf(Modify, NotAcceptable, "")
	var e *Error
	if !errors.As(err, &e) || e.Type != "modify" || e.Condition != "not-acceptable" || e.Text != "" || err.Error() != "muc: not-acceptable (modify)" {
		t.Errorf("Errorf without text = %#v", err)
	}
}

// Join refuses such nicks, so only a line given to Record or LoadHistory can
// carry one: it is sent from the bare room JID rather than dropped.
func TestHistoryLineWithInvalidNick(t *testing.T) {
	r := NewRoom(roomJID, 10)
	r.Record(Line{Nick: "bad\xff", At: t0, Body: "x", StanzaID: "s1"})
	st := join(t, r, guestG, "Guest", guestE)
	if got, want := describe(st[1]), "message s1@muc.test -> guest@guest.test/g type=groupchat body=\"x\" delay=0s sid=s1"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestResyncReplaysJoinToThatJIDOnly(t *testing.T) {
	r := NewRoom(jid.MustParse("s@chat.example"), 10)
	a := jid.MustParse("agent@example/desk")
	v := jid.MustParse("v@guest/1")
	if _, err := r.Join(a, "Agent", Entry{AffOwner, RoleModerator, "agent@example"}, PresenceInfo{}, NoHistoryLimit, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Join(v, "Vi", Entry{AffMember, RoleParticipant, "visitor"}, PresenceInfo{}, NoHistoryLimit, t0); err != nil {
		t.Fatal(err)
	}
	r.Announce(Line{Body: "hello", At: t0, StanzaID: "1"})
	out := r.Resync(v, PresenceInfo{Show: "away"}, NoHistoryLimit, t0)
	if len(out) != 4 {
		t.Fatalf("want other's presence, self-presence, one history line, subject; got %d", len(out))
	}
	for _, s := range out {
		var to jid.JID
		switch x := s.(type) {
		case *Presence:
			to = x.To
		case *Message:
			to = x.To
		}
		if !to.Equal(v) {
			t.Fatalf("resync sent to %s", to)
		}
	}
	self := out[1].(*Presence)
	if self.From.String() != "s@chat.example/Vi" || len(self.Codes) == 0 || self.Codes[0] != StatusSelf || self.Show != "away" {
		t.Fatalf("self-presence: %+v", self)
	}
	if m := out[3].(*Message); m.Subject == nil {
		t.Fatalf("last is not the subject: %+v", m)
	}
	if out := r.Resync(jid.MustParse("x@y/z"), PresenceInfo{}, NoHistoryLimit, t0); out != nil {
		t.Fatalf("resync of a stranger: %v", out)
	}
}

// The window stays the last historyLimit lines however many pass through it
// (the slice is compacted in steps, not on every message).
func TestHistoryWindowAfterManyMessages(t *testing.T) {
	r := NewRoom(jid.MustParse("s@chat.example"), 3)
	for i := 0; i < 500; i++ {
		r.Announce(Line{Body: fmt.Sprint(i), At: t0})
	}
	var got []string
	for _, l := range r.History() {
		got = append(got, l.Body)
	}
	if strings.Join(got, ",") != "497,498,499" {
		t.Fatalf("window %v", got)
	}
	v := jid.MustParse("v@guest/1")
	out, err := r.Join(v, "V", Entry{AffMember, RoleParticipant, "visitor"}, PresenceInfo{}, NoHistoryLimit, t0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range out {
		if m, ok := s.(*Message); ok && m.Subject == nil {
			n++
		}
	}
	if n != 3 || len(r.history) > 2*3+64 {
		t.Fatalf("history on join %d lines, kept %d", n, len(r.history))
	}
}
