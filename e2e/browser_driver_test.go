package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The browser driver: Debian's Chromium, driven by playwright-core through
// web/test/driver.mjs (one node process per browser, JSON lines on its stdin
// and stdout), with the operations every page needs: pages, clicks, typing,
// waiting for a locator, reading attributes, evaluating script, screenshots
// (test-artifacts/screenshots/), cookies and restarts.
//
// On top of it: the page objects, widget_page_test.go (the visitor's widget
// on the demo shop parleyd serves) and console_page_test.go (the agent
// console at /agent/), and the scenarios, browser_test.go and the other
// TestBrowser* and TestAgentConsole* tests, where the agents are mellium
// clients (internal/xmpptest) or consoles.
//
// They need node, web/node_modules (npm ci in web/) and /usr/bin/chromium
// (scripts/install-deps.sh); without them they skip, or fail under CI=true.

const chromiumPath = "/usr/bin/chromium"

// requireBrowser skips (or fails in CI) when the browser tools are missing.
func requireBrowser(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(envOr("PARLEY_CHROMIUM", chromiumPath)); err != nil {
		missing = append(missing, "chromium (apt-get install chromium)")
	}
	if _, err := os.Stat("../web/node_modules/playwright-core/package.json"); err != nil {
		missing = append(missing, "web/node_modules (npm ci in web/)")
	}
	if len(missing) == 0 {
		return
	}
	missingTool(t, "browser tests need "+strings.Join(missing, ", ")+"; run scripts/install-deps.sh")
}

// missingTool skips the test for want of a tool (msg says which and how to
// install it), or fails it when CI=true: in CI every tool is installed.
func missingTool(t *testing.T, msg string) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + " (CI=true, so this fails instead of skipping)")
	}
	t.Skip(msg)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// browser is one driver process: one Chromium at a time, many pages.
type browser struct {
	t       *testing.T
	p       *parley
	cmd     *exec.Cmd
	in      io.WriteCloser
	replies chan driverReply
	stderr  *syncBuilder
	next    int
	base    string
	shots   string
}

type driverReply struct {
	ID    int             `json:"id"`
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
}

func newBrowser(t *testing.T, p *parley) *browser {
	t.Helper()
	requireBrowser(t)
	cmd := exec.Command("node", "../web/test/driver.mjs")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, p: p, cmd: cmd, in: in, replies: make(chan driverReply, 16), stderr: &syncBuilder{},
		base: "http://" + p.HTTP + "/"}
	cmd.Stderr = writerFunc(func(d []byte) (int, error) { b.stderr.add(string(d)); return len(d), nil })
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the browser driver: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var r driverReply
			if json.Unmarshal(sc.Bytes(), &r) == nil {
				b.replies <- r
			}
		}
		close(b.replies)
	}()
	if r, ok := <-b.replies; !ok || !r.OK {
		t.Fatalf("browser driver did not start:\n%s", b.stderr.String())
	}
	root, _ := filepath.Abs("..")
	b.shots = filepath.Join(root, "test-artifacts", "screenshots")
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() && b.stderr.String() != "" {
			t.Logf("browser driver stderr:\n%s", b.stderr.String())
		}
	})
	return b
}

// do runs one driver operation and returns its value; a failure ends the test
// with a screenshot of every page named in args.
func (b *browser) do(op string, args map[string]any) json.RawMessage {
	b.t.Helper()
	v, err := b.try(op, args)
	if err != nil {
		if page, ok := args["page"].(string); ok && op != "screenshot" {
			path := filepath.Join(b.shots, "failed-"+b.t.Name()+"-"+page+".png")
			if _, e := b.try("screenshot", map[string]any{"page": page, "path": path}); e == nil {
				b.t.Logf("screenshot of %s: %s", page, path)
			}
		}
		b.t.Fatalf("browser %s %v: %v", op, args, err)
	}
	return v
}

func (b *browser) try(op string, args map[string]any) (json.RawMessage, error) {
	b.next++
	msg := map[string]any{"id": b.next, "op": op}
	for k, v := range args {
		msg[k] = v
	}
	line, _ := json.Marshal(msg)
	if _, err := b.in.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("driver gone: %w", err)
	}
	timeout := time.After(60 * time.Second)
	for {
		select {
		case r, ok := <-b.replies:
			if !ok {
				return nil, fmt.Errorf("driver exited:\n%s", b.stderr.String())
			}
			if r.ID != b.next {
				continue
			}
			if !r.OK {
				return nil, fmt.Errorf("%s", r.Error)
			}
			return r.Value, nil
		case <-timeout:
			return nil, fmt.Errorf("no answer in 60s")
		}
	}
}

