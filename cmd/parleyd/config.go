package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
)

// config is every setting of parleyd serve. Each comes from a flag, else the
// environment (PARLEY_<NAME>), else the TOML file (--config), else its default.
type config struct {
	Domain          string
	XMPPAddr        string
	Secret          string
	DatabaseURL     string
	HTTPAddr        string
	Capacity        int
	OfferTimeout    time.Duration
	QueueLimit      int
	Queues          string
	HistoryLimit    int
	MaxBody         int
	MaxField        int
	WorkspaceMax    int
	WorkspaceAgents int
	Rate            float64
	Burst           int
	IdleSuspend     time.Duration
	Grace           time.Duration
	SuspendTimeout  time.Duration
	AbandonAfter    time.Duration
	// Limits per visitor (sessions/limits.go); 0 disables one.
	VisitorSessions int
	VisitorRate     int
	VisitorQueued   int
	Causes          string
	Reconnect       string
	WidgetWS        string
	WidgetAnonHost  string
	AgentWS         string
	AgentDomain     string
	LogLevel        string
	ConfigFile      string
	SignInNode      string
	ServerDomain    string
	MaxStanza       int
	// Availability and data protection (leader.go, retention.go).
	LeaderStale time.Duration
	Retention   int
}

func (c *config) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Domain, "domain", "chat.localhost", "component JID of the service")
	fs.StringVar(&c.XMPPAddr, "xmpp-addr", "127.0.0.1:5347", "XMPP server's component listener (host:port)")
	fs.StringVar(&c.Secret, "secret", "", "component secret shared with the XMPP server")
	fs.StringVar(&c.DatabaseURL, "database-url", "postgres://localhost/parley", "PostgreSQL connection URL")
	fs.StringVar(&c.HTTPAddr, "http-addr", "127.0.0.1:8080", "HTTP listener for /metrics, /healthz, /readyz, the widget at / and its suspend beacon at /beacon")
	fs.IntVar(&c.Capacity, "capacity", 3, "default chats per agent when its presence names none")
	fs.DurationVar(&c.OfferTimeout, "offer-timeout", 30*time.Second, "how long an offer waits for the agent to join")
	fs.IntVar(&c.QueueLimit, "queue-limit", 100, "sessions waiting per queue (0: no limit)")
	fs.StringVar(&c.Queues, "queues", "default", "comma-separated queue names; the first is the default")
	fs.IntVar(&c.HistoryLimit, "history-limit", 500, "messages of history sent on join (and kept in memory per room)")
	fs.IntVar(&c.MaxBody, "max-body", 8192, "largest message or request body in bytes")
	fs.IntVar(&c.MaxField, "max-field", 1024, "largest visitor detail in bytes")
	fs.IntVar(&c.WorkspaceMax, "workspace-max", sessions.DefaultWorkspaceMax, "most sessions one agent's workspace lists (the longest suspended are left out and counted)")
	fs.IntVar(&c.WorkspaceAgents, "workspace-agents", sessions.DefaultWorkspaceAgents, "most colleagues one agent's workspace lists (those least able to take a chat are left out and counted)")
	fs.Float64Var(&c.Rate, "rate", 20, "stanzas per second allowed per JID")
	fs.IntVar(&c.Burst, "burst", 40, "burst of stanzas allowed per JID above the rate")
	fs.DurationVar(&c.IdleSuspend, "idle-suspend", 2*time.Minute, "time with no visitor present before a session is suspended by the system")
	fs.DurationVar(&c.Grace, "grace", 2*time.Minute, "time an offline agent keeps its sessions")
	fs.DurationVar(&c.SuspendTimeout, "suspend-timeout", 24*time.Hour, "time a suspended session waits before it expires")
	fs.IntVar(&c.VisitorSessions, "visitor-sessions", 3, "open chats (queued, active, suspended) one visitor may have, per connection and per token (0: no limit)")
	fs.IntVar(&c.VisitorRate, "visitor-requests-per-minute", 10, "chat requests (and left messages) one visitor may make in a minute, per JID and per token (0: no limit)")
	fs.IntVar(&c.VisitorQueued, "visitor-queued", 2, "chats one visitor may have waiting in queues at once (0: no limit)")
	fs.DurationVar(&c.AbandonAfter, "abandon-after", 2*time.Minute, "time a queued visitor may be away (or take to join) before its session is abandoned; it keeps its place meanwhile")
	fs.StringVar(&c.Causes, "causes", "Investigation,Visitor Machine Restart", "comma-separated causes of suspension")
	fs.StringVar(&c.Reconnect, "reconnect", "prompt", "what a returning visitor gets: prompt or always")
	fs.StringVar(&c.WidgetWS, "widget-websocket", "ws://localhost:5280/xmpp-websocket", "the XMPP server's WebSocket URL that the visitor widget uses")
	fs.StringVar(&c.WidgetAnonHost, "widget-anonymous-host", "guest.localhost", "the XMPP server's anonymous host where the visitor widget logs in")
	fs.StringVar(&c.AgentWS, "agent-websocket", "", "the XMPP server's WebSocket URL that the agent console at /agent/ uses (empty: the widget's)")
	fs.StringVar(&c.AgentDomain, "agent-domain", "localhost", "the agents' XMPP domain: a console login without @ gets it")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.ServerDomain, "server-domain", "", "the XMPP server's own domain, pinged to acknowledge what the component wrote, "+
		"so that what a dropped connection lost is written again (default: --domain without its first label; off: none)")
	fs.IntVar(&c.MaxStanza, "max-stanza", xmpp.DefaultMaxStanza, "most bytes one stanza to the XMPP server may take: the server closes the component's stream on a larger one "+
		"(Prosody's component_stanza_size_limit, 512 KB by default); a larger IQ answer becomes a resource-constraint error, anything else is left out (0: no limit)")
	fs.StringVar(&c.SignInNode, "signin-node", "agents", "node part of the sign-in address agents add as a contact (NODE@domain)")
	fs.StringVar(&c.ConfigFile, "config", "", "optional TOML file with the same settings (keys as the flags, - or _)")
	fs.DurationVar(&c.LeaderStale, "leader-stale", 5*time.Second, "active/standby: how old the active parleyd's heartbeat may get before a standby takes over")
	fs.IntVar(&c.Retention, "retention", 0, "days a closed, expired or abandoned session (transcript, visitor details, token) is kept; 0 keeps them forever")
}

