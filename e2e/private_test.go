package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Private servers: a Prosody or a Postgres of one test's own, started by the
// test bed's own scripts (scripts/lib/*.sh) under a temporary STATE, so that
// stopping or restarting it disturbs no other test. Their env files are read
// with testbed.Env.Overlay.

// scriptLib runs fn (shell) after sourcing scripts/lib/common.sh and
// scripts/lib/NAME.sh from the repository root, with STATE=state and the
// process environment less the variables named in drop.
func scriptLib(t *testing.T, state, name, fn string, drop ...string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", `. scripts/lib/common.sh && . scripts/lib/`+name+`.sh && `+fn)
	cmd.Dir = root
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(drop, k) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ROOT="+root, "STATE="+state)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", fn, err, out)
	}
}

// lib runs a scripts/lib/prosody.sh function with its own STATE.
func lib(t *testing.T, state, fn string) {
	t.Helper()
	scriptLib(t, state, "prosody", fn)
}

// pgLib runs a scripts/lib/pg.sh function with its own STATE, without the
// test bed's database URL (which would make pg_up start nothing).
func pgLib(t *testing.T, state, fn string) {
	t.Helper()
	scriptLib(t, state, "pg", fn, "PARLEY_DATABASE_URL", "PARLEY_TESTBED_OWN_DATABASE_URL")
}