type launchOpts struct {
	blockCookies bool
	state        string // a storageState file: a restart that keeps cookies
	phone        bool
}

func (b *browser) launch(o launchOpts) {
	b.t.Helper()
	args := map[string]any{}
	if o.blockCookies {
		args["cookies"] = false
	}
	if o.state != "" {
		args["state"] = o.state
	}
	if o.phone {
		args["viewport"] = map[string]int{"width": 375, "height": 740}
	}
	b.do("launch", args)
}

func (b *browser) click(page, target string) {
	b.t.Helper()
	b.do("click", map[string]any{"page": page, "target": target})
}

func (b *browser) fill(page, target, value string) {
	b.t.Helper()
	b.do("fill", map[string]any{"page": page, "target": target, "value": value})
}

func (b *browser) typeText(page, target, value string) {
	b.t.Helper()
	b.do("type", map[string]any{"page": page, "target": target, "value": value})
}

func (b *browser) press(page, key string) {
	b.t.Helper()
	b.do("press", map[string]any{"page": page, "key": key})
}

func (b *browser) waitFor(page, target, text string) {
	b.t.Helper()
	b.do("waitFor", map[string]any{"page": page, "target": target, "text": text})
}

func (b *browser) waitGone(page, target, text string) {
	b.t.Helper()
	b.do("waitFor", map[string]any{"page": page, "target": target, "text": text, "state": "hidden"})
}

func (b *browser) str(op string, args map[string]any) string {
	b.t.Helper()
	var s string
	if v := b.do(op, args); string(v) != "null" {
		if err := json.Unmarshal(v, &s); err != nil {
			b.t.Fatalf("%s: %s is not a string", op, v)
		}
	}
	return s
}

func (b *browser) attr(page, target, name string) string {
	b.t.Helper()
	return b.str("attr", map[string]any{"page": page, "target": target, "name": name})
}

func (b *browser) eval(page, expr string, v any) {
	b.t.Helper()
	if err := json.Unmarshal(b.do("eval", map[string]any{"page": page, "expr": expr}), v); err != nil {
		b.t.Fatal(err)
	}
}

// texts is the text of every element that target matches.
func (b *browser) texts(page, target string) []string {
	b.t.Helper()
	var l []string
	if err := json.Unmarshal(b.do("texts", map[string]any{"page": page, "target": target}), &l); err != nil {
		b.t.Fatal(err)
	}
	return l
}

func (b *browser) count(page, target string) int {
	b.t.Helper()
	var n int
	if err := json.Unmarshal(b.do("count", map[string]any{"page": page, "target": target}), &n); err != nil {
		b.t.Fatal(err)
	}
	return n
}

type focusInfo struct {
	Tag  string `json:"tag"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (b *browser) focused(page string) focusInfo {
	b.t.Helper()
	var f focusInfo
	if err := json.Unmarshal(b.do("focused", map[string]any{"page": page}), &f); err != nil {
		b.t.Fatal(err)
	}
	f.Name = strings.TrimSpace(f.Name)
	return f
}

// pageLog is what a page fetched and logged.
type pageLog struct {
	Requests []string `json:"requests"`
	Sockets  []string `json:"sockets"`
	Console  []string `json:"console"`
	Errors   []string `json:"errors"`
}

func (b *browser) log(page string) pageLog {
	b.t.Helper()
	var l pageLog
	if err := json.Unmarshal(b.do("log", map[string]any{"page": page}), &l); err != nil {
		b.t.Fatal(err)
	}
	return l
}

// shot saves a screenshot as test-artifacts/screenshots/NAME.png.
func (b *browser) shot(page, name string) {
	b.t.Helper()
	b.do("screenshot", map[string]any{"page": page, "path": filepath.Join(b.shots, name+".png")})
}

func (b *browser) saveState() string {
	b.t.Helper()
	path := filepath.Join(b.t.TempDir(), fmt.Sprintf("state-%d.json", b.next))
	b.do("saveState", map[string]any{"path": path})
	return path
}

// restart saves the browser's cookies, kills it like a power cut (no pagehide:
// the connections just drop) and starts a new one with those cookies.
func (b *browser) restart() {
	b.t.Helper()
	state := b.saveState()
	b.do("kill", nil)
	b.launch(launchOpts{state: state})
}
