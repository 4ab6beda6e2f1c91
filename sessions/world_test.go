package sessions

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// The cast of the tests. Agents sign in from a full JID; their bare JID is
// what holds permissions.
const (
	service  = "chat.example.com"
	alice    = "alice@example.com/desk" // chat
	bob      = "bob@example.com/desk"   // chat
	carol    = "carol@example.com/desk" // chat, invited to conferences
	sue      = "sue@example.com/desk"   // supervise
	eve      = "eve@example.com/x"      // no permission at all
	ann      = "a1@guest.example.com/w1"
	annTab2  = "a1@guest.example.com/w2" // a second window of the same connection
	annLater = "a2@guest.example.com/w1" // ann after a restart: a new anonymous JID
)

// t0 is the start of every story; time only moves when a test moves it.
var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func bareOf(full string) string { return jid.MustParse(full).Bare().String() }

func testConfig() Config {
	return Config{
		Domain:          jid.MustParse(service),
		Queues:          []string{"support", "sales"},
		HistoryLimit:    100,
		DefaultCapacity: 2,
		OfferTimeout:    30 * time.Second,
		QueueLimit:      10,
		MaxBody:         1000,
		MaxField:        200,
		MaxFields:       10,
		IdleSuspend:     2 * time.Minute,
		Grace:           5 * time.Minute,
		SuspendTimeout:  30 * time.Minute,
		AbandonAfter:    2 * time.Minute,
		Causes:          []string{"Investigation", "Visitor Machine Restart"},
		Rand:            rand.NewChaCha8([32]byte{'p', 'a', 'r', 'l', 'e', 'y'}),
	}
}

// world wraps an Engine with a fake clock and remembers what the store would
// hold (the last record written per session, every transcript entry).
type world struct {
	t     *testing.T
	eng   *Engine
	cfg   Config
	now   time.Time
	perms map[string]map[string]bool
	ids   int

	recs       map[string]Record  // last row written per session
	transcript map[string][]Entry // every entry written, per session
	agents     []SessionAgent
	tokens     [][]byte
	tokenBySID map[string]string // tokens seen in <session/> results
}

func newWorld(t *testing.T, tweak ...func(*Config)) *world {
	t.Helper()
	cfg := testConfig()
	for _, f := range tweak {
		f(&cfg)
	}
	w := &world{
		t: t, eng: NewEngine(cfg), cfg: cfg, now: t0,
		perms: map[string]map[string]bool{
			bareOf(alice): {PermChat: true},
			bareOf(bob):   {PermChat: true},
			bareOf(carol): {PermChat: true},
			bareOf(sue):   {PermSupervise: true},
		},
		recs:       make(map[string]Record),
		transcript: make(map[string][]Entry),
		tokenBySID: make(map[string]string),
	}
	w.reload()
	return w
}

func (w *world) reload() Output {
	p := make(map[string]map[string]bool, len(w.perms))
	for k, v := range w.perms {
		p[k] = v
	}
	return w.step(&Reload{Permissions: p})
}

// grant replaces the permissions of a bare JID and reloads them.
func (w *world) grant(bare string, perms ...string) Output {
	m := make(map[string]bool)
	for _, p := range perms {
		m[p] = true
	}
	w.perms[bare] = m
	return w.reload()
}

// step processes inputs at the current time and checks the invariants every
// output must keep.
func (w *world) step(in ...Input) Output {
	w.t.Helper()
	out := w.eng.Process(w.now, in)
	w.check(out)
	for _, r := range out.Batch.Sessions {
		w.recs[r.ID] = r
	}
	for _, e := range out.Batch.Transcript {
		w.transcript[e.Session] = append(w.transcript[e.Session], e)
	}
	w.agents = append(w.agents, out.Batch.Agents...)
	for _, o := range out.Out {
		if s, ok := o.(*Stanza); ok && s.Name == "iq" && s.Type == "result" {
			if a, ok := s.Payload.(*SessionAnswer); ok && a.Token != "" {
				w.tokenBySID[a.ID] = a.Token
			}
		}
	}
	for _, tk := range out.Batch.Tokens {
		w.tokens = append(w.tokens, tk.Hash)
	}
	return out
}

