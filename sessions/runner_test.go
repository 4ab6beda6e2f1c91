package sessions

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// journal records, in order, what the store and the outbox were asked to do.
type journal struct {
	mu        sync.Mutex
	log       []string
	failures  int // Commit fails this many times first
	delivered chan []Out
}

func (j *journal) note(s string) { j.mu.Lock(); j.log = append(j.log, s); j.mu.Unlock() }

func (j *journal) lines() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.log...)
}

type fakeStore struct{ j *journal }

func (s fakeStore) Commit(ctx context.Context, b *Batch) error {
	s.j.mu.Lock()
	fail := s.j.failures > 0
	if fail {
		s.j.failures--
	}
	s.j.mu.Unlock()
	replay := ""
	if b.Replay {
		replay = " (replay)"
	}
	if fail {
		s.j.note("commit failed" + replay)
		return errors.New("store down")
	}
	s.j.note("commit" + replay)
	return nil
}
func (fakeStore) Load(context.Context, int) (*Snapshot, error) { return &Snapshot{}, nil }
func (fakeStore) Permissions(context.Context) (map[string]map[string]bool, error) {
	return nil, nil
}
func (fakeStore) TokenKnown(context.Context, []byte) (bool, error) { return false, nil }
func (fakeStore) Session(context.Context, string) (Record, []SessionAgent, error) {
	return Record{}, nil, ErrNotFound
}
func (fakeStore) Transcript(context.Context, Query) ([]Entry, bool, int, error) {
	return nil, true, 0, nil
}
func (fakeStore) CannedList(context.Context) ([]Canned, error)   { return nil, nil }
func (fakeStore) Canned(context.Context, string) (Canned, error) { return Canned{}, ErrNotFound }
func (fakeStore) Ping(context.Context) error                     { return nil }

type fakeBox struct{ j *journal }

func (b fakeBox) Deliver(out []Out) {
	if len(out) == 0 {
		return // a tick with nothing to say
	}
	b.j.note("deliver")
	select {
	case b.j.delivered <- out:
	default:
	}
}
func (b fakeBox) Archive(g []MAMGrant)     { b.j.note("archive") }
func (b fakeBox) Administer(ops []AdminOp) { b.j.note("admin") }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func startRunner(t *testing.T, failures int) (*Runner, *journal, context.CancelFunc, chan error) {
	t.Helper()
	j := &journal{failures: failures, delivered: make(chan []Out, 16)}
	cfg := testConfig()
	eng := NewEngine(cfg)
	r := NewRunner(eng, fakeStore{j}, fakeBox{j}, fixedClock{t0}, quiet, 8)
	r.TickEvery = time.Hour // no ticks unless a test wants them
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return r, j, cancel, done
}

func requestIQ() *IQ {
	return &IQ{From: jid.MustParse(ann), To: jid.MustParse(service), ID: "r1", Type: "set",
		Cmd: &RequestCmd{Queue: "support", Body: "Hi", Visitor: map[string]string{}}}
}

// The Runner commits a batch before it sends the stanzas that depend on it,
// and retries a failed commit without sending anything meanwhile.
func TestRunnerCommitsBeforeDelivering(t *testing.T) {
	for _, failures := range []int{0, 2} {
		r, j, cancel, done := startRunner(t, failures)
		if !r.Submit(requestIQ()) {
			t.Fatal("submit refused")
		}
		var out []Out
		select {
		case out = <-j.delivered:
		case <-time.After(10 * time.Second):
			t.Fatalf("nothing delivered; journal %v", j.lines())
		}
		// Every attempt after a failed one is a replay (Batch.Replay): the
		// failed one may have committed.
		want := []string{"commit", "deliver"}
		if failures > 0 {
			want = []string{"commit failed"}
			for i := 1; i < failures; i++ {
				want = append(want, "commit failed (replay)")
			}
			want = append(want, "commit (replay)", "deliver")
		}
		if got := j.lines(); !equal(got, want) {
			t.Errorf("%d failures: journal %v, want %v", failures, got, want)
		}
		if rr := reply(Output{Out: out}, "r1"); rr == nil || rr.Type != "result" {
			t.Errorf("delivered %+v, want the request's result", out)
		}
		if !r.StoreHealthy() {
			t.Error("store unhealthy after a successful commit")
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v", err)
		}
	}
}

// While the store is down nothing is sent; stopping then sends nothing.
func TestRunnerStopsWithoutSendingUncommitted(t *testing.T) {
	r, j, cancel, done := startRunner(t, 1<<30)
	r.Submit(requestIQ())
	deadline := time.Now().Add(10 * time.Second)
	for r.StoreHealthy() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if r.StoreHealthy() {
		t.Fatal("store still healthy after failed commits")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v", err)
	}
	for _, l := range j.lines() {
		if l == "deliver" {
			t.Error("delivered an uncommitted batch")
		}
	}
}

// Batches with nothing to write are sent at once; MAM grants go to Archive;
// ticks run the timers; OnBatch hears the stats.
func TestRunnerTicksAndArchive(t *testing.T) {
	j := &journal{delivered: make(chan []Out, 16)}
	eng := NewEngine(testConfig())
	eng.Process(t0, []Input{&Reload{Permissions: map[string]map[string]bool{bareOf(alice): {PermChat: true}}}})
	out := eng.Process(t0, []Input{requestIQ()})
	sid := out.Batch.Sessions[0].ID

	r := NewRunner(eng, fakeStore{j}, fakeBox{j}, nil, quiet, 1)
	r.TickEvery = time.Millisecond
	stats := make(chan Stats, 64)
	r.OnBatch = func(s Stats, _ time.Duration) {
		select {
		case stats <- s:
		default:
		}
	}
	if !r.Submit(&IQ{From: jid.MustParse(ann), To: roomJID(sid), ID: "m", Type: "set", Cmd: &MAMCmd{}}) {
		t.Fatal("submit refused")
	}
	if r.Submit(&IQ{}) {
		t.Error("a full input queue accepted more")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	select {
	case s := <-stats:
		if s.ByState[StateQueued] != 1 {
			t.Errorf("stats %+v", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no batch ran")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !contains(j.lines(), "archive") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if !contains(j.lines(), "archive") {
		t.Errorf("journal %v, want the MAM grant archived", j.lines())
	}
}
