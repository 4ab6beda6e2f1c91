package testbed

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The components this process hands out, and a channel closed at every release.
var components = struct {
	sync.Mutex
	inUse   map[string]bool
	changed chan struct{}
}{inUse: map[string]bool{}, changed: make(chan struct{})}

// Component returns one of env.Components that no other test is using, in this
// process or (through a lock file under .state/locks) in any other, waiting until
// one is free. It is released when the test ends.
//
// Cleanups run last-registered first: stop whatever connects as the component in a
// cleanup registered after calling Component, so the connection is gone before the
// next test receives the domain (Prosody refuses a second connection for one
// domain with a `conflict` stream error).
func Component(t testing.TB, env Env) string {
	t.Helper()
	if len(env.Components) == 0 {
		t.Fatalf("testbed: no components in PARLEY_TEST_COMPONENTS")
	}
	dir := lockDir()
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("testbed: %v", err)
	}
	start := time.Now()
	warned := false
	for {
		components.Lock()
		for _, c := range env.Components {
			if components.inUse[c] {
				continue
			}
			release, ok, err := tryLock(filepath.Join(dir, lockName(env, c)))
			if err != nil {
				components.Unlock()
				t.Fatalf("testbed: locking component %s: %v", c, err)
			}
			if !ok {
				continue // another process has it
			}
			components.inUse[c] = true
			components.Unlock()
			t.Cleanup(func() {
				components.Lock()
				defer components.Unlock()
				release()
				delete(components.inUse, c)
				close(components.changed)
				components.changed = make(chan struct{})
			})
			return c
		}
		changed := components.changed
		components.Unlock()
		if !warned && time.Since(start) > 10*time.Second {
			t.Logf("testbed: waiting for one of the components %s to be free", strings.Join(env.Components, ", "))
			warned = true
		}
		select {
		case <-changed:
		case <-time.After(100 * time.Millisecond): // released by another process?
		}
	}
}

// lockName is the lock file of component c: the same domain on another server
// (the test bed's ejabberd beside its Prosody) is another component.
func lockName(env Env, c string) string {
	if env.Server == "" || env.Server == "prosody" {
		return c + ".lock"
	}
	return env.Server + "-" + c + ".lock"
}

// lockDir is .state/locks in the repository, or a directory under the system's
// temporary one when there is no go.mod above the working directory.
func lockDir() string {
	loadOnce.Do(load)
	if repoRoot != "" {
		return filepath.Join(repoRoot, ".state", "locks")
	}
	return filepath.Join(os.TempDir(), "parley-testbed-locks")
}