// check asserts what holds for every output: transcript seqs are dense per
// session and continue from what was written before, and every live room
// message that carries a stanza id is a transcript entry of the same batch
// (the Runner commits Batch before it sends Out).
func (w *world) check(out Output) {
	w.t.Helper()
	next := make(map[string]int64)
	written := make(map[string]bool)
	for _, e := range out.Batch.Transcript {
		want, ok := next[e.Session]
		if !ok {
			want = int64(len(w.transcript[e.Session])) + 1
			if prev := w.transcript[e.Session]; len(prev) > 0 {
				want = prev[len(prev)-1].Seq + 1
			}
		}
		if e.Seq != want {
			w.t.Errorf("transcript of %s: seq %d, want %d (%+v)", e.Session, e.Seq, want, e)
		}
		if !e.At.Equal(w.now) {
			w.t.Errorf("transcript entry %s/%d at %v, want %v", e.Session, e.Seq, e.At, w.now)
		}
		next[e.Session] = e.Seq + 1
		written[e.Session+"/"+strconv.FormatInt(e.Seq, 10)] = true
	}
	for _, o := range out.Out {
		m, ok := o.(*muc.Message)
		if !ok || m.StanzaID == "" || !m.Delay.IsZero() {
			continue
		}
		if !written[m.From.Localpart()+"/"+m.StanzaID] && !w.keptBefore(m.From.Localpart(), m.StanzaID) {
			w.t.Errorf("message %q from %s to %s carries stanza id %s that is not in this batch's transcript",
				m.Body, m.From, m.To, m.StanzaID)
		}
	}
}

// keptBefore reports whether an earlier batch wrote entry seq of sid (a
// repeated message's reflection carries its original stanza-id: dedup.go).
func (w *world) keptBefore(sid, seq string) bool {
	for _, e := range w.transcript[sid] {
		if strconv.FormatInt(e.Seq, 10) == seq {
			return true
		}
	}
	return false
}

func (w *world) advance(d time.Duration) { w.now = w.now.Add(d) }

// tick moves the clock by d and runs the timers.
func (w *world) tick(d time.Duration) Output {
	w.t.Helper()
	w.advance(d)
	return w.step(Tick{})
}

func (w *world) nextID() string {
	w.ids++
	return "id" + strconv.Itoa(w.ids)
}

func roomJID(sid string) jid.JID { return jid.MustParse(sid + "@" + service) }

func occupantJID(sid, nick string) jid.JID { return jid.MustParse(sid + "@" + service + "/" + nick) }

// --- agents ---

func (w *world) presence(from string, typ, show string, maxChats int) Output {
	w.t.Helper()
	return w.step(&Presence{From: jid.MustParse(from), To: jid.MustParse(service), Type: typ, Show: show, MaxChats: maxChats})
}

func (w *world) signIn(full string) Output { w.t.Helper(); return w.presence(full, "", "", 0) }
func (w *world) signOut(full string) Output {
	w.t.Helper()
	return w.presence(full, "unavailable", "", 0)
}

// --- rooms ---

func (w *world) join(full, sid, nick string) Output {
	w.t.Helper()
	return w.step(&Presence{From: jid.MustParse(full), To: occupantJID(sid, nick), MUC: true, History: muc.NoHistoryLimit})
}

func (w *world) leave(full, sid, nick string, suspend bool) Output {
	w.t.Helper()
	return w.step(&Presence{From: jid.MustParse(full), To: occupantJID(sid, nick), Type: "unavailable", Suspend: suspend})
}

func (w *world) say(full, sid, body string) Output {
	w.t.Helper()
	return w.send(&Message{From: jid.MustParse(full), Body: body}, sid)
}

// send sends m to the room sid as groupchat (unless m says otherwise).
func (w *world) send(m *Message, sid string) Output {
	w.t.Helper()
	if m.To.String() == "" {
		m.To = roomJID(sid)
	}
	if m.Type == "" {
		m.Type = "groupchat"
	}
	if m.ID == "" {
		m.ID = w.nextID()
	}
	return w.step(m)
}

// cmd sends an IQ set carrying c to the room sid and returns the answer.
func (w *world) cmd(from, sid string, c Cmd) (Output, *Stanza) {
	w.t.Helper()
	return w.iq(from, roomJID(sid), "set", c)
}

// svc sends an IQ set carrying c to the service and returns the answer.
func (w *world) svc(from string, c Cmd) (Output, *Stanza) {
	w.t.Helper()
	return w.iq(from, jid.MustParse(service), "set", c)
}

func (w *world) iq(from string, to jid.JID, typ string, c Cmd) (Output, *Stanza) {
	w.t.Helper()
	q := &IQ{From: jid.MustParse(from), To: to, ID: w.nextID(), Type: typ, Cmd: c}
	out := w.step(q)
	return out, reply(out, q.ID)
}

