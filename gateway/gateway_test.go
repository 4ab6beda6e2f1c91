package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/wire"
	"github.com/parley-chat/parley/xmpp"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

const waitFor = 20 * time.Second // generous: nothing here measures speed

// fakeSender records what the gateway sends.
type fakeSender struct {
	mu   sync.Mutex
	sent []*xmpp.Element
	err  error
	ch   chan *xmpp.Element
}

func newFakeSender() *fakeSender { return &fakeSender{ch: make(chan *xmpp.Element, 256)} }

func (s *fakeSender) Send(els ...*xmpp.Element) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	for _, e := range els {
		s.sent = append(s.sent, e)
		s.ch <- e
	}
	return nil
}

func (s *fakeSender) all() []*xmpp.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*xmpp.Element(nil), s.sent...)
}

func (s *fakeSender) next(t *testing.T) *xmpp.Element {
	t.Helper()
	select {
	case e := <-s.ch:
		return e
	case <-time.After(waitFor):
		t.Fatal("nothing sent")
		return nil
	}
}

// fakeSubmitter records inputs; full makes it refuse them.
type fakeSubmitter struct {
	mu   sync.Mutex
	full bool
	in   []sessions.Input
	ch   chan sessions.Input
}

func newFakeSubmitter() *fakeSubmitter { return &fakeSubmitter{ch: make(chan sessions.Input, 256)} }

func (s *fakeSubmitter) Submit(in sessions.Input) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full {
		return false
	}
	s.in = append(s.in, in)
	s.ch <- in
	return true
}

func (s *fakeSubmitter) all() []sessions.Input {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sessions.Input(nil), s.in...)
}

func (s *fakeSubmitter) next(t *testing.T) sessions.Input {
	t.Helper()
	select {
	case in := <-s.ch:
		return in
	case <-time.After(waitFor):
		t.Fatal("nothing submitted")
		return nil
	}
}

// fakeStore answers the reads the gateway does; any other method panics
// (the embedded interface is nil).
type fakeStore struct {
	sessions.Store
	mu         sync.Mutex
	err        error
	tokenKnown bool
	record     *sessions.Record // nil: ErrNotFound
	agents     []sessions.SessionAgent
	canned     []sessions.Canned
	transcript []sessions.Entry
	complete   bool
	calls      []string
	queries    []sessions.Query
}

func (f *fakeStore) call(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	return f.err
}

func (f *fakeStore) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeStore) TokenKnown(ctx context.Context, hash []byte) (bool, error) {
	if len(hash) != 32 {
		return false, fmt.Errorf("hash of %d bytes", len(hash))
	}
	return f.tokenKnown, f.call("TokenKnown")
}

func (f *fakeStore) Session(ctx context.Context, id string) (sessions.Record, []sessions.SessionAgent, error) {
	if err := f.call("Session " + id); err != nil {
		return sessions.Record{}, nil, err
	}
	if f.record == nil {
		return sessions.Record{}, nil, sessions.ErrNotFound
	}
	return *f.record, f.agents, nil
}

func (f *fakeStore) CannedList(ctx context.Context) ([]sessions.Canned, error) {
	return f.canned, f.call("CannedList")
}

func (f *fakeStore) Canned(ctx context.Context, id string) (sessions.Canned, error) {
	if err := f.call("Canned " + id); err != nil {
		return sessions.Canned{}, err
	}
	for _, c := range f.canned {
		if c.ID == id {
			return c, nil
		}
	}
	return sessions.Canned{}, sessions.ErrNotFound
}

func (f *fakeStore) Transcript(ctx context.Context, q sessions.Query) ([]sessions.Entry, bool, int, error) {
	if err := f.call("Transcript"); err != nil {
		return nil, false, 0, err
	}
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	return f.transcript, f.complete, len(f.transcript) + 3, nil
}

type testGateway struct {
	*Gateway
	reg   *prometheus.Registry
	out   *fakeSender
	sub   *fakeSubmitter
	store *fakeStore
}

