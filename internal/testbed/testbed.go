// Package testbed owns access from tests to the private Prosody and Postgres
// started by scripts/testbed.sh: where they listen and with what credentials
// (Get), a private Postgres schema per test (Schema), an XMPP component domain
// no other running test uses (Component), and free ports (FreePort).
//
// Start the test bed with `scripts/testbed.sh up` from the repository root (or run
// everything with scripts/test.sh). Tests that call Get are skipped when it is not
// running, and fail instead when the environment has CI=true.
package testbed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Env is where the test bed listens and how to log in.
type Env struct {
	DatabaseURL string   // PARLEY_DATABASE_URL: the `parley` database, a postgres:// URL
	XMPPAddr    string   // PARLEY_XMPP_ADDR: Prosody's component port (XEP-0114), host:port
	Secret      string   // PARLEY_SECRET: the shared secret of every component
	C2SAddr     string   // PARLEY_TEST_C2S_ADDR: client port, plain TCP (no TLS), host:port
	WSURL       string   // PARLEY_TEST_WS_URL: ws://…/xmpp-websocket
	BOSHURL     string   // PARLEY_TEST_BOSH_URL: http://…/http-bind
	HTTPAddr    string   // PARLEY_TEST_HTTP_ADDR: Prosody's HTTP port, host:port
	AgentHost   string   // PARLEY_TEST_AGENT_HOST: accounts agent1…agent12, super, admin, nochat (scripts/testbed.sh agents N adds up to agentN)
	GuestHost   string   // PARLEY_TEST_GUEST_HOST: anonymous logins
	Password    string   // PARLEY_TEST_PASSWORD: every account's password
	Components  []string // PARLEY_TEST_COMPONENTS: component domains for tests; take one with Component
	ProsodyLog  string   // PARLEY_TEST_PROSODY_LOG: Prosody's log file, to read on failure

	// Server is the XMPP server this environment runs on (PARLEY_TEST_SERVER:
	// "prosody", the default, or "ejabberd"); ServerLog is its log file
	// (PARLEY_TEST_SERVER_LOG, or ProsodyLog).
	Server    string
	ServerLog string
	// MUC is the server's own MUC service (PARLEY_TEST_MUC), EchoComponent a spare
	// component domain (PARLEY_TEST_ECHO_COMPONENT): the load tool's baselines.
	MUC           string
	EchoComponent string
	// UploadHost is the server's XEP-0363 file share for AgentHost's users
	// (PARLEY_TEST_UPLOAD_HOST), empty when the server has none.
	UploadHost string

	// The federation test bed (scripts/lib/federation.sh), empty when it is not
	// set up: a second server for the agents' domain RemoteHost, linked to this
	// one over s2s, its client port RemoteC2SAddr and its mod_http_api RemoteAPI.
	RemoteHost    string // PARLEY_TEST_REMOTE_HOST
	RemoteC2SAddr string // PARLEY_TEST_REMOTE_C2S_ADDR
	RemoteAPI     string // PARLEY_TEST_REMOTE_API
	RemoteLog     string // PARLEY_TEST_REMOTE_LOG
}

// EnvFile is the file `scripts/testbed.sh up` writes, relative to the repository root.
// PARLEY_TESTBED_ENV names another one (relative to the root, or absolute), e.g.
// EjabberdEnvFile to run the tests against the test bed's ejabberd.
const EnvFile = ".state/testbed.env"

// EjabberdEnvFile is the file `scripts/testbed.sh up --server ejabberd` writes.
const EjabberdEnvFile = ".state/testbed-ejabberd.env"

const hint = "start it with scripts/testbed.sh up (or run scripts/test.sh)"

type variable struct {
	name     string
	required bool
	set      func(*Env, string)
}

var variables = []variable{
	{"PARLEY_DATABASE_URL", true, func(e *Env, v string) { e.DatabaseURL = v }},
	{"PARLEY_XMPP_ADDR", true, func(e *Env, v string) { e.XMPPAddr = v }},
	{"PARLEY_SECRET", true, func(e *Env, v string) { e.Secret = v }},
	{"PARLEY_TEST_C2S_ADDR", true, func(e *Env, v string) { e.C2SAddr = v }},
	{"PARLEY_TEST_WS_URL", true, func(e *Env, v string) { e.WSURL = v }},
	{"PARLEY_TEST_BOSH_URL", true, func(e *Env, v string) { e.BOSHURL = v }},
	{"PARLEY_TEST_HTTP_ADDR", true, func(e *Env, v string) { e.HTTPAddr = v }},
	{"PARLEY_TEST_AGENT_HOST", true, func(e *Env, v string) { e.AgentHost = v }},
	{"PARLEY_TEST_GUEST_HOST", true, func(e *Env, v string) { e.GuestHost = v }},
	{"PARLEY_TEST_PASSWORD", true, func(e *Env, v string) { e.Password = v }},
	{"PARLEY_TEST_COMPONENTS", true, func(e *Env, v string) { e.Components = strings.Fields(v) }},
	{"PARLEY_TEST_PROSODY_LOG", false, func(e *Env, v string) { e.ProsodyLog = v }},
	{"PARLEY_TEST_SERVER", false, func(e *Env, v string) { e.Server = v }},
	{"PARLEY_TEST_SERVER_LOG", false, func(e *Env, v string) { e.ServerLog = v }},
	{"PARLEY_TEST_MUC", false, func(e *Env, v string) { e.MUC = v }},
	{"PARLEY_TEST_ECHO_COMPONENT", false, func(e *Env, v string) { e.EchoComponent = v }},
	{"PARLEY_TEST_UPLOAD_HOST", false, func(e *Env, v string) { e.UploadHost = v }},
	{"PARLEY_TEST_REMOTE_HOST", false, func(e *Env, v string) { e.RemoteHost = v }},
	{"PARLEY_TEST_REMOTE_C2S_ADDR", false, func(e *Env, v string) { e.RemoteC2SAddr = v }},
	{"PARLEY_TEST_REMOTE_API", false, func(e *Env, v string) { e.RemoteAPI = v }},
	{"PARLEY_TEST_REMOTE_LOG", false, func(e *Env, v string) { e.RemoteLog = v }},
}