// --- visitor requests ---

func (w *world) request(from string, c RequestCmd) (Output, *Stanza) {
	w.t.Helper()
	if c.Visitor == nil {
		c.Visitor = map[string]string{"name": "Ann", "email": "ann@example.org", "page": "https://shop.example/cart"}
	}
	return w.svc(from, &c)
}

// newChat asks for a chat with no token and returns the new session's id and token.
func (w *world) newChat(from, question string) (sid, token string, out Output) {
	w.t.Helper()
	out, r := w.request(from, RequestCmd{Queue: "support", Body: question})
	s := resultSession(w.t, r)
	return s["id"], s["token"], out
}

// --- reading outputs ---

// reply finds the IQ answer with that id.
func reply(out Output, id string) *Stanza {
	for _, o := range out.Out {
		if s, ok := o.(*Stanza); ok && s.Name == "iq" && s.ID == id {
			return s
		}
	}
	return nil
}

// errCond is the error condition of a stanza ("" for none).
func errCond(s *Stanza) string {
	if s == nil || s.Err == nil {
		return ""
	}
	return string(s.Err.Condition)
}

// resultSession asserts r is a result carrying <session/> and returns its attributes.
func resultSession(t *testing.T, r *Stanza) map[string]string {
	t.Helper()
	if r == nil {
		t.Fatal("no IQ answer")
	}
	if r.Type != "result" {
		t.Fatalf("IQ answer is %s (%s), want a result", r.Type, errCond(r))
	}
	a, ok := r.Payload.(*SessionAnswer)
	if !ok {
		t.Fatalf("result %#v does not carry <session xmlns=%q/>", r.Payload, NS)
	}
	return sessionAttrs(a)
}

// resultResumable asserts r is a result carrying <resumable/> and returns its session's attributes.
func resultResumable(t *testing.T, r *Stanza) map[string]string {
	t.Helper()
	if r == nil || r.Type != "result" {
		t.Fatalf("answer %+v, want a result", r)
	}
	res, ok := r.Payload.(*Resumable)
	if !ok {
		t.Fatalf("result %#v does not carry <resumable/>", r.Payload)
	}
	return sessionAttrs(&res.Session)
}

// event is a <p:event/> as a program reads it.
type event struct {
	Type, By, State, Cause, Agent, Position string
}

// sessionAttrs are a session answer's attributes as the wire carries them.
func sessionAttrs(s *SessionAnswer) map[string]string {
	a := map[string]string{"id": s.ID, "room": s.Room.String(), "state": string(s.State), "token": s.Token,
		"suspended-by": string(s.SuspendedBy), "cause": s.Cause, "replaces": s.Replaces, "nick": s.Nick}
	if !s.Started.IsZero() {
		a["started"] = s.Started.UTC().Format(time.RFC3339)
	}
	if s.Reconnected {
		a["reconnected"] = "true"
	}
	for k, v := range a {
		if v == "" {
			delete(a, k)
		}
	}
	return a
}

// events are the events of sid written in this output, in order.
func events(out Output, sid string) []event {
	var evs []event
	for _, e := range out.Batch.Transcript {
		if e.Session != sid || e.Kind != "event" {
			continue
		}
		if ev, ok := eventFrom(e.Element); ok {
			evs = append(evs, ev)
		}
	}
	return evs
}

func eventTypes(out Output, sid string) []string {
	var ts []string
	for _, e := range events(out, sid) {
		ts = append(ts, e.Type)
	}
	return ts
}