func newTestGateway(t *testing.T, cfg Config) *testGateway {
	t.Helper()
	if cfg.Domain.String() == "" {
		cfg.Domain = service
	}
	st := &fakeStore{}
	reg := prometheus.NewRegistry()
	g := New(context.Background(), cfg, st, slog.New(slog.DiscardHandler), reg)
	tg := &testGateway{Gateway: g, reg: reg, out: newFakeSender(), sub: newFakeSubmitter(), store: st}
	g.Attach(tg.out, tg.sub)
	return tg
}

// counter returns the value of a counter from the gateway's registry (label
// kind when given).
func (g *testGateway) counter(t *testing.T, name, kind string) float64 {
	t.Helper()
	fams, err := g.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if kind == "" {
				return m.GetCounter().GetValue()
			}
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// handle parses one stanza as the connection would and hands it to Handle.
func (g *testGateway) handle(t *testing.T, s string) {
	t.Helper()
	g.Handle(readStanza(t, []byte(s)))
}

// errorOf returns the type and condition of an error stanza.
func errorOf(t *testing.T, el *xmpp.Element) (typ, condition, text string) {
	t.Helper()
	if el.Get("type") != "error" {
		t.Fatalf("not an error: %s", el)
	}
	e := el.Child("", "error")
	if e == nil {
		t.Fatalf("no <error/>: %s", el)
	}
	for _, c := range e.Children {
		if c.Name.Space != nsStanzas {
			t.Errorf("error child %v outside %s", c.Name, nsStanzas)
		}
		if c.Name.Local == "text" {
			text = c.Text
		} else {
			condition = c.Name.Local
		}
	}
	return e.Get("type"), condition, text
}

func expectError(t *testing.T, el *xmpp.Element, kind, id, typ, condition string) {
	t.Helper()
	if el.Name.Local != kind {
		t.Errorf("answered with <%s/>, want <%s/>: %s", el.Name.Local, kind, el)
	}
	if el.Get("id") != id {
		t.Errorf("id %q, want %q", el.Get("id"), id)
	}
	gotTyp, gotCond, _ := errorOf(t, el)
	if gotTyp != typ || gotCond != condition {
		t.Errorf("error %s/%s, want %s/%s: %s", gotTyp, gotCond, typ, condition, el)
	}
}

func stanza(kind, from, to, id, typ, inner string) string {
	s := fmt.Sprintf("<%s from='%s' to='%s'", kind, from, to)
	if id != "" {
		s += fmt.Sprintf(" id='%s'", id)
	}
	if typ != "" {
		s += fmt.Sprintf(" type='%s'", typ)
	}
	return s + ">" + inner + "</" + kind + ">"
}

func TestHandleSubmitsInputs(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.handle(t, stanza("presence", agent.String(), service.String(), "", "", "<show>chat</show>"))
	g.handle(t, stanza("message", agent.String(), room.String(), "m1", "groupchat", "<body>hi</body>"))
	g.handle(t, stanza("iq", agent.String(), room.String(), "i1", "set", "<resume xmlns='urn:parley:chat:0'/>"))
	g.handle(t, stanza("iq", agent.String(), service.String(), "i2", "get", "<ping xmlns='urn:xmpp:ping'/>"))
	in := g.sub.all()
	if len(in) != 4 {
		t.Fatalf("%d inputs submitted, want 4", len(in))
	}
	if p, ok := in[0].(*sessions.Presence); !ok || p.Show != "chat" || !p.From.Equal(agent) {
		t.Errorf("input 0: %s", dump(in[0]))
	}
	if m, ok := in[1].(*sessions.Message); !ok || m.Body != "hi" || m.ID != "m1" {
		t.Errorf("input 1: %s", dump(in[1]))
	}
	if q, ok := in[2].(*sessions.IQ); !ok || q.ID != "i1" {
		t.Errorf("input 2: %s", dump(in[2]))
	} else if _, ok := q.Cmd.(*sessions.ResumeCmd); !ok {
		t.Errorf("input 2 command: %s", dump(q.Cmd))
	}
	if q, ok := in[3].(*sessions.IQ); !ok {
		t.Errorf("input 3: %s", dump(in[3]))
	} else if _, ok := q.Cmd.(*sessions.PingCmd); !ok {
		t.Errorf("input 3 command: %s", dump(q.Cmd))
	}
	if sent := g.out.all(); len(sent) != 0 {
		t.Errorf("sent %v, want nothing", sent)
	}
}

func TestHandleOverRateGetsPolicyViolation(t *testing.T) {
	g := newTestGateway(t, Config{Rate: 1e-6, Burst: 2}) // no refill within the test
	for i, res := range []string{"a", "b", "c"} {
		g.handle(t, stanza("message", "ann@example.com/"+res, room.String(), fmt.Sprint("m", i), "groupchat", "<body>x</body>"))
	}
	if n := len(g.sub.all()); n != 2 {
		t.Errorf("%d inputs submitted, want the burst of 2", n)
	}
	sent := g.out.all()
	if len(sent) != 1 {
		t.Fatalf("sent %d stanzas, want 1 error", len(sent))
	}
	expectError(t, sent[0], "message", "m2", "wait", "policy-violation")
	if sent[0].Get("to") != "ann@example.com/c" || sent[0].Get("from") != room.String() {
		t.Errorf("error addressed from %q to %q", sent[0].Get("from"), sent[0].Get("to"))
	}

	// The limit is per bare JID: someone else still gets through; the same
	// JID is refused for presence and IQs too.
	g.handle(t, stanza("message", "bob@example.com/x", room.String(), "b1", "groupchat", "<body>x</body>"))
	if n := len(g.sub.all()); n != 3 {
		t.Errorf("another JID was limited too (%d inputs)", n)
	}
	g.handle(t, stanza("presence", "ann@example.com/a", room.String()+"/Ann", "p1", "", ""))
	g.handle(t, stanza("iq", "ann@example.com/a", room.String(), "i1", "set", "<close xmlns='urn:parley:chat:0'/>"))
	sent = g.out.all()
	if len(sent) != 3 {
		t.Fatalf("sent %d stanzas, want 3 errors", len(sent))
	}
	expectError(t, sent[1], "presence", "p1", "wait", "policy-violation")
	expectError(t, sent[2], "iq", "i1", "wait", "policy-violation")
}

func TestHandleBusyGetsResourceConstraint(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.sub.full = true
	g.handle(t, stanza("presence", agent.String(), service.String(), "p1", "", ""))
	g.handle(t, stanza("message", agent.String(), room.String(), "m1", "groupchat", "<body>x</body>"))
	g.handle(t, stanza("iq", agent.String(), room.String(), "i1", "set", "<resume xmlns='urn:parley:chat:0'/>"))
	sent := g.out.all()
	if len(sent) != 3 {
		t.Fatalf("sent %d stanzas, want 3", len(sent))
	}
	expectError(t, sent[0], "presence", "p1", "wait", "resource-constraint")
	expectError(t, sent[1], "message", "m1", "wait", "resource-constraint")
	expectError(t, sent[2], "iq", "i1", "wait", "resource-constraint")
}

func TestHandleIgnoresIQResultsAndErrors(t *testing.T) {
	g := newTestGateway(t, Config{Rate: 1e-6, Burst: 1})
	for i := 0; i < 5; i++ {
		g.handle(t, stanza("iq", agent.String(), service.String(), fmt.Sprint("r", i), "result", ""))
		g.handle(t, stanza("iq", agent.String(), service.String(), fmt.Sprint("e", i), "error",
			"<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"))
	}
	if in, sent := g.sub.all(), g.out.all(); len(in) != 0 || len(sent) != 0 {
		t.Fatalf("IQ results/errors led to inputs %v and stanzas %v", in, sent)
	}
	// Nor do they use up the sender's rate.
	g.handle(t, stanza("message", agent.String(), room.String(), "m", "groupchat", "<body>x</body>"))
	if len(g.sub.all()) != 1 {
		t.Error("ignored IQs counted against the rate")
	}
}

func TestHandleNeverAnswersErrorsWithErrors(t *testing.T) {
	g := newTestGateway(t, Config{Rate: 1e-6, Burst: 1})
	g.sub.full = true
	// Malformed error stanzas, error stanzas the engine cannot take, and
	// error stanzas beyond the rate: none gets an answer.
	for _, s := range []string{
		stanza("message", agent.String(), room.String(), "e1", "error",
			"<x xmlns='http://jabber.org/protocol/muc#user'><invite/></x>"),
		stanza("presence", agent.String(), service.String(), "e2", "error",
			"<agent xmlns='urn:parley:chat:0' max-chats='-5'/>"),
		stanza("message", "@bad@", room.String(), "e3", "error", ""),
		stanza("message", agent.String(), room.String(), "e4", "error", "<body>bounced</body>"),
		stanza("presence", agent.String(), room.String()+"/Alice", "e5", "error", ""),
		stanza("message", agent.String(), room.String(), "e6", "error", "<body>bounced</body>"),
	} {
		g.handle(t, s)
	}
	if sent := g.out.all(); len(sent) != 0 {
		t.Errorf("answered error stanzas with %v", sent)
	}
	// And a direct errorReply to an error is refused too.
	g.errorReply(readStanza(t, []byte(stanza("message", agent.String(), room.String(), "e7", "error", ""))),
		muc.Errorf(muc.Cancel, muc.BadRequest, "x"))
	if sent := g.out.all(); len(sent) != 0 {
		t.Errorf("errorReply answered an error: %v", sent)
	}
}

func TestHandleVersion(t *testing.T) {
	g := newTestGateway(t, Config{Version: "1.2.3"})
	g.handle(t, stanza("iq", agent.String(), service.String(), "v1", "get", "<query xmlns='jabber:iq:version'/>"))
	if in := g.sub.all(); len(in) != 0 {
		t.Errorf("version submitted to the engine: %v", in)
	}
	sent := g.out.all()
	if len(sent) != 1 {
		t.Fatalf("sent %d stanzas, want 1", len(sent))
	}
	want := `<iq type="result" id="v1" from="chat.example.com" to="alice@example.com/desk">` +
		`<query xmlns="jabber:iq:version"><name>Parley</name><version>1.2.3</version></query></iq>`
	if got := sent[0].String(); got != want {
		t.Errorf("version answer:\n got %s\nwant %s", got, want)
	}
	_, spaces := readBack(t, sent[0].String())
	if got := spaces["query/name"]; len(got) != 1 || got[0] != "jabber:iq:version" {
		t.Errorf("name in %v, want jabber:iq:version", got)
	}
}

func TestHandleBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, in, kind, typ, cond string
	}{
		{"unknown namespace", stanza("iq", agent.String(), service.String(), "x", "get", "<query xmlns='jabber:iq:roster'/>"), "iq", "cancel", "service-unavailable"},
		{"unknown IQ type", stanza("iq", agent.String(), service.String(), "x", "poke", "<ping xmlns='urn:xmpp:ping'/>"), "iq", "modify", "bad-request"},
		{"IQ without child", stanza("iq", agent.String(), service.String(), "x", "get", ""), "iq", "modify", "bad-request"},
		{"bad to", stanza("iq", agent.String(), "@@", "x", "get", "<ping xmlns='urn:xmpp:ping'/>"), "iq", "modify", "bad-request"},
		{"bad history", stanza("presence", visitor.String(), room.String()+"/Ann", "x", "",
			"<x xmlns='http://jabber.org/protocol/muc'><history since='yesterday'/></x>"), "presence", "modify", "bad-request"},
		{"bad max-chats", stanza("presence", agent.String(), service.String(), "x", "",
			"<agent xmlns='urn:parley:chat:0' max-chats='x'/>"), "presence", "modify", "bad-request"},
		{"bad invitation", stanza("message", agent.String(), room.String(), "x", "",
			"<x xmlns='http://jabber.org/protocol/muc#user'><invite to='@@'/></x>"), "message", "modify", "bad-request"},
		{"MAM to the service", stanza("iq", agent.String(), service.String(), "x", "set", "<query xmlns='urn:xmpp:mam:2'/>"), "iq", "cancel", "service-unavailable"},
		{"MAM to an occupant", stanza("iq", agent.String(), room.String()+"/Ann", "x", "set", "<query xmlns='urn:xmpp:mam:2'/>"), "iq", "cancel", "service-unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestGateway(t, Config{})
			g.handle(t, tc.in)
			sent := g.out.all()
			if len(sent) != 1 {
				t.Fatalf("sent %d stanzas, want 1", len(sent))
			}
			expectError(t, sent[0], tc.kind, "x", tc.typ, tc.cond)
			if _, _, text := errorOf(t, sent[0]); text == "" {
				t.Errorf("no <text/> saying what was wrong: %s", sent[0])
			}
			if in := g.sub.all(); len(in) != 0 {
				t.Errorf("bad input submitted: %v", in)
			}
			if calls := g.store.Calls(); len(calls) != 0 {
				t.Errorf("bad input read the store: %v", calls)
			}
		})
	}
}