func envName(flagName string) string {
	return "PARLEY_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// load parses args and fills what they leave unset from the environment and
// the TOML file.
func loadConfig(fs *flag.FlagSet, args []string) (*config, error) {
	c := &config{}
	c.flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["config"] {
		if v, ok := os.LookupEnv(envName("config")); ok {
			c.ConfigFile = v
			set["config"] = true
		}
	}
	file := map[string]any{}
	if c.ConfigFile != "" {
		if _, err := toml.DecodeFile(c.ConfigFile, &file); err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		for k := range file {
			name := strings.ReplaceAll(k, "_", "-")
			if fs.Lookup(name) == nil {
				return nil, fmt.Errorf("config file: unknown setting %q", k)
			}
		}
	}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || set[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", envName(f.Name), e)
			}
			return
		}
		for _, k := range []string{f.Name, strings.ReplaceAll(f.Name, "-", "_")} {
			if v, ok := file[k]; ok {
				s := fmt.Sprint(v)
				if list, isList := v.([]any); isList {
					parts := make([]string, len(list))
					for i, x := range list {
						parts[i] = fmt.Sprint(x)
					}
					s = strings.Join(parts, ",")
				}
				if e := fs.Set(f.Name, s); e != nil {
					err = fmt.Errorf("config file %s: %w", k, e)
				}
				return
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if c.Reconnect != "prompt" && c.Reconnect != "always" {
		return nil, fmt.Errorf("reconnect must be prompt or always, not %q", c.Reconnect)
	}
	if c.VisitorSessions < 0 || c.VisitorRate < 0 || c.VisitorQueued < 0 {
		return nil, fmt.Errorf("visitor-sessions, visitor-requests-per-minute and visitor-queued must be 0 (no limit) or more")
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// usage prints the settings with their environment names.
func usage(fs *flag.FlagSet, head string) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintln(w, head)
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		sort.Strings(names)
		for _, n := range names {
			f := fs.Lookup(n)
			fmt.Fprintf(w, "  --%s (env %s, default %q)\n      %s\n", n, envName(n), f.DefValue, f.Usage)
		}
	}
}
