package sessions

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// A request answers <session/> with a new token, writes the token, the
// session and the question, and announces the queue position.
func TestRequestAnswersSessionAndWritesRows(t *testing.T) {
	w := newWorld(t)
	out, r := w.request(ann, RequestCmd{Queue: "support", Body: "My order did not arrive",
		Visitor: map[string]string{"name": "Ann", "email": "ann@example.org", "page": "https://shop.example/cart"}})
	s := resultSession(t, r)
	sid, token := s["id"], s["token"]

	if r.To.String() != ann || r.From.String() != service {
		t.Errorf("result from %s to %s, want from %s to %s", r.From, r.To, service, ann)
	}
	if !regexp.MustCompile(`^[a-z2-7]{26,}$`).MatchString(sid) {
		t.Errorf("session id %q is not lowercase base32 of at least 128 bits", sid)
	}
	if s["room"] != sid+"@"+service || s["state"] != "queued" || s["started"] != "2026-11-24T10:00:00Z" {
		t.Errorf("session attributes %v", s)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 16 {
		t.Fatalf("token %q is not at least 128 random bits (%v)", token, err)
	}
	hash, _ := HashToken(token)
	if len(out.Batch.Tokens) != 1 || !bytes.Equal(out.Batch.Tokens[0].Hash, hash) {
		t.Errorf("token rows %+v, want one with the token's hash", out.Batch.Tokens)
	}
	if bytes.Contains(out.Batch.Tokens[0].Hash, []byte(token)) {
		t.Error("the token itself is stored")
	}
	if len(out.Batch.Sessions) != 1 {
		t.Fatalf("%d session rows, want 1", len(out.Batch.Sessions))
	}
	rec := out.Batch.Sessions[0]
	if rec.ID != sid || rec.State != StateQueued || rec.Queue != "support" || rec.Owner != "" ||
		!bytes.Equal(rec.TokenHash, hash) || rec.Question != "My order did not arrive" ||
		!equal(rec.VisitorJIDs, []string{ann}) || rec.Visitor["email"] != "ann@example.org" || !rec.CreatedAt.Equal(t0) {
		t.Errorf("session row %+v", rec)
	}
	tr := out.Batch.Transcript
	if len(tr) != 2 {
		t.Fatalf("transcript %+v, want the question and the queued event", tr)
	}
	if q := tr[0]; q.Seq != 1 || q.Kind != "message" || q.AuthorRole != "visitor" || q.AuthorJID != ann ||
		q.Body != "My order did not arrive" || q.Nick != "Ann" {
		t.Errorf("first entry %+v, want the question from the visitor", q)
	}
	if ev := eventOf(t, out, sid, "queued"); ev.Position != "1" || ev.State != "queued" || ev.By != "system" {
		t.Errorf("queued event %+v", ev)
	}
	if len(offers(out)) != 0 {
		t.Errorf("offers %v with nobody signed in", offers(out))
	}
}

// The visitor waits in the room: joining gives the transcript so far.
func TestVisitorJoinGetsQuestionAndPosition(t *testing.T) {
	w := newWorld(t)
	sid, _, _ := w.newChat(ann, "Hello?")
	out := w.join(ann, sid, "Ann")
	if got := bodies(history(out, ann)); !equal(got, []string{"Hello?", "You are number 1 in the queue"}) {
		t.Errorf("history %q", got)
	}
	self := presencesTo(out, ann)
	if len(self) != 1 || self[0].Item.Affiliation != muc.AffMember || self[0].Item.Role != muc.RoleParticipant {
		t.Errorf("visitor's own presence %+v, want member/participant", self)
	}
}

func TestRequestRejectsBadInput(t *testing.T) {
	long := string(make([]byte, 1001))
	cases := []struct {
		name string
		cmd  RequestCmd
		typ  string
		want string
	}{
		{"body too long", RequestCmd{Body: long}, "set", "bad-request"},
		{"body not UTF-8", RequestCmd{Body: "\xff\xfe"}, "set", "bad-request"},
		{"field too long", RequestCmd{Visitor: map[string]string{"name": string(make([]byte, 201))}}, "set", "bad-request"},
		{"too many fields", RequestCmd{Visitor: map[string]string{"a": "", "b": "", "c": "", "d": "", "e": "", "f": "", "g": "", "h": "", "i": "", "j": "", "k": ""}}, "set", "bad-request"},
		{"unknown queue", RequestCmd{Queue: "nope"}, "set", "item-not-found"},
		{"IQ get", RequestCmd{}, "get", "bad-request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			if c.cmd.Visitor == nil {
				c.cmd.Visitor = map[string]string{}
			}
			out, r := w.iq(ann, jid.MustParse(service), c.typ, &c.cmd)
			if errCond(r) != c.want {
				t.Errorf("answer %+v, want %s", r, c.want)
			}
			if !out.Batch.Empty() {
				t.Errorf("a refused request wrote %+v", out.Batch)
			}
		})
	}
}

func TestQueueFullIsResourceConstraint(t *testing.T) {
	w := newWorld(t, func(c *Config) { c.QueueLimit = 1 })
	w.newChat(ann, "first")
	_, r := w.request(annLater, RequestCmd{Queue: "support"})
	if errCond(r) != "resource-constraint" || r.Err.Type != "wait" {
		t.Errorf("answer %+v, want resource-constraint (wait)", r)
	}
}