// A stanza that is not a stanza (the server would not send one) is dropped.
func TestHandleUnknownElement(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.Handle(xmpp.New(xmpp.NSComponent, "handshake"))
	if len(g.out.all()) != 0 || len(g.sub.all()) != 0 {
		t.Error("an unknown element led somewhere")
	}
}

const validToken = "q8V2pTn0sXb3Lk9mWc4RzA7yHd6JfE1u" // 24 bytes base64url

func TestHandleRequestReadsToken(t *testing.T) {
	if _, ok := sessions.HashToken(validToken); !ok {
		t.Fatal("test token is malformed")
	}
	g := newTestGateway(t, Config{})
	g.store.tokenKnown = true
	g.handle(t, stanza("iq", visitor.String(), service.String(), "r1", "set",
		"<request xmlns='urn:parley:chat:0' token='"+validToken+"'/>"))
	q := g.sub.next(t).(*sessions.IQ)
	if c := q.Cmd.(*sessions.RequestCmd); !c.TokenKnown || c.Token != validToken {
		t.Errorf("request after the read: %s", dump(c))
	}

	// A malformed token needs no read: submitted at once, not known.
	g.handle(t, stanza("iq", visitor.String(), service.String(), "r2", "set",
		"<request xmlns='urn:parley:chat:0' token='short'/>"))
	q = g.sub.next(t).(*sessions.IQ)
	if c := q.Cmd.(*sessions.RequestCmd); c.TokenKnown {
		t.Errorf("malformed token known: %s", dump(c))
	}
	if calls := g.store.Calls(); len(calls) != 1 {
		t.Errorf("store calls %v, want one TokenKnown", calls)
	}
}