var (
	loadOnce sync.Once
	loaded   Env
	problem  string // why the test bed cannot be used; empty when it can
	repoRoot string // the directory holding go.mod, or empty
)

// Get returns the test bed's Env. Each variable comes from the process
// environment or, when absent there, from .state/testbed.env in the directory
// holding go.mod (searched upwards from the working directory). Get checks once
// per process that Postgres and Prosody accept connections. When something is
// missing or unreachable it skips the test, or fails it when CI=true.
func Get(t testing.TB) Env {
	t.Helper()
	loadOnce.Do(load)
	if problem != "" {
		if inCI() {
			t.Fatalf("testbed: %s; %s (CI=true, so this fails instead of skipping)", problem, hint)
		}
		t.Skipf("testbed: %s; %s", problem, hint)
	}
	env := loaded
	env.Components = append([]string(nil), loaded.Components...)
	return env
}

func inCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

func load() {
	repoRoot = findRoot()
	var file map[string]string
	var fileErr error
	envPath := ""
	if name := os.Getenv("PARLEY_TESTBED_ENV"); name != "" && filepath.IsAbs(name) {
		envPath = name
		file, fileErr = readEnvFile(envPath)
	} else if repoRoot != "" {
		if name == "" {
			name = EnvFile
		}
		envPath = filepath.Join(repoRoot, name)
		file, fileErr = readEnvFile(envPath)
	} else {
		fileErr = errors.New("no go.mod above the working directory")
	}

	var missing []string
	fromEnv := map[string]bool{}
	for _, v := range variables {
		val, ok := os.LookupEnv(v.name)
		if ok && val != "" {
			fromEnv[v.name] = true
		} else {
			val = file[v.name]
		}
		if val == "" && v.required {
			missing = append(missing, v.name)
		}
		v.set(&loaded, val)
	}
	if loaded.Server == "" {
		loaded.Server = "prosody"
	}
	if loaded.ServerLog == "" {
		loaded.ServerLog = loaded.ProsodyLog
	}
	if len(missing) > 0 && len(fromEnv) == 0 && fileErr != nil {
		problem = fmt.Sprintf("not set up: no PARLEY_* variables in the environment, and %v", fileErr)
		if envPath != "" && errors.Is(fileErr, os.ErrNotExist) {
			problem = fmt.Sprintf("not set up: no PARLEY_* variables in the environment, and no %s", envPath)
		}
		return
	}
	if len(missing) > 0 {
		where := envPath
		if fileErr != nil {
			where = fmt.Sprintf("%s (%v)", envPath, fileErr)
		}
		problem = fmt.Sprintf("not running: %s not set in the environment nor in %s",
			strings.Join(missing, ", "), where)
		return
	}

	var down []string
	if network, addr, err := databaseAddr(loaded.DatabaseURL); err != nil {
		down = append(down, fmt.Sprintf("PARLEY_DATABASE_URL: %v", err))
	} else if err := dial(network, addr); err != nil {
		down = append(down, fmt.Sprintf("Postgres at %s (%v)", addr, err))
	}
	for _, c := range []struct{ what, addr string }{
		{loaded.Server + " component port", loaded.XMPPAddr},
		{loaded.Server + " c2s", loaded.C2SAddr},
		{loaded.Server + " http", loaded.HTTPAddr},
	} {
		if err := dial("tcp", c.addr); err != nil {
			down = append(down, fmt.Sprintf("%s at %s (%v)", c.what, c.addr, err))
		}
	}
	if len(down) > 0 {
		var names []string
		for _, v := range variables {
			if fromEnv[v.name] {
				names = append(names, v.name)
			}
		}
		source := "addresses from " + envPath
		switch {
		case len(names) == len(variables):
			source = "addresses from the environment"
		case len(names) > 0:
			source += "; from the environment: " + strings.Join(names, ", ")
		}
		problem = "not reachable: " + strings.Join(down, ", ") + "; " + source
	}
}

func dial(network, addr string) error {
	c, err := net.DialTimeout(network, addr, 3*time.Second)
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errors.New("connection refused")
	}
	if err != nil {
		return err
	}
	return c.Close()
}

// databaseAddr finds where a Postgres connection string points (its first host).
func databaseAddr(dsn string) (network, addr string, err error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "", "", err
	}
	if strings.HasPrefix(cfg.Host, "/") {
		return "unix", filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d", cfg.Port)), nil
	}
	return "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), nil
}

// findRoot walks up from the working directory to the directory holding go.mod.
func findRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func readEnvFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseEnv(data), nil
}

// parseEnv reads `export NAME=VALUE` (or `NAME=VALUE`) lines as a POSIX shell
// would for the quoting scripts/testbed.sh writes: '…', "…" and backslashes.
func parseEnv(data []byte) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "export "))
		name, value, ok := strings.Cut(line, "=")
		if !ok || !validName(name) {
			continue
		}
		vars[name] = shellWord(value)
	}
	return vars
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// shellWord unquotes one shell word, stopping at unquoted blank space.
func shellWord(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			return b.String()
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				b.WriteString(s[i+1:])
				return b.String()
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`", s[i+1]) >= 0 {
					i++
				}
				b.WriteByte(s[i])
			}
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testbed: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
