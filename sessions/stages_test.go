package sessions

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The runner tells OnStage each stage of a batch, in the order the batch
// goes through them: a request is queued, decided, handed to the committer,
// committed and delivered. (The durations are not checked: no timing
// assertions in tests.)
func TestRunnerReportsStages(t *testing.T) {
	j := &journal{delivered: make(chan []Out, 16)}
	r := NewRunner(NewEngine(testConfig()), fakeStore{j}, fakeBox{j}, fixedClock{t0}, quiet, 8)
	r.TickEvery = time.Hour
	var mu sync.Mutex
	var seen []string
	delivered := make(chan struct{})
	r.OnStage = func(stage string, d time.Duration) {
		if d < 0 {
			t.Errorf("stage %s took %v", stage, d)
		}
		mu.Lock()
		seen = append(seen, stage)
		mu.Unlock()
		if stage == StageDeliver {
			close(delivered)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	if !r.Submit(requestIQ()) {
		t.Fatal("submit refused")
	}
	select {
	case <-delivered:
	case <-time.After(10 * time.Second):
		t.Fatalf("no deliver stage; journal %v", j.lines())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{StageQueue, StageEngine, StagePipe, StageCommit, StageDeliver}
	if !equal(seen, want) {
		t.Errorf("stages %v, want %v", seen, want)
	}
}