func TestHandleStoreDownGetsInternalServerError(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.store.err = errors.New("connection refused")
	g.handle(t, stanza("iq", visitor.String(), service.String(), "r1", "set",
		"<request xmlns='urn:parley:chat:0' token='"+validToken+"'/>"))
	expectError(t, g.out.next(t), "iq", "r1", "wait", "internal-server-error")
	g.handle(t, stanza("iq", visitor.String(), service.String(), "c1", "set",
		"<reconnect xmlns='urn:parley:chat:0' session='s1' token='"+validToken+"'/>"))
	expectError(t, g.out.next(t), "iq", "c1", "wait", "internal-server-error")
	if in := g.sub.all(); len(in) != 0 {
		t.Errorf("submitted despite the failed read: %v", in)
	}
}

func TestHandleReconnectReadsSession(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.handle(t, stanza("iq", visitor.String(), service.String(), "c1", "set",
		"<reconnect xmlns='urn:parley:chat:0' session='gone' token='"+validToken+"'/>"))
	if c := g.sub.next(t).(*sessions.IQ).Cmd.(*sessions.ReconnectCmd); c.Stored != nil {
		t.Errorf("unknown session read as %s", dump(c.Stored))
	}
	g.store.record = &sessions.Record{ID: "s1", State: sessions.StateClosed}
	g.handle(t, stanza("iq", visitor.String(), service.String(), "c2", "set",
		"<reconnect xmlns='urn:parley:chat:0' session='s1' token='"+validToken+"'/>"))
	if c := g.sub.next(t).(*sessions.IQ).Cmd.(*sessions.ReconnectCmd); c.Stored == nil || c.Stored.ID != "s1" {
		t.Errorf("stored session not attached: %s", dump(c))
	}
}

