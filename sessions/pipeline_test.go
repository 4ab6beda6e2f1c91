package sessions

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// gatedStore is a Store whose Commit waits for a release and records, in
// order, the sessions each commit wrote.
type gatedStore struct {
	fakeStore
	mu      sync.Mutex
	events  []string       // "commit N" and "deliver N", in order
	commits [][]string     // the session ids of each commit
	gate    chan struct{}  // a commit takes one token before it returns
	started chan struct{}  // a commit began (buffered)
	slow    func() bool    // nil: never; true: this commit waits for the gate
	pending map[string]int // session id -> the commit that wrote it
}

func (s *gatedStore) Commit(ctx context.Context, b *Batch) error {
	select {
	case s.started <- struct{}{}:
	default:
	}
	if s.slow == nil || s.slow() {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.commits)
	var ids []string
	for _, r := range b.Sessions {
		ids = append(ids, r.ID)
		s.pending[r.ID] = n
	}
	s.commits = append(s.commits, ids)
	s.events = append(s.events, "commit "+strconv.Itoa(n))
	return nil
}

// gatedBox records each delivery as the commit its sessions came from.
type gatedBox struct {
	s         *gatedStore
	t         *testing.T
	delivered chan []Out
}

func (b gatedBox) Deliver(out []Out) {
	if len(out) == 0 {
		return
	}
	b.s.mu.Lock()
	commit := -1
	for _, o := range out {
		st, ok := o.(*Stanza)
		if !ok || st.Name != "iq" || st.Type != "result" {
			continue
		}
		a, ok := st.Payload.(*SessionAnswer)
		if !ok {
			continue
		}
		n, written := b.s.pending[a.ID]
		if !written {
			b.t.Errorf("delivered the answer creating %s before any commit wrote it", a.ID)
			continue
		}
		if commit >= 0 && n != commit {
			b.t.Errorf("one delivery carries sessions of commits %d and %d", commit, n)
		}
		commit = n
	}
	b.s.events = append(b.s.events, "deliver "+strconv.Itoa(commit))
	b.s.mu.Unlock()
	b.delivered <- out
}
func (gatedBox) Archive([]MAMGrant)   {}
func (gatedBox) Administer([]AdminOp) {}

func (s *gatedStore) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

func visitorRequest(i int) *IQ {
	return &IQ{From: jid.MustParse("p" + strconv.Itoa(i) + "@guest.example.com/w"), To: jid.MustParse(service),
		ID: "r" + strconv.Itoa(i), Type: "set",
		Cmd: &RequestCmd{Queue: "support", Body: "Hi", Visitor: map[string]string{"name": "P"}}}
}

// notifyClock tells each reading: the runner reads the clock once per batch,
// after it took the batch's inputs and before the engine decides it.
type notifyClock struct{ read chan struct{} }

func (c notifyClock) Now() time.Time {
	select {
	case c.read <- struct{}{}:
	default:
	}
	return t0
}

func newGated(t *testing.T, slow func() bool) (*Runner, *gatedStore, gatedBox, context.CancelFunc, chan error) {
	t.Helper()
	return newGatedClock(t, slow, fixedClock{t0})
}

func newGatedClock(t *testing.T, slow func() bool, clock Clock) (*Runner, *gatedStore, gatedBox, context.CancelFunc, chan error) {
	t.Helper()
	s := &gatedStore{gate: make(chan struct{}, 1024), started: make(chan struct{}, 1024), slow: slow, pending: make(map[string]int)}
	box := gatedBox{s: s, t: t, delivered: make(chan []Out, 1024)}
	cfg := testConfig()
	cfg.QueueLimit = 0
	r := NewRunner(NewEngine(cfg), s, box, clock, quiet, 1024)
	r.TickEvery = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return r, s, box, cancel, done
}

// The next batch is decided while the previous one commits; nothing is
// delivered before its commit, and deliveries come in commit order.
func TestRunnerDecidesWhileCommitting(t *testing.T) {
	clock := notifyClock{read: make(chan struct{}, 16)}
	r, s, box, cancel, done := newGatedClock(t, nil, clock)
	r.Submit(visitorRequest(1))
	<-clock.read
	<-s.started // the first batch is committing, held at the gate
	// The engine takes the second request, alone, while the first commit
	// waits: it is decided and waits in the pipe for the committer; a third
	// is decided too and waits for room in the pipe.
	decided := func(what string) {
		t.Helper()
		select {
		case <-clock.read:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s was not taken while the first batch was committing", what)
		}
	}
	r.Submit(visitorRequest(2))
	decided("the second request")
	r.Submit(visitorRequest(3))
	decided("the third request")
	if got := s.log(); len(got) != 0 {
		t.Fatalf("while the first commit waits: %v, want nothing committed or delivered", got)
	}
	for i := 0; i < 3; i++ {
		s.gate <- struct{}{}
		select {
		case out := <-box.delivered:
			want := "r" + strconv.Itoa(i+1)
			if rr := reply(Output{Out: out}, want); rr == nil || rr.Type != "result" {
				t.Fatalf("delivery %d: %+v, want the answer to %s", i, out, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("delivery %d never came: %v", i, s.log())
		}
	}
	want := []string{"commit 0", "deliver 0", "commit 1", "deliver 1", "commit 2", "deliver 2"}
	if got := s.log(); !equal(got, want) {
		t.Errorf("journal %v, want %v", got, want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v", err)
	}
}

// With a store that is sometimes slow and inputs arriving meanwhile, every
// delivery follows its own commit, in commit order, and every request is
// answered once.
func TestRunnerPipelineOrder(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		var mu sync.Mutex
		slow := func() bool { mu.Lock(); defer mu.Unlock(); return rng.IntN(2) == 0 }
		r, s, box, cancel, done := newGated(t, slow)
		const n = 60
		go func() {
			for i := 0; i < n; i++ {
				for !r.Submit(visitorRequest(i)) {
					time.Sleep(time.Millisecond)
				}
				if i%7 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
		go func() {
			feed := rand.New(rand.NewPCG(seed, 2))
			for range n {
				s.gate <- struct{}{}
				time.Sleep(time.Duration(feed.IntN(2)) * time.Millisecond)
			}
		}()
		answered := make(map[string]int)
		for len(answered) < n {
			select {
			case out := <-box.delivered:
				for _, o := range out {
					if st, ok := o.(*Stanza); ok && st.Name == "iq" && st.Type == "result" {
						answered[st.ID]++
					}
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("seed %d: %d of %d answered; journal %v", seed, len(answered), n, s.log())
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v", err)
		}
		for id, k := range answered {
			if k != 1 {
				t.Errorf("seed %d: %s answered %d times", seed, id, k)
			}
		}
		// commit k, deliver k, commit k+1, …: each delivery right after its
		// commit, never one ahead of a commit.
		next := 0
		ev := s.log()
		for i := 0; i < len(ev); i += 2 {
			if ev[i] != "commit "+strconv.Itoa(next) || i+1 >= len(ev) || ev[i+1] != "deliver "+strconv.Itoa(next) {
				t.Fatalf("seed %d: journal %v breaks the order at %d", seed, ev, i)
			}
			next++
		}
	}
}