// Requests go to the signed-in chat holder idle longest, below capacity and
// not away, at the full JIDs it signed in from.
func TestOfferGoesToLongestIdleAgent(t *testing.T) {
	const alicePhone = "alice@example.com/phone"
	cases := []struct {
		name  string
		setup func(w *world)
		want  []string
	}{
		{"the only agent", func(w *world) { w.signIn(alice) }, []string{alice}},
		{"alice idle longer", func(w *world) { w.signIn(alice); w.advance(time.Second); w.signIn(bob) }, []string{alice}},
		{"bob idle longer", func(w *world) { w.signIn(bob); w.advance(time.Second); w.signIn(alice) }, []string{bob}},
		{"show chat counts as available", func(w *world) { w.presence(bob, "", "chat", 0); w.advance(time.Second); w.signIn(alice) }, []string{bob}},
		{"away agent gets none", func(w *world) {
			w.signIn(alice)
			w.advance(time.Second)
			w.signIn(bob)
			w.presence(alice, "", "away", 0)
		}, []string{bob}},
		{"dnd agent gets none", func(w *world) { w.presence(alice, "", "dnd", 0) }, nil},
		{"agent at capacity gets none", func(w *world) {
			w.presence(alice, "", "", 1)
			other, _, _ := w.newChat("b1@guest.example.com/w", "first")
			w.join(alice, other, "Alice")
			w.advance(time.Second)
			w.signIn(bob)
		}, []string{bob}},
		{"every signed-in resource", func(w *world) { w.signIn(alice); w.signIn(alicePhone) }, []string{alice, alicePhone}},
		{"signed out", func(w *world) { w.signIn(alice); w.signOut(alice) }, nil},
		{"nobody", func(w *world) {}, nil},
		{"no chat permission", func(w *world) { w.signIn(eve); w.signIn(sue) }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			c.setup(w)
			w.advance(time.Second)
			sid, _, out := w.newChat(ann, "Where is my parcel?")
			got := offers(out)[sid]
			if !equal(got, c.want) {
				t.Errorf("offered to %v, want %v", got, c.want)
			}
			for _, to := range got {
				for _, m := range messagesTo(out, to) {
					inv, ok := m.(*Invitation)
					if !ok || inv.Kind != InviteOffer || inv.Room.String() != sid+"@"+service || inv.Timeout != 30 ||
						inv.Queue != "support" || inv.Inviter.String() != sid+"@"+service {
						t.Errorf("offer %+v", m)
					}
				}
			}
		})
	}
}

func TestSignInAnswers(t *testing.T) {
	w := newWorld(t)
	out := w.signIn(eve)
	if presenceErr(out, eve) != "forbidden" {
		t.Errorf("presence from a non-holder answered %+v, want forbidden", out.Out)
	}
	out = w.signIn(alice)
	if ps := stanzas(out, "presence", alice); len(ps) != 1 || ps[0].Type != "" || ps[0].From.String() != service {
		t.Errorf("sign-in answered %+v, want the service's presence", ps)
	}
	if info, ok := w.eng.Router().Agent(bareOf(alice)); !ok || !w.eng.Router().Online(bareOf(alice)) || info.Capacity != 2 {
		t.Errorf("router has %+v, want alice online with the default capacity", info)
	}
	w.presence(alice, "", "", 5)
	if info, _ := w.eng.Router().Agent(bareOf(alice)); info.Capacity != 5 {
		t.Errorf("capacity %d after max-chats=5", info.Capacity)
	}
}

// The offered agent joins: it owns the session, which becomes active.
func TestAgentJoinAssigns(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _, _ := w.newChat(ann, "Hi")
	w.join(ann, sid, "Ann")
	w.advance(10 * time.Second)
	out := w.join(alice, sid, "Alice")

	rec := w.record(sid)
	if rec.State != StateActive || rec.Owner != bareOf(alice) || !rec.AssignedAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("row after join %+v", rec)
	}
	if len(out.Batch.Agents) != 1 || out.Batch.Agents[0] != (SessionAgent{Session: sid, JID: bareOf(alice), Role: "owner", At: w.now}) {
		t.Errorf("agent rows %+v, want alice as owner", out.Batch.Agents)
	}
	ev := eventOf(t, out, sid, "assigned")
	if ev.State != "active" || ev.Agent != "Alice" {
		t.Errorf("assigned event %+v", ev)
	}
	if got := eventRecipients(out, sid, "assigned"); !equal(got, sorted([]string{alice, ann})) {
		t.Errorf("assigned event sent to %v", got)
	}
	self := presencesTo(out, alice)
	own := self[len(self)-1]
	if own.Item.Affiliation != muc.AffOwner || own.Item.Role != muc.RoleModerator {
		t.Errorf("agent's own presence %+v, want owner/moderator", own)
	}
	if got := bodies(history(out, alice)); len(got) != 2 || got[0] != "Hi" {
		t.Errorf("agent's history %q, want the question first", got)
	}
	if w.load(alice) != 1 {
		t.Errorf("alice's load %d, want 1", w.load(alice))
	}
}

// Messages of the visitor and the agent are numbered in order and reach
// every JID in the room, the visitor's two windows included.
func TestMessagesAreTranscriptAndReachEveryone(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.secondWindow(annTab2, sid, token)
	w.join(sue, sid, "Sue")
	everyone := []string{ann, annTab2, alice, sue}

	steps := []struct {
		from, body, role string
	}{
		{ann, "Is anyone there?", "visitor"},
		{alice, "Yes, how can I help?", "agent"},
		{annTab2, "My parcel", "visitor"},
		{sue, "(supervisor here)", "supervisor"},
	}
	seq := int64(len(w.transcript[sid])) // question, queued, assigned, reconnected
	for _, s := range steps {
		w.advance(time.Second)
		out := w.say(s.from, sid, s.body)
		seq++
		tr := out.Batch.Transcript
		if len(tr) != 1 || tr[0].Seq != seq || tr[0].Body != s.body || tr[0].AuthorRole != s.role ||
			tr[0].Kind != "message" || tr[0].AuthorJID != s.from {
			t.Errorf("%s: transcript %+v, want seq %d by %s", s.body, tr, seq, s.role)
		}
		ms := roomMessages(out, sid, s.body)
		if got := recipients(ms); !equal(got, sorted(everyone)) {
			t.Errorf("%s reached %v, want %v", s.body, got, sorted(everyone))
		}
		for _, m := range ms {
			if m.StanzaID != itoa64(seq) || m.Type != "groupchat" || m.From.Resourcepart() == "" {
				t.Errorf("delivered %+v", m)
			}
		}
	}
	if w.record(sid).State != StateActive {
		t.Errorf("state %s", w.record(sid).State)
	}
}