func TestHandleMAMReadsSession(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.store.record = &sessions.Record{ID: room.Localpart(), State: sessions.StateClosed}
	g.store.agents = []sessions.SessionAgent{{Session: room.Localpart(), JID: "alice@example.com", Role: "owner"}}
	g.handle(t, stanza("iq", agent.String(), room.String(), "q1", "set", "<query xmlns='urn:xmpp:mam:2'/>"))
	c := g.sub.next(t).(*sessions.IQ).Cmd.(*sessions.MAMCmd)
	if c.Stored == nil || len(c.StoredAgents) != 1 {
		t.Errorf("MAM command after the read: %s", dump(c))
	}
	if calls := g.store.Calls(); len(calls) != 1 || calls[0] != "Session "+room.Localpart() {
		t.Errorf("store calls %v", calls)
	}
}

func TestHandleCannedReadsStore(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.store.canned = []sessions.Canned{{ID: "greeting", Title: "Hello", Body: "Hello, how can I help?"}}

	g.handle(t, stanza("iq", agent.String(), service.String(), "k1", "get", "<canned xmlns='urn:parley:chat:0'/>"))
	if c := g.sub.next(t).(*sessions.IQ).Cmd.(*sessions.CannedCmd); len(c.List) != 1 {
		t.Errorf("canned get: %s", dump(c))
	}
	g.handle(t, stanza("iq", agent.String(), room.String(), "k2", "set", "<canned xmlns='urn:parley:chat:0' id='greeting'/>"))
	if c := g.sub.next(t).(*sessions.IQ).Cmd.(*sessions.CannedCmd); c.Resolved == nil || c.Resolved.Body != "Hello, how can I help?" {
		t.Errorf("canned set: %s", dump(c))
	}
	g.handle(t, stanza("iq", agent.String(), room.String(), "k3", "set", "<canned xmlns='urn:parley:chat:0' id='nope'/>"))
	if c := g.sub.next(t).(*sessions.IQ).Cmd.(*sessions.CannedCmd); c.Resolved != nil {
		t.Errorf("unknown canned resolved: %s", dump(c))
	}
	g.handle(t, stanza("iq", agent.String(), room.String(), "k4", "set",
		"<command xmlns='http://jabber.org/protocol/commands' node='canned'/>"))
	if c := g.sub.next(t).(*sessions.IQ).Cmd.(*sessions.AdHocCmd); len(c.Canned) != 1 {
		t.Errorf("canned command: %s", dump(c))
	}
	// Other commands need no read.
	g.handle(t, stanza("iq", agent.String(), room.String(), "k5", "set",
		"<command xmlns='http://jabber.org/protocol/commands' node='close'/>"))
	if c := g.sub.next(t).(*sessions.IQ).Cmd.(*sessions.AdHocCmd); c.Node != "close" || c.Canned != nil {
		t.Errorf("close command: %s", dump(c))
	}
	if n := len(g.store.Calls()); n != 4 {
		t.Errorf("%d store calls, want 4: %v", n, g.store.Calls())
	}
}

