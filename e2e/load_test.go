package e2e

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parley-chat/parley/internal/testbed"
)

// loadReport is the part of parleyload's --json report the smoke test reads.
type loadReport struct {
	OK    bool `json:"ok"`
	Modes []struct {
		Mode       string `json:"mode"`
		Sent       int    `json:"sent"`
		Delivered  int    `json:"delivered"`
		Duplicates int    `json:"duplicates"`
		Errors     int    `json:"errors"`
		FirstError string `json:"first_error"`
		Failure    string `json:"failure"`
	} `json:"modes"`
}

// The load tool, small: every message it sends in every mode is delivered
// exactly once (behaviour; its speed is scripts/bench.sh's business).
func TestLoadToolDeliversEverything(t *testing.T) {
	p := startParley(t, "--rate", "1000", "--burst", "1000")
	mucHost := p.env.MUC // the MUC of the server this run is on (PARLEY_TEST_MUC)
	if mucHost == "" {
		mucHost = envOr("PARLEY_TEST_MUC", "conference.example.test")
	}

	// A test bed started before Prosody had a MUC component cannot run it.
	v := p.visitor()
	if r := v.iq("get", mucHost, `<query xmlns='http://jabber.org/protocol/disco#info'/>`); r.Get("type") != "result" {
		msg := "the test bed's Prosody has no MUC at " + mucHost + " (restart it: scripts/testbed.sh down && scripts/testbed.sh up): " + errorCondition(r)
		missingTool(t, msg)
	}

	// The echo component takes a component domain of its own from the test bed.
	echo := testbed.Component(t, p.env)

	bin := filepath.Join(t.TempDir(), "parleyload")
	build := exec.Command("go", "build", "-race", "-o", bin, "../cmd/parleyload")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build parleyload: %v\n%s", err, out)
	}
	const rooms, messages = 2, 5
	cmd := exec.Command(bin, "--json",
		"--c2s", p.env.C2SAddr, "--agent-host", p.env.AgentHost, "--guest-host", p.env.GuestHost,
		"--password", p.env.Password, "--agents", "agent1,agent2",
		"--service", p.Domain, "--database-url", p.DSN, "--muc", mucHost,
		"--echo-domain", echo, "--xmpp-addr", p.env.XMPPAddr, "--secret", p.env.Secret,
		"--modes", "parley,muc,echo", "--rooms", strconv.Itoa(rooms), "--messages", strconv.Itoa(messages),
		"--concurrency", "2", "--window", "2", "--stall", "15s", "--time-limit", "90s", "-v")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var rep loadReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("parleyload (%v) printed no report: %v\nstdout:\n%s\nstderr:\n%s", runErr, err, stdout.String(), stderr.String())
	}
	want := map[string]bool{"parley": true, "muc": true, "echo": true}
	for _, m := range rep.Modes {
		if !want[m.Mode] {
			t.Errorf("unexpected mode %q", m.Mode)
			continue
		}
		delete(want, m.Mode)
		if m.Failure != "" {
			t.Errorf("%s: %s", m.Mode, m.Failure)
		}
		if m.Sent != 2*rooms*messages || m.Delivered != m.Sent || m.Duplicates != 0 || m.Errors != 0 {
			t.Errorf("%s: sent %d, delivered %d, duplicates %d, errors %d (%s); want %d sent, all delivered once",
				m.Mode, m.Sent, m.Delivered, m.Duplicates, m.Errors, m.FirstError, 2*rooms*messages)
		}
	}
	for m := range want {
		t.Errorf("mode %s did not run", m)
	}
	if !rep.OK || runErr != nil {
		t.Errorf("parleyload reports ok=%v, exit %v", rep.OK, runErr)
	}
	if t.Failed() {
		t.Logf("parleyload stderr:\n%s", stderr.String())
	}
}