func sorted(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

// Chat states are passed on to the others and never kept.
func TestChatStatesAreRelayedNotKept(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.secondWindow(annTab2, sid, token)
	const composing = `<composing xmlns="http://jabber.org/protocol/chatstates"/>`
	out := w.send(&Message{From: jid.MustParse(ann), Payload: composing, HasState: true}, sid)
	if len(out.Batch.Transcript) != 0 || !out.Batch.Empty() {
		t.Errorf("a chat state wrote %+v", out.Batch)
	}
	var to []string
	for _, o := range out.Out {
		if m, ok := o.(*muc.Message); ok && m.Payload == composing && m.From.String() == sid+"@"+service+"/Ann" {
			to = append(to, m.To.String())
		}
	}
	if !equal(sorted(to), sorted([]string{annTab2, alice})) {
		t.Errorf("chat state relayed to %v, want the others", to)
	}
	out = w.send(&Message{From: jid.MustParse(eve), Payload: composing, HasState: true}, sid)
	if r := stanzas(out, "message", eve); len(r) != 1 || errCond(r[0]) != "not-acceptable" {
		t.Errorf("chat state from a non-occupant answered %+v", out.Out)
	}
}

// PROTOCOL 1 and 4: the visitor JID, the offered agent and supervisors may
// join; everyone else, in a room that exists or not, gets registration-required.
func TestWhoMayJoin(t *testing.T) {
	cases := []struct {
		name    string
		who     string
		unknown bool // join a room that does not exist
		aff     muc.Affiliation
		role    muc.Role
		err     string
	}{
		{"visitor", ann, false, muc.AffMember, muc.RoleParticipant, ""},
		{"offered agent", alice, false, muc.AffOwner, muc.RoleModerator, ""},
		{"supervisor", sue, false, muc.AffAdmin, muc.RoleModerator, ""},
		{"chat holder not offered", bob, false, 0, 0, "registration-required"},
		{"nobody", eve, false, 0, 0, "registration-required"},
		{"another guest", "zz@guest.example.com/w1", false, 0, 0, "registration-required"},
		{"the visitor's bare JID", "a1@guest.example.com", false, 0, 0, "registration-required"},
		{"visitor, unknown room", ann, true, 0, 0, "registration-required"},
		{"agent, unknown room", alice, true, 0, 0, "registration-required"},
		{"supervisor, unknown room", sue, true, 0, 0, "registration-required"},
		{"nobody, unknown room", eve, true, 0, 0, "registration-required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			w.advance(time.Second)
			w.signIn(bob)
			sid, _, out := w.newChat(ann, "Hi")
			if got := offers(out)[sid]; !equal(got, []string{alice}) {
				t.Fatalf("offered to %v", got)
			}
			room := sid
			if c.unknown {
				room = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
			}
			out = w.join(c.who, room, "Someone")
			if got := presenceErr(out, c.who); got != c.err {
				t.Fatalf("join answered %q, want %q", got, c.err)
			}
			if c.err != "" {
				if s := stanzas(out, "presence", c.who)[0]; s.Err.Type != "auth" || s.From.String() != room+"@"+service+"/Someone" {
					t.Errorf("error %+v", s)
				}
				if len(presencesTo(out, c.who)) != 0 || !out.Batch.Empty() {
					t.Errorf("a refused join sent %v / wrote %+v", out.Out, out.Batch)
				}
				return
			}
			ps := presencesTo(out, c.who)
			own := ps[len(ps)-1]
			if own.Item.Affiliation != c.aff || own.Item.Role != c.role || len(own.Codes) == 0 || own.Codes[0] != muc.StatusSelf {
				t.Errorf("own presence %+v, want %v/%v", own, c.aff, c.role)
			}
		})
	}
}

func TestJoinWithoutNickIsJIDMalformed(t *testing.T) {
	w := newWorld(t)
	sid, _, _ := w.newChat(ann, "Hi")
	out := w.step(&Presence{From: jid.MustParse(ann), To: roomJID(sid), MUC: true})
	if presenceErr(out, ann) != "jid-malformed" {
		t.Errorf("answered %+v", out.Out)
	}
}

func TestMessageFromNonOccupantIsNotAcceptable(t *testing.T) {
	cases := []struct {
		name, from string
		unknown    bool
	}{
		{"stranger", eve, false},
		{"chat holder not in the room", bob, false},
		{"supervisor not in the room", sue, false},
		{"visitor before joining", annTab2, false},
		{"unknown room", ann, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, _ := w.active(ann, "Hi")
			room := sid
			if c.unknown {
				room = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
			}
			out := w.say(c.from, room, "let me in")
			r := stanzas(out, "message", c.from)
			if len(r) != 1 || errCond(r[0]) != "not-acceptable" || r[0].Type != "error" {
				t.Fatalf("answered %+v, want not-acceptable", out.Out)
			}
			if !out.Batch.Empty() || len(roomMessages(out, room, "let me in")) != 0 {
				t.Errorf("the message was kept or delivered: %+v", out)
			}
		})
	}
}

func TestMessagesTheRoomRefuses(t *testing.T) {
	subject := "new subject"
	cases := []struct {
		name    string
		m       *Message
		private bool // to an occupant
		want    string
	}{
		{"chat type", &Message{From: jid.MustParse(ann), Type: "chat", Body: "hi"}, false, "bad-request"},
		{"subject change", &Message{From: jid.MustParse(ann), Body: "x", Subject: &subject}, false, "forbidden"},
		{"body too long", &Message{From: jid.MustParse(ann), Body: string(make([]byte, 1001))}, false, "bad-request"},
		{"comment by the visitor", &Message{From: jid.MustParse(ann), Body: "psst", Comment: true}, false, "forbidden"},
		{"private message", &Message{From: jid.MustParse(ann), Body: "psst"}, true, "not-allowed"},
		{"invitation by the visitor", &Message{From: jid.MustParse(ann), Invites: []Invite{{To: jid.MustParse("carol@example.com")}}}, false, "forbidden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, _ := w.active(ann, "Hi")
			if c.private {
				c.m.To = occupantJID(sid, "Alice")
			}
			out := w.send(c.m, sid)
			r := stanzas(out, "message", ann)
			if len(r) != 1 || errCond(r[0]) != c.want {
				t.Fatalf("answered %+v, want %s", out.Out, c.want)
			}
			if !out.Batch.Empty() {
				t.Errorf("wrote %+v", out.Batch)
			}
		})
	}
}