func TestDeliverEncodesAndCountsDrops(t *testing.T) {
	g := newTestGateway(t, Config{})
	g.Deliver([]sessions.Out{
		&muc.Message{From: room, To: visitor, Type: "groupchat", Body: "one"},
		unknownOut{}, // encodes to nil: skipped
		&sessions.Stanza{Name: "iq", Type: "result", ID: "r1", From: service, To: visitor},
	})
	sent := g.out.all()
	if len(sent) != 2 || sent[0].Name.Local != "message" || sent[1].Name.Local != "iq" {
		t.Fatalf("delivered %v", sent)
	}
	if n := g.counter(t, "parley_stanzas_out_total", "message"); n != 1 {
		t.Errorf("stanzas_out_total{kind=message} = %v", n)
	}

	g.out.err = xmpp.ErrQueueFull
	g.Deliver([]sessions.Out{&muc.Message{From: room, To: visitor, Type: "groupchat", Body: "two"}})
	if n := g.counter(t, "parley_stanzas_dropped_total", ""); n != 1 {
		t.Errorf("stanzas_dropped_total = %v, want 1", n)
	}
}

// waitSender is a fakeSender whose queue is full for Send and has room
// after a wait for SendWait (as xmpp.Conn's while the server catches up).
type waitSender struct {
	*fakeSender
	waits int
}

