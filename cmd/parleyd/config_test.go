package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"
)

// clearEnv removes every PARLEY_ variable for the test (the test command
// exports the test bed's), restoring them after.
func clearEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PARLEY_") {
			t.Setenv(k, v) // registers the restore
			os.Unsetenv(k)
		}
	}
}

func TestConfigPrecedence(t *testing.T) {
	clearEnv(t)
	file := filepath.Join(t.TempDir(), "parley.toml")
	if err := os.WriteFile(file, []byte(`
domain = "file.example"
secret = "from-file"
offer_timeout = "45s"
capacity = 7
causes = ["Lunch", "Callback"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PARLEY_SECRET", "from-env")
	t.Setenv("PARLEY_CAPACITY", "5")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, err := loadConfig(fs, []string{"--config", file, "--capacity", "9"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Capacity != 9 { // flag beats env and file
		t.Errorf("capacity %d", c.Capacity)
	}
	if c.Secret != "from-env" { // env beats file
		t.Errorf("secret %q", c.Secret)
	}
	if c.Domain != "file.example" || c.OfferTimeout != 45*time.Second || c.Causes != "Lunch,Callback" { // file beats default
		t.Errorf("from file: %+v", c)
	}
	if c.Grace != 2*time.Minute { // default
		t.Errorf("grace %v", c.Grace)
	}
}

func TestConfigErrors(t *testing.T) {
	clearEnv(t)
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("no_such_setting = 1\n"), 0o600)
	for name, args := range map[string][]string{
		"unknown file key": {"--config", bad},
		"bad reconnect":    {"--reconnect", "sometimes"},
		"bad duration":     {"--grace", "soon"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, err := loadConfig(fs, args); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	t.Setenv("PARLEY_OFFER_TIMEOUT", "later")
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := loadConfig(fs, nil); err == nil || !strings.Contains(err.Error(), "PARLEY_OFFER_TIMEOUT") {
		t.Errorf("bad env: %v", err)
	}
}

func TestServeHelpListsSettings(t *testing.T) {
	var out strings.Builder
	err := run(t.Context(), []string{"serve", "--help"}, io.Discard, &out)
	if err == nil {
		t.Fatal("--help should end with flag.ErrHelp")
	}
	for _, s := range []string{"--domain", "PARLEY_DATABASE_URL", "--offer-timeout", "--queue-limit", "--history-limit", "--max-body", "--rate", "--reconnect"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("help lacks %s", s)
		}
	}
}

// The acknowledgement pings go to the server's own domain: the component's
// parent by default, the flag's domain, or nowhere.
func TestServerDomain(t *testing.T) {
	for _, c := range []struct{ flag, component, want string }{
		{"", "chat.example.com", "example.com"},
		{"", "chat.localhost", "localhost"},
		{"", "chat.com", ""},
		{"", "chat", ""},
		{"xmpp.example.org", "chat.example.com", "xmpp.example.org"},
		{"off", "chat.example.com", ""},
	} {
		got, err := serverDomain(c.flag, jid.MustParse(c.component))
		if err != nil || got.String() != c.want {
			t.Errorf("serverDomain(%q, %s) = %q, %v; want %q", c.flag, c.component, got.String(), err, c.want)
		}
	}
	for _, bad := range []string{"user@example.com", "example.com/res", "@@"} {
		if _, err := serverDomain(bad, jid.MustParse("chat.example.com")); err == nil {
			t.Errorf("serverDomain(%q) took it, want an error", bad)
		}
	}
}