// PROTOCOL 7: comments are kept and delivered to moderators only.
func TestCommentsReachModeratorsOnly(t *testing.T) {
	for _, how := range []string{"message", "command"} {
		t.Run(how, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, token := w.active(ann, "Hi")
			w.secondWindow(annTab2, sid, token)
			w.join(sue, sid, "Sue")
			var out Output
			if how == "message" {
				out = w.send(&Message{From: jid.MustParse(alice), Body: "VIP customer", Comment: true,
					Payload: `<comment xmlns="urn:parley:chat:0"/>`}, sid)
			} else {
				var r *Stanza
				out, r = w.cmd(alice, sid, &CommentCmd{Text: "VIP customer"})
				if r == nil || r.Type != "result" {
					t.Fatalf("comment answered %+v", r)
				}
			}
			tr := out.Batch.Transcript
			if len(tr) != 1 || tr[0].Kind != "comment" || tr[0].AuthorRole != "agent" || tr[0].Body != "VIP customer" {
				t.Fatalf("transcript %+v, want one comment", tr)
			}
			// Agents read it marked internal, whatever their client.
			if got := recipients(roomMessages(out, sid, CommentPrefix+"VIP customer")); !equal(got, sorted([]string{alice, sue})) {
				t.Errorf("comment reached %v, want only the moderators", got)
			}
			// History keeps it from visitors too.
			w.step(&Presence{From: jid.MustParse(annTab2), To: occupantJID(sid, "Ann"), Type: "unavailable"})
			out = w.join(annTab2, sid, "Ann")
			for _, b := range bodies(history(out, annTab2)) {
				if strings.Contains(b, "VIP customer") {
					t.Error("the visitor got the comment in its history")
				}
			}
			w.grant(bareOf(bob), PermSupervise)
			out = w.join(bob, sid, "Bob")
			found := false
			for _, b := range bodies(history(out, bob)) {
				found = found || b == CommentPrefix+"VIP customer"
			}
			if !found {
				t.Error("a supervisor joining did not get the comment in its history")
			}
		})
	}
}

func TestCommentCommandRules(t *testing.T) {
	cases := []struct {
		name, from, text, want string
	}{
		{"empty", alice, "  ", "bad-request"},
		{"too long", alice, string(make([]byte, 1001)), "bad-request"},
		{"visitor", ann, "x", "forbidden"},
		{"supervisor", sue, "x", "forbidden"},
		{"stranger", eve, "x", "item-not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			sid, _ := w.active(ann, "Hi")
			out, r := w.cmd(c.from, sid, &CommentCmd{Text: c.text})
			if errCond(r) != c.want || !out.Batch.Empty() {
				t.Errorf("answered %+v wrote %+v, want %s", r, out.Batch, c.want)
			}
		})
	}
}

// PROTOCOL 7: a conference invitation to a chat holder lets it join as a
// moderator; to anyone else it is forbidden.
func TestConference(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.signIn(carol)
	w.presence(carol, "", "dnd", 0) // so that carol gets no offers
	sid, _ := w.active(ann, "Hi")

	out := w.send(&Message{From: jid.MustParse(alice), Invites: []Invite{{To: jid.MustParse(eve), Reason: "help"}}}, sid)
	if r := stanzas(out, "message", alice); len(r) != 1 || errCond(r[0]) != "forbidden" {
		t.Errorf("invitation of a non-holder answered %+v", out.Out)
	}
	if len(stanzas(out, "message", eve)) != 0 {
		t.Error("the non-holder got an invitation")
	}
	if presenceErr(w.join(eve, sid, "Eve"), eve) != "registration-required" {
		t.Error("the non-holder could join after a refused invitation")
	}

	out = w.send(&Message{From: jid.MustParse(alice), Invites: []Invite{{To: jid.MustParse("carol@example.com"), Reason: "billing"}}}, sid)
	inv := messagesTo(out, carol)
	if len(inv) != 1 {
		t.Fatalf("invitations to carol's resources: %+v", out.Out)
	}
	if i, ok := inv[0].(*Invitation); !ok || i.Inviter.String() != bareOf(alice) || i.Kind != InviteConference || i.Session != sid {
		t.Errorf("invitation %+v, want a conference invitation to %s from %s", inv[0], sid, bareOf(alice))
	}
	out = w.join(carol, sid, "Carol")
	ps := presencesTo(out, carol)
	if own := ps[len(ps)-1]; own.Item.Role != muc.RoleModerator || own.Item.Affiliation != muc.AffAdmin {
		t.Errorf("carol's presence %+v, want admin/moderator", own)
	}
	if len(out.Batch.Agents) != 1 || out.Batch.Agents[0].Role != "conference" || out.Batch.Agents[0].JID != bareOf(carol) {
		t.Errorf("agent rows %+v", out.Batch.Agents)
	}
	if ev := eventOf(t, out, sid, "conference"); ev.Agent != bareOf(carol) && ev.Agent != "Carol" {
		t.Errorf("conference event %+v", ev)
	}
	if w.record(sid).Owner != bareOf(alice) {
		t.Errorf("owner changed to %s", w.record(sid).Owner)
	}
	// A conferenced agent acts on the session like the owner.
	if _, r := w.cmd(carol, sid, &CommentCmd{Text: "I'll check billing"}); r.Type != "result" {
		t.Errorf("carol's comment answered %+v", r)
	}
	out = w.say(carol, sid, "Hello, I'm from billing")
	if tr := out.Batch.Transcript; len(tr) != 1 || tr[0].AuthorRole != "agent" {
		t.Errorf("carol's message %+v", tr)
	}
}