func (s *waitSender) SendWait(_ context.Context, els ...*xmpp.Element) (bool, error) {
	s.mu.Lock()
	s.waits++
	s.sent = append(s.sent, els...)
	s.mu.Unlock()
	return true, nil
}

// A committed batch's deliveries wait for room in a full outgoing queue
// rather than being dropped; answers and notices outside a batch still do
// not wait.
func TestDeliverWaitsForRoom(t *testing.T) {
	g := newTestGateway(t, Config{})
	ws := &waitSender{fakeSender: newFakeSender()}
	ws.err = xmpp.ErrQueueFull // Send finds the queue full
	g.Attach(ws, g.sub)

	g.Deliver([]sessions.Out{
		&muc.Message{From: room, To: visitor, Type: "groupchat", Body: "kept"},
		&muc.Message{From: room, To: agent, Type: "groupchat", Body: "kept"},
	})
	if sent := ws.all(); len(sent) != 2 || ws.waits != 2 {
		t.Fatalf("delivered %d stanzas in %d waits, want 2 in 2", len(sent), ws.waits)
	}
	if n := g.counter(t, "parley_stanzas_dropped_total", ""); n != 0 {
		t.Errorf("stanzas_dropped_total = %v, want 0", n)
	}
	if n := g.counter(t, "parley_stanzas_waited_total", ""); n != 2 {
		t.Errorf("stanzas_waited_total = %v, want 2", n)
	}
	if n := g.counter(t, "parley_stanzas_out_total", "message"); n != 2 {
		t.Errorf("stanzas_out_total{kind=message} = %v, want 2", n)
	}

	// An error answer from the reader does not wait: dropped, counted.
	g.handle(t, stanza("iq", "ann@example.com/a", room.String(), "i1", "bogus", "<ping xmlns='urn:xmpp:ping'/>"))
	if n := g.counter(t, "parley_stanzas_dropped_total", ""); n != 1 {
		t.Errorf("stanzas_dropped_total after an answer to a full queue = %v, want 1", n)
	}
}

func TestArchiveAnswersFromTheStore(t *testing.T) {
	g := newTestGateway(t, Config{})
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	g.store.transcript = []sessions.Entry{
		{Seq: 42, At: at, Nick: "Ann", Body: "Hello"},
		{Seq: 43, At: at.Add(time.Second), Body: "Chat suspended", Payload: `<event xmlns='urn:parley:chat:0' type='suspended'/>`},
	}
	g.store.complete = true
	mq, merr := parseMAM(readStanza(t, []byte(`<query xmlns='urn:xmpp:mam:2' queryid='f1'><set xmlns='http://jabber.org/protocol/rsm'><max>2</max><after>41</after></set></query>`)))
	if merr != nil {
		t.Fatal(merr)
	}
	q := &sessions.IQ{From: visitor, To: room, ID: "q1", Type: "set", Cmd: &sessions.MAMCmd{Query: mq}}
	g.archive(context.Background(), sessions.MAMGrant{IQ: q, Session: room.Localpart(), NoComments: true})

	sent := g.out.all()
	var b strings.Builder
	for _, s := range sent {
		b.WriteString(s.String())
		b.WriteString("\n")
	}
	golden(t, "testdata/mam/archive.xml", b.String())
	if len(sent) != 3 {
		t.Fatalf("sent %d stanzas, want 2 results and the fin", len(sent))
	}
	if qs := g.store.queries; len(qs) != 1 || qs[0].AfterSeq != 41 || qs[0].Max != 2 || !qs[0].NoComments || qs[0].Session != room.Localpart() {
		t.Errorf("transcript query %+v", g.store.queries)
	}
	for _, s := range sent {
		readBack(t, s.String())
	}
	_, spaces := readBack(t, sent[2].String())
	for path, want := range map[string]string{"fin": nsMAM, "fin/set": nsRSM, "fin/set/first": nsRSM, "fin/set/last": nsRSM, "fin/set/count": nsRSM} {
		if got := spaces[path]; len(got) != 1 || got[0] != want {
			t.Errorf("%s in %v, want %s", path, got, want)
		}
	}

	// Archive runs the same off the caller's goroutine.
	g.Archive([]sessions.MAMGrant{{IQ: q, Session: room.Localpart()}})
	for i := 0; i < 3; i++ {
		<-g.out.ch // the three stanzas sent above
	}
	for i := 0; i < 3; i++ {
		if el := g.out.next(t); i == 2 && el.Child(nsMAM, "fin") == nil {
			t.Errorf("Archive: last stanza %s, want the fin", el)
		}
	}

	// A failed read is an internal-server-error to the asker.
	g.store.err = errors.New("down")
	g.archive(context.Background(), sessions.MAMGrant{IQ: q, Session: room.Localpart()})
	sent = g.out.all()
	expectError(t, sent[len(sent)-1], "iq", "q1", "wait", "internal-server-error")
}

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(2, 3) // 2 a second, bursts of 3
	for i := 0; i < 3; i++ {
		if !l.allow("a", t0) {
			t.Fatalf("burst: stanza %d refused", i)
		}
	}
	if l.allow("a", t0) {
		t.Error("4th stanza at once allowed")
	}
	if !l.allow("b", t0) {
		t.Error("another key limited")
	}
	if l.allow("a", t0.Add(400*time.Millisecond)) {
		t.Error("allowed after 0.4s (0.8 tokens)")
	}
	if !l.allow("a", t0.Add(500*time.Millisecond)) {
		t.Error("refused after 0.5s (1 token)")
	}
	if l.allow("a", t0.Add(500*time.Millisecond)) {
		t.Error("the refilled token was spent twice")
	}
	// A long pause refills to the burst, no more.
	later := t0.Add(time.Hour)
	for i := 0; i < 3; i++ {
		if !l.allow("a", later) {
			t.Fatalf("after an hour: stanza %d refused", i)
		}
	}
	if l.allow("a", later) {
		t.Error("refilled beyond the burst")
	}
}

