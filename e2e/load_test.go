package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
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
	muc := loadToolMUC(t, p)
	// The echo component takes a component domain of its own from the test bed.
	echo := testbed.Component(t, p.env)
	const rooms, messages = 2, 5
	var rep loadReport
	stderr, runErr := runLoadTool(t, p, muc, &rep, "--agents", "agent1,agent2",
		"--echo-domain", echo, "--xmpp-addr", p.env.XMPPAddr, "--secret", p.env.Secret,
		"--modes", "parley,muc,echo", "--rooms", strconv.Itoa(rooms), "--messages", strconv.Itoa(messages),
		"--concurrency", "2", "--window", "2", "--stall", "15s", "--time-limit", "90s")
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
		t.Logf("parleyload stderr:\n%s", stderr)
	}
}

// loadToolMUC is the MUC of the server this run is on (PARLEY_TEST_MUC),
// the load tool's baseline; a test bed started before its server had one
// cannot run the load tool.
func loadToolMUC(t *testing.T, p *parley) string {
	t.Helper()
	muc := p.env.MUC
	if muc == "" {
		muc = envOr("PARLEY_TEST_MUC", "conference.example.test")
	}
	if r := p.visitor().iq("get", muc, `<query xmlns='http://jabber.org/protocol/disco#info'/>`); r.Get("type") != "result" {
		missingTool(t, "the test bed's server has no MUC at "+muc+" (restart it: scripts/testbed.sh down && scripts/testbed.sh up): "+errorCondition(r))
	}
	return muc
}

var (
	loadToolOnce sync.Once
	loadToolBin  string
	loadToolErr  error
)

// runLoadTool runs parleyload (built once per e2e run, with -race, beside
// parleyd's binary) against p's test bed and service: the connection flags,
// --json and -v, then args; its report is decoded into rep. It returns what
// parleyload wrote to stderr and how it exited.
func runLoadTool(t *testing.T, p *parley, muc string, rep any, args ...string) (stderr string, runErr error) {
	t.Helper()
	loadToolOnce.Do(func() {
		loadToolBin = filepath.Join(filepath.Dir(binary), "parleyload")
		out, err := exec.Command("go", "build", "-race", "-o", loadToolBin, "../cmd/parleyload").CombinedOutput()
		if err != nil {
			loadToolErr = fmt.Errorf("build parleyload: %v\n%s", err, out)
		}
	})
	if loadToolErr != nil {
		t.Fatal(loadToolErr)
	}
	cmd := exec.Command(loadToolBin, append([]string{"--json", "-v",
		"--c2s", p.env.C2SAddr, "--agent-host", p.env.AgentHost, "--guest-host", p.env.GuestHost,
		"--password", p.env.Password, "--service", p.Domain, "--database-url", p.DSN, "--muc", muc}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	runErr = cmd.Run()
	if err := json.Unmarshal(out.Bytes(), rep); err != nil {
		t.Fatalf("parleyload (%v) printed no report: %v\nstdout:\n%s\nstderr:\n%s", runErr, err, out.String(), errOut.String())
	}
	return errOut.String(), runErr
}