// eventOf returns the only event of type typ of sid in out.
func eventOf(t *testing.T, out Output, sid, typ string) event {
	t.Helper()
	var got []event
	for _, e := range events(out, sid) {
		if e.Type == typ {
			got = append(got, e)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d %q events of %s, want 1 (events: %v)", len(got), typ, sid, eventTypes(out, sid))
	}
	return got[0]
}

// liveTo lists the recipients of live (not history) room messages whose
// payload carries an event of type typ.
func eventRecipients(out Output, sid, typ string) []string {
	var to []string
	for _, o := range out.Out {
		m, ok := o.(*muc.Message)
		if !ok || m.From.Localpart() != sid || !m.Delay.IsZero() {
			continue
		}
		if ev, ok := eventFrom(m.Element); ok && ev.Type == typ {
			to = append(to, m.To.String())
		}
	}
	sort.Strings(to)
	return to
}

// roomMessages are the live groupchat messages from room sid with that body.
func roomMessages(out Output, sid, body string) []*muc.Message {
	var ms []*muc.Message
	for _, o := range out.Out {
		m, ok := o.(*muc.Message)
		if ok && m.From.Localpart() == sid && m.Delay.IsZero() && m.Subject == nil && m.Body == body {
			ms = append(ms, m)
		}
	}
	return ms
}

func recipients(ms []*muc.Message) []string {
	var to []string
	for _, m := range ms {
		to = append(to, m.To.String())
	}
	sort.Strings(to)
	return to
}

// history are the delayed messages sent to `to`, in order.
func history(out Output, to string) []*muc.Message {
	var ms []*muc.Message
	for _, o := range out.Out {
		if m, ok := o.(*muc.Message); ok && m.To.String() == to && !m.Delay.IsZero() {
			ms = append(ms, m)
		}
	}
	return ms
}

func bodies(ms []*muc.Message) []string {
	var b []string
	for _, m := range ms {
		b = append(b, m.Body)
	}
	return b
}

// stanzas are the *Stanza values of name sent to `to`.
func stanzas(out Output, name, to string) []*Stanza {
	var ss []*Stanza
	for _, o := range out.Out {
		if inv, ok := o.(*Invitation); ok {
			o = invitationStanza(inv)
		}
		if s, ok := o.(*Stanza); ok && s.Name == name && s.To.String() == to {
			ss = append(ss, s)
		}
	}
	return ss
}

// offers maps each session offered in out to the full JIDs it was offered to.
func offers(out Output) map[string][]string {
	m := make(map[string][]string)
	for _, o := range out.Out {
		if inv, ok := o.(*Invitation); ok && inv.Kind == InviteOffer {
			m[inv.Session] = append(m[inv.Session], inv.To.String())
		}
	}
	return m
}

// messagesTo are the messages sent to `to` outside rooms: invitations and
// the engine's own message stanzas, in order.
func messagesTo(out Output, to string) []Out {
	var ms []Out
	for _, o := range out.Out {
		switch v := o.(type) {
		case *Invitation:
			if v.To.String() == to {
				ms = append(ms, v)
			}
		case *Stanza:
			if v.Name == "message" && v.To.String() == to {
				ms = append(ms, v)
			}
		}
	}
	return ms
}

// presencesTo are the room presences sent to `to`.
func presencesTo(out Output, to string) []*muc.Presence {
	var ps []*muc.Presence
	for _, o := range out.Out {
		if p, ok := o.(*muc.Presence); ok && p.To.String() == to {
			ps = append(ps, p)
		}
	}
	return ps
}

// presenceErr is the error of the presence answer to `to`, "" for none.
func presenceErr(out Output, to string) string {
	for _, s := range stanzas(out, "presence", to) {
		if s.Type == "error" {
			return errCond(s)
		}
	}
	return ""
}

// record is the last row written for sid.
func (w *world) record(sid string) Record {
	w.t.Helper()
	r, ok := w.recs[sid]
	if !ok {
		w.t.Fatalf("no row was ever written for session %s", sid)
	}
	return r
}

// load is the agent's load in the router.
func (w *world) load(full string) int {
	info, _ := w.eng.Router().Agent(bareOf(full))
	return info.Load
}

// active starts a chat from ann answered by alice, both in the room: the
// common opening of most stories.
func (w *world) active(visitor, question string) (sid, token string) {
	w.t.Helper()
	sid, token, _ = w.newChat(visitor, question)
	w.join(visitor, sid, "Ann")
	out := w.join(alice, sid, "Alice")
	if w.record(sid).State != StateActive {
		w.t.Fatalf("session %s is %s after alice joined, want active (events %v)", sid, w.record(sid).State, eventTypes(out, sid))
	}
	return sid, token
}

// secondWindow opens another window of the visitor on sid (a reconnect from
// a new JID, PROTOCOL 3) and joins it under the same nick.
func (w *world) secondWindow(full, sid, token string) Output {
	w.t.Helper()
	_, r := w.svc(full, &ReconnectCmd{Session: sid, Token: token})
	resultSession(w.t, r)
	out := w.join(full, sid, "Ann")
	if e := presenceErr(out, full); e != "" {
		w.t.Fatalf("%s could not join after reconnecting: %s", full, e)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func mustJID(s string) jid.JID { return jid.MustParse(s) }

// testQuery stands for the edge's parsed MAM query, which the engine only carries.
type testQuery string

func (testQuery) MAMQuery() {}