func TestLimiterSweep(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newLimiter(1, 2)
	l.allow("idle", t0)
	l.allow("busy", t0.Add(10*time.Second))
	l.allow("busy", t0.Add(10*time.Second))
	l.sweep(t0.Add(10 * time.Second))
	if _, ok := l.buckets["idle"]; ok {
		t.Error("a refilled bucket survived the sweep")
	}
	if _, ok := l.buckets["busy"]; !ok {
		t.Error("a drained bucket was swept: its JID would get a fresh burst")
	}

	// Past 50000 keys a new key sweeps first.
	l = newLimiter(1, 1)
	for i := 0; i <= 50000; i++ {
		l.buckets[fmt.Sprint("k", i)] = rate.NewLimiter(1, 1) // full
	}
	drained := rate.NewLimiter(1, 1)
	drained.AllowN(t0, 1)
	l.buckets["drained"] = drained
	if !l.allow("new", t0) {
		t.Error("new key refused")
	}
	if n := len(l.buckets); n != 2 {
		t.Errorf("%d buckets after the sweep, want 2 (drained, new)", n)
	}
}

// unknownOut is an effect the encoder does not know.
type unknownOut struct{}

func (unknownOut) Outgoing() {}

// Every typed answer renders with its content: an answer whose tokens do not
// decode back into an element came out as an empty <iq type='result'/>
// (the canned list and the resumable prompt did once).
func TestTypedAnswersRenderWithContent(t *testing.T) {
	sess := sessions.SessionAnswer{ID: "s1", Room: room, State: sessions.StateActive}
	for name, p := range map[string]sessions.Payload{
		"canned":      &sessions.CannedList{Items: []sessions.Canned{{ID: "hi", Title: "Hello", Body: "Hello!"}}},
		"resumable":   &sessions.Resumable{Mode: "prompt", Session: sess},
		"session":     &sess,
		"reconnected": &sessions.Reconnected{Session: "s1", State: sessions.StateActive},
	} {
		el := payloadEl(p)
		if el == nil || el.Name.Space != wire.NS {
			t.Errorf("%s: rendered %v", name, el)
			continue
		}
		if name == "canned" || name == "resumable" {
			if len(el.Children) == 0 {
				t.Errorf("%s: rendered without its children: %s", name, el)
			}
		}
	}
}