// Every line written in a batch reaches every occupant allowed to see it in
// the same output, and no live line is sent without being written (see
// world.check, which runs on every step).
func TestEveryWrittenLineIsDeliveredInTheSameOutput(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.join(sue, sid, "Sue")
	outs := []Output{
		w.say(ann, sid, "one"),
		w.say(alice, sid, "two"),
		w.send(&Message{From: jid.MustParse(alice), Body: "https://x/y.pdf", OOB: true, Payload: `<x xmlns="jabber:x:oob"><url>https://x/y.pdf</url></x>`}, sid),
		func() Output {
			o, _ := w.cmd(alice, sid, &CannedCmd{ID: "c1", Resolved: &Canned{ID: "c1", Body: "Thanks!"}})
			return o
		}(),
		func() Output { o, _ := w.cmd(alice, sid, &CommentCmd{Text: "note"}); return o }(),
		func() Output { o, _ := w.cmd(alice, sid, &SuspendCmd{Cause: "Investigation"}); return o }(),
		w.say(alice, sid, "back"),
	}
	for i, out := range outs {
		if len(out.Batch.Transcript) == 0 {
			t.Fatalf("step %d wrote nothing", i)
		}
		for _, e := range out.Batch.Transcript {
			want := sorted([]string{alice, ann, sue})
			if e.Kind == KindComment {
				want = sorted([]string{alice, sue})
			}
			var got []string
			for _, o := range out.Out {
				if m, ok := o.(*muc.Message); ok && m.StanzaID == itoa64(e.Seq) && m.Delay.IsZero() {
					got = append(got, m.To.String())
				}
			}
			if !equal(sorted(got), want) {
				t.Errorf("step %d: entry %d (%s %q) reached %v, want %v", i, e.Seq, e.Kind, e.Body, sorted(got), want)
			}
		}
	}
}

// parseDisco returns a disco#info answer and its form's fields (nil when it
// has no form).
func parseDisco(t *testing.T, r *Stanza) (*DiscoInfo, map[string]string) {
	t.Helper()
	info, ok := r.Payload.(*DiscoInfo)
	if !ok {
		t.Fatalf("disco#info %+v", r.Payload)
	}
	if info.Form == nil {
		return info, nil
	}
	f := make(map[string]string)
	for _, fl := range info.Form.Fields {
		f[fl.Var] = ""
		if len(fl.Values) > 0 {
			f[fl.Var] = fl.Values[0]
		}
	}
	return info, f
}

// PROTOCOL 7: disco#info on the room gives agents the visitor's details,
// before and after any suspend or resume.
func TestDiscoInfoVisitorDetails(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "My order did not arrive")

	ask := func(from string) *Stanza {
		_, r := w.iq(from, roomJID(sid), "get", &DiscoInfoCmd{})
		return r
	}
	check := func(stage string, state State) {
		t.Helper()
		for _, who := range []string{alice, sue} {
			r := ask(who)
			if r == nil || r.Type != "result" {
				t.Fatalf("%s: %s got %+v", stage, who, r)
			}
			d, f := parseDisco(t, r)
			if d.Identity.Category != "conference" {
				t.Errorf("%s: identity %+v", stage, d.Identity)
			}
			want := map[string]string{
				"FORM_TYPE": NS + "#visitor", "name": "Ann", "email": "ann@example.org",
				"page": "https://shop.example/cart", "question": "My order did not arrive",
				"session": sid, "state": string(state), "queue": "support",
			}
			for k, v := range want {
				if f[k] != v {
					t.Errorf("%s: %s sees field %s = %q, want %q", stage, who, k, f[k], v)
				}
			}
		}
		if r := ask(ann); r.Type != "result" {
			t.Errorf("%s: visitor got %+v", stage, r)
		} else if _, f := parseDisco(t, r); f != nil {
			t.Errorf("%s: the visitor sees the details form %v", stage, f)
		}
		for _, who := range []string{eve, bob} {
			if r := ask(who); errCond(r) != "item-not-found" {
				t.Errorf("%s: %s got %+v, want item-not-found", stage, who, r)
			}
		}
	}
	check("active", StateActive)
	w.cmd(alice, sid, &SuspendCmd{Cause: "Investigation"})
	check("suspended", StateSuspended)
	w.cmd(alice, sid, &ResumeCmd{})
	check("resumed", StateActive)
	w.leave(ann, sid, "Ann", true)
	check("suspended by the visitor", StateSuspended)
	w.say(alice, sid, "Are you back?")
	check("resumed by a message", StateActive)

	if _, r := w.iq(alice, roomJID(sid), "get", &DiscoInfoCmd{Node: "x"}); r.Type != "result" {
		t.Errorf("disco#info with a node answered %+v", r)
	}
}

// PROTOCOL 8: agents and supervisors read everything; the visitor (its JID
// or its token) everything but comments; anyone else learns nothing.
func TestMAMGrants(t *testing.T) {
	const wrongToken = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	cases := []struct {
		name, from string
		token      string // "" none, "right" the session's
		grant      bool
		noComments bool
	}{
		{"owner", alice, "", true, false},
		{"supervisor", sue, "", true, false},
		{"conferenced agent", carol, "", true, false},
		{"visitor's JID", ann, "", true, true},
		{"visitor's JID, wrong token", ann, wrongToken, true, true},
		{"another JID with the token", annLater, "right", true, true},
		{"another JID, wrong token", annLater, wrongToken, false, false},
		{"another JID, malformed token", annLater, "???", false, false},
		{"another JID, no token", annLater, "", false, false},
		{"chat holder not involved", bob, "", false, false},
		{"stranger with the token", eve, "right", true, true},
		{"stranger", eve, "", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.signIn(alice)
			w.signIn(carol)
			sid, token := w.active(ann, "Hi")
			w.send(&Message{From: jid.MustParse(alice), Invites: []Invite{{To: jid.MustParse("carol@example.com")}}}, sid)
			w.join(carol, sid, "Carol")
			tok := c.token
			if tok == "right" {
				tok = token
			}
			cmd := &MAMCmd{Token: tok, Query: testQuery("q")}
			out, r := w.cmd(c.from, sid, cmd)
			if !c.grant {
				if errCond(r) != "item-not-found" || len(out.MAM) != 0 {
					t.Errorf("answered %+v grants %+v, want item-not-found", r, out.MAM)
				}
				return
			}
			if r != nil || len(out.MAM) != 1 {
				t.Fatalf("answered %+v grants %+v, want one grant and no answer (the edge answers)", r, out.MAM)
			}
			g := out.MAM[0]
			if g.Session != sid || g.NoComments != c.noComments || g.IQ.Cmd != cmd {
				t.Errorf("grant %+v, want session %s NoComments=%v", g, sid, c.noComments)
			}
		})
	}
}

// Unknown payloads and pings, to the service and to rooms.
func TestIQsToServiceAndRooms(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	svc := jid.MustParse(service)
	cases := []struct {
		name, from string
		to         jid.JID
		typ        string
		cmd        Cmd
		want       string // "" for a result
	}{
		{"service ping", eve, svc, "get", &PingCmd{}, ""},
		{"service disco#info", eve, svc, "get", &DiscoInfoCmd{}, ""},
		{"service disco#info node", eve, svc, "get", &DiscoInfoCmd{Node: "x"}, "item-not-found"},
		{"service unknown payload", eve, svc, "get", &VersionCmd{} /* one the engine leaves to the edge */, "service-unavailable"},
		{"canned list by a stranger", eve, svc, "get", &CannedCmd{}, "forbidden"},
		{"canned list by an agent", alice, svc, "get", &CannedCmd{List: []Canned{{ID: "c1", Title: "Thanks", Body: "Thank you"}}}, ""},
		{"reconnect as get", ann, svc, "get", &ReconnectCmd{}, "bad-request"},
		{"room ping by the owner", alice, roomJID(sid), "get", &PingCmd{}, ""},
		{"room ping by a stranger", eve, roomJID(sid), "get", &PingCmd{}, "item-not-found"},
		{"self-ping joined", alice, occupantJID(sid, "Alice"), "get", &PingCmd{}, ""},
		{"self-ping not joined", sue, occupantJID(sid, "Sue"), "get", &PingCmd{}, "not-acceptable"},
		{"self-ping unknown room", sue, occupantJID("aaaaaaaaaaaaaaaaaaaaaaaaaa", "Sue"), "get", &PingCmd{}, "not-acceptable"},
		{"unknown room", alice, roomJID("aaaaaaaaaaaaaaaaaaaaaaaaaa"), "get", &DiscoInfoCmd{}, "item-not-found"},
		{"room unknown payload by the owner", alice, roomJID(sid), "set", &VersionCmd{} /* one the engine leaves to the edge */, "service-unavailable"},
		{"room disco#items by the owner", alice, roomJID(sid), "get", &DiscoItemsCmd{}, ""},
		{"room disco#items by a stranger", eve, roomJID(sid), "get", &DiscoItemsCmd{}, "item-not-found"},
		{"IQ to an occupant", alice, occupantJID(sid, "Ann"), "get", &DiscoInfoCmd{}, "service-unavailable"},
		{"canned get to a room", alice, roomJID(sid), "get", &CannedCmd{ID: "c1"}, "bad-request"},
		{"canned not found", alice, roomJID(sid), "set", &CannedCmd{ID: "zz"}, "item-not-found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, r := w.iq(c.from, c.to, c.typ, c.cmd)
			if r == nil {
				t.Fatal("no answer")
			}
			if errCond(r) != c.want {
				t.Errorf("answered %s %+v, want %q", r.Type, r.Err, c.want)
			}
		})
	}
}

// disco#items on the service lists a room to its agents and supervisors only.
func TestDiscoItemsHidesRooms(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	for who, visible := range map[string]bool{alice: true, sue: true, bob: false, eve: false, ann: false} {
		_, r := w.iq(who, jid.MustParse(service), "get", &DiscoItemsCmd{})
		items := r.Payload.(*DiscoItems).Items
		if found := len(items) > 0; found != visible || (found && items[0].JID.String() != sid+"@"+service) {
			t.Errorf("%s sees %q", who, r.Payload)
		}
	}
}

// Supervisor and queue views.
func TestStats(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.active(ann, "Hi")
	w.newChat("b1@guest.example.com/w", "Hello")
	st := w.eng.Stats()
	if st.ByState[StateActive] != 1 || st.ByState[StateQueued] != 1 || st.Agents != 1 || st.Queues["support"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// Queue positions are announced whenever they change.
func TestQueuePositions(t *testing.T) {
	w := newWorld(t)
	var sids []string
	for i, v := range []string{"v1@guest.example.com/w", "v2@guest.example.com/w", "v3@guest.example.com/w"} {
		w.advance(time.Second)
		sid, _, out := w.newChat(v, "hi")
		if ev := eventOf(t, out, sid, "queued"); ev.Position != itoa(i+1) {
			t.Errorf("session %d queued at %s", i, ev.Position)
		}
		w.join(v, sid, "V")
		sids = append(sids, sid)
	}
	w.presence(alice, "", "", 1)
	out := w.join(alice, sids[0], "Alice")
	if presenceErr(out, alice) != "" {
		t.Fatalf("alice could not join the session offered: %+v", out.Out)
	}
	for i, sid := range sids[1:] {
		ev := eventOf(t, out, sid, "queued")
		if ev.Position != itoa(i+1) {
			t.Errorf("session %d now at %s, want %d", i+1, ev.Position, i+1)
		}
		if got := eventRecipients(out, sid, "queued"); len(got) != 1 {
			t.Errorf("position sent to %v", got)
		}
	}
}

// An offer not taken in time goes to the next agent; a decline does the same at once.
func TestOfferTimeoutAndDecline(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.advance(time.Second)
	w.signIn(bob)
	sid, _, out := w.newChat(ann, "hi")
	if got := offers(out)[sid]; !equal(got, []string{alice}) {
		t.Fatalf("first offer to %v", got)
	}
	if got := offers(w.tick(29 * time.Second))[sid]; got != nil {
		t.Errorf("re-offered before the timeout to %v", got)
	}
	if got := offers(w.tick(time.Second))[sid]; !equal(got, []string{bob}) {
		t.Errorf("after the timeout offered to %v, want bob", got)
	}
	out = w.send(&Message{From: jid.MustParse(bob), Decline: true}, sid)
	if !out.Batch.Empty() {
		t.Errorf("a decline wrote %+v", out.Batch)
	}
	if presenceErr(w.join(bob, sid, "Bob"), bob) != "registration-required" {
		t.Error("an agent who declined may still join")
	}
	// Alice's offer expired, but the first to join still takes a waiting session.
	out = w.join(alice, sid, "Alice")
	if w.record(sid).Owner != bareOf(alice) {
		t.Errorf("owner %q after alice joined late (%v)", w.record(sid).Owner, presenceErr(out, alice))
	}
}

// PROTOCOL 2: roster sign-in answers chat holders and refuses everyone else.
func TestRosterSubscription(t *testing.T) {
	type sent struct{ to, typ string }
	cases := []struct {
		name, from, typ string
		want            []sent
	}{
		{"holder subscribes", alice, "subscribe", []sent{{bareOf(alice), "subscribed"}, {bareOf(alice), "subscribe"}, {alice, ""}}},
		{"holder subscribes from its bare JID (RFC 6121 3.1.2)", bareOf(alice), "subscribe", []sent{{bareOf(alice), "subscribed"}, {bareOf(alice), "subscribe"}, {bareOf(alice), ""}}},
		{"non-holder subscribes", eve, "subscribe", []sent{{bareOf(eve), "unsubscribed"}}},
		{"supervisor without chat subscribes", sue, "subscribe", []sent{{bareOf(sue), "unsubscribed"}}},
		{"holder unsubscribes", alice, "unsubscribe", nil},
		{"holder unsubscribed", alice, "unsubscribed", nil},
		{"holder probes", alice, "probe", []sent{{alice, ""}}},
		{"non-holder probes", eve, "probe", []sent{{eve, "unavailable"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			out := w.presence(c.from, c.typ, "", 0)
			var got []sent
			for _, o := range out.Out {
				if s, ok := o.(*Stanza); ok && s.Name == "presence" {
					if s.From.String() != service {
						t.Errorf("presence from %s", s.From)
					}
					got = append(got, sent{s.To.String(), s.Type})
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("sent %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("sent %v, want %v", got, c.want)
				}
			}
			if w.eng.Router().Online(bareOf(c.from)) {
				t.Error("a subscription signed the agent in")
			}
		})
	}
}

// A presence error from an agent's resource means it is gone.
func TestAgentPresenceErrorSignsOut(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.presence(alice, "error", "", 0)
	if w.eng.Router().Online(bareOf(alice)) {
		t.Error("still online")
	}
	// An unknown resource leaving changes nothing.
	w.signIn(alice)
	w.presence("alice@example.com/other", "unavailable", "", 0)
	if !w.eng.Router().Online(bareOf(alice)) {
		t.Error("offline after another resource left")
	}
}

// Presence inside a room: updates, nick rules, errors from the server.
func TestRoomPresence(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.join(sue, sid, "Sue")

	// A presence update of someone already in: broadcast, nothing written.
	out := w.step(&Presence{From: jid.MustParse(alice), To: occupantJID(sid, "Alice"), Show: "away", Status: "brb"})
	if !out.Batch.Empty() {
		t.Errorf("presence update wrote %+v", out.Batch)
	}
	if ps := presencesTo(out, ann); len(ps) != 1 || ps[0].Show != "away" || ps[0].Status != "brb" {
		t.Errorf("visitor saw %+v", ps)
	}
	// A nick change is refused.
	out = w.join(alice, sid, "Alicia")
	if presenceErr(out, alice) != "not-acceptable" {
		t.Errorf("nick change answered %+v", out.Out)
	}
	// Another person may not take a nick in use: a supervisor (staff are
	// never refused a join over a nick) is given its own (nicks.go).
	w.grant(bareOf(bob), PermSupervise)
	out = w.join(bob, sid, "Ann")
	if c := presenceErr(out, bob); c != "" {
		t.Fatalf("a supervisor asking for the visitor's nick got %s", c)
	}
	assigned := false
	for _, p := range presencesTo(out, bob) {
		self := false
		for _, c := range p.Codes {
			self = self || c == muc.StatusSelf
			assigned = assigned || c == muc.StatusNickAssigned
		}
		if self && p.From.Resourcepart() == "Ann" {
			t.Error("a supervisor took the visitor's nick")
		}
	}
	if !assigned {
		t.Error("the supervisor's self-presence lacks status 210")
	}
	// Room subscriptions and probes are ignored.
	if out = w.step(&Presence{From: jid.MustParse(eve), To: roomJID(sid), Type: "subscribe"}); len(out.Out) != 0 {
		t.Errorf("subscribe to a room answered %+v", out.Out)
	}
	// Leaving a room one is not in changes nothing.
	if out = w.leave(eve, sid, "Eve", false); len(out.Out) != 0 || !out.Batch.Empty() {
		t.Errorf("leave by a non-occupant: %+v", out)
	}
	// A presence error from the visitor's server: the visitor is gone.
	out = w.step(&Presence{From: jid.MustParse(ann), To: occupantJID(sid, "Ann"), Type: "error"})
	eventOf(t, out, sid, "visitor-left")
	if out = w.step(&Presence{From: jid.MustParse(ann), To: roomJID("aaaaaaaaaaaaaaaaaaaaaaaaaa"), Type: "error"}); len(out.Out) != 0 {
		t.Errorf("presence error to a missing room answered %+v", out.Out)
	}
}

// A bounced offer (message error from the agent) counts as a decline.
func TestBouncedOfferIsDecline(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.advance(time.Second)
	w.signIn(bob)
	sid, _, _ := w.newChat(ann, "Hi")
	out := w.send(&Message{From: jid.MustParse(bareOf(alice)), Type: "error"}, sid)
	if len(stanzas(out, "message", bareOf(alice))) != 0 {
		t.Error("an error was answered")
	}
	if got := offers(out)[sid]; !equal(got, []string{bob}) {
		t.Errorf("after the bounce offered to %v, want bob", got)
	}
	// As after a decline: the offer is gone from her workspace and her disco
	// items, and she may not join.
	if ids := w.eng.knownSessions(bareOf(alice)); len(ids) != 0 {
		t.Errorf("after the bounce alice still knows of %v", ids)
	}
	if presenceErr(w.join(alice, sid, "Alice"), alice) != "registration-required" {
		t.Error("an agent whose invitation bounced may still join")
	}
}

// Messages to the service itself.
func TestMessagesToTheService(t *testing.T) {
	w := newWorld(t)
	out := w.step(&Message{From: jid.MustParse(ann), To: jid.MustParse(service), Type: "chat", Body: "hello?"})
	if r := stanzas(out, "message", ann); len(r) != 1 || errCond(r[0]) != "service-unavailable" {
		t.Errorf("chat to the service answered %+v", out.Out)
	}
	for _, typ := range []string{"headline", "error", "groupchat"} {
		if out = w.step(&Message{From: jid.MustParse(ann), To: jid.MustParse(service), Type: typ, Body: "x"}); len(out.Out) != 0 {
			t.Errorf("%s to the service answered %+v", typ, out.Out)
		}
	}
	if out = w.step(&Message{From: jid.MustParse(ann), To: jid.MustParse(service), Type: "chat", HasState: true}); len(out.Out) != 0 {
		t.Errorf("a chat state to the service answered %+v", out.Out)
	}
}

// After a transfer the former owner may take its session back by joining
// while it still waits.
func TestFormerOwnerTakesTransferredSessionBack(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	w.signOut(alice)
	w.step(&Presence{From: jid.MustParse(alice), To: occupantJID(sid, "Alice"), Type: "unavailable"})
	out := w.tick(w.cfg.Grace)
	eventOf(t, out, sid, "transferred")
	w.signIn(alice)
	out = w.join(alice, sid, "Alice")
	if rec := w.record(sid); rec.State != StateActive || rec.Owner != bareOf(alice) {
		t.Errorf("row %+v (events %v)", rec, eventTypes(out, sid))
	}
}

// A reconnect to a session that ended in a queue no longer configured goes
// to the default queue.
func TestReplaceInRemovedQueue(t *testing.T) {
	w := newWorld(t)
	hash, _ := HashToken("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	stored := &Record{ID: "oldoldoldoldoldoldoldoldol", State: StateExpired, Queue: "gone", TokenHash: hash}
	_, r := w.svc(ann, &ReconnectCmd{Session: stored.ID, Token: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Stored: stored})
	s := resultSession(t, r)
	if w.record(s["id"]).Queue != "support" || s["replaces"] != stored.ID {
		t.Errorf("result %v row %+v", s, w.record(s["id"]))
	}
	w2 := newWorld(t, func(c *Config) { c.QueueLimit = 1 })
	w2.newChat(annLater, "fills the queue")
	stored.Queue = "support"
	if _, r = w2.svc(ann, &ReconnectCmd{Session: stored.ID, Token: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", Stored: stored}); errCond(r) != "resource-constraint" {
		t.Errorf("replace into a full queue answered %+v", r)
	}
}

// Revoking chat cancels the agent's outstanding offers.
func TestReloadCancelsOffers(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	w.advance(time.Second)
	w.signIn(bob)
	sid, _, _ := w.newChat(ann, "Hi")
	out := w.grant(bareOf(alice))
	if got := offers(out)[sid]; !equal(got, []string{bob}) {
		t.Errorf("after revoking alice offered to %v, want bob", got)
	}
}

// PROTOCOL 8, closed rooms included: the edge hands the stored session and
// its agents with the query; the engine decides the same rights.
func TestMAMOnEndedRoom(t *testing.T) {
	w := newWorld(t)
	w.signIn(alice)
	sid, token := w.active(ann, "Hi")
	w.cmd(alice, sid, &CloseCmd{})
	stored := w.record(sid)
	var storedAgents []SessionAgent
	for _, a := range w.agents {
		if a.Session == sid {
			storedAgents = append(storedAgents, a)
		}
	}
	cases := []struct {
		name, from, token string
		stored            *Record
		grant             bool
		noComments        bool
	}{
		{"owner", alice, "", &stored, true, false},
		{"supervisor", sue, "", &stored, true, false},
		{"visitor's JID", ann, "", &stored, true, true},
		{"token", annLater, token, &stored, true, true},
		{"wrong token", annLater, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &stored, false, false},
		{"chat holder not involved", bob, "", &stored, false, false},
		{"stranger", eve, "", &stored, false, false},
		{"no stored row", alice, "", nil, false, false},
		{"stored row of another session", alice, "", &Record{ID: "other"}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, r := w.cmd(c.from, sid, &MAMCmd{Token: c.token, Stored: c.stored, StoredAgents: storedAgents})
			if !c.grant {
				if errCond(r) != "item-not-found" || len(out.MAM) != 0 {
					t.Errorf("answered %+v grants %+v, want item-not-found", r, out.MAM)
				}
				return
			}
			if r != nil || len(out.MAM) != 1 || out.MAM[0].Session != sid || out.MAM[0].NoComments != c.noComments {
				t.Errorf("answered %+v grants %+v, want a grant with NoComments=%v", r, out.MAM, c.noComments)
			}
		})
	}
}

// failingReader is a random source that can be made to fail.
type failingReader struct {
	fail bool
	r    io.Reader
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.fail {
		return 0, errors.New("no entropy")
	}
	return f.r.Read(p)
}

// An input whose handling panics is dropped with its effects (an IQ gets an
// internal-server-error answer); the others of the batch go on, and so does the engine.
func TestPanicDropsOnlyThatInput(t *testing.T) {
	src := &failingReader{r: testConfig().Rand}
	w := newWorld(t, func(c *Config) { c.Rand = src })
	w.signIn(alice)
	sid, _ := w.active(ann, "Hi")
	src.fail = true
	out := w.step(
		&IQ{From: jid.MustParse(annLater), To: jid.MustParse(service), ID: "r", Type: "set", Cmd: &RequestCmd{Body: "x"}},
		&Message{From: jid.MustParse(ann), To: roomJID(sid), Type: "groupchat", Body: "still here"},
	)
	if len(out.Panics) != 1 {
		t.Errorf("panics %v, want one", out.Panics)
	}
	if r := reply(out, "r"); r == nil || r.Err == nil || r.Err.Condition != "internal-server-error" ||
		len(out.Batch.Tokens) != 0 || len(out.Batch.Sessions) != 0 {
		t.Errorf("the dropped request: want only an internal-server-error answer, got %+v / %+v", r, out.Batch)
	}
	if len(out.Batch.Transcript) != 1 || out.Batch.Transcript[0].Body != "still here" {
		t.Errorf("the other input of the batch: %+v", out.Batch.Transcript)
	}
	src.fail = false
	if _, r := w.request(annLater, RequestCmd{Body: "again"}); r == nil || r.Type != "result" {
		t.Errorf("after the panic a request answered %+v", r)
	}
}
