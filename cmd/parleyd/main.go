// Command parleyd is Parley's composition root: it reads the configuration,
// opens the Postgres pool and applies migrations, builds the metrics registry,
// wires the component connection, the gateway and the sessions runner, serves
// HTTP (metrics, health, the visitor widget) and stops on SIGINT/SIGTERM. Its other subcommands
// administer permissions, canned responses and sessions.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/parley-chat/parley/gateway"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/sessions/pgstore"
	"github.com/parley-chat/parley/web"
	agentweb "github.com/parley-chat/parley/web/agent"
	"github.com/parley-chat/parley/xmpp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"mellium.im/xmpp/jid"
)

const version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "parleyd:", err)
		}
		os.Exit(1)
	}
}

const topUsage = `usage: parleyd [serve] [flags]        run the service (default)
       parleyd migrate [flags]         apply database migrations
       parleyd grant JID PERM...       grant permissions (chat, supervise, admin)
       parleyd revoke JID PERM...      revoke permissions
       parleyd queues JID [QUEUE...]   restrict an agent to queues (none: every queue)
       parleyd canned add ID TITLE BODY | canned list | canned rm ID
       parleyd sessions [--state S] [--limit N]
       parleyd erase --session ID | --email ADDR | --token TOKEN   remove a visitor's personal data
Every subcommand takes --database-url (env PARLEY_DATABASE_URL); see parleyd serve --help.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("parleyd "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch cmd {
	case "serve":
		fs.Usage = usage(fs, "usage: parleyd serve [flags]\nSettings (flag, else environment, else --config TOML file, else default):")
		cfg, err := loadConfig(fs, args)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stderr)
	case "migrate", "grant", "revoke", "queues", "canned", "sessions":
		return admin(ctx, cmd, fs, args, stdout)
	case "erase":
		return erase(ctx, fs, args, stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, topUsage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, topUsage)
}

func openStore(ctx context.Context, url string, reg prometheus.Registerer) (*pgxpool.Pool, *pgstore.Store, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	if err := pgstore.Migrate(pctx, pool); err != nil {
		pool.Close()
		return nil, nil, err
	}
	st, err := pgstore.New(pool, reg)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return pool, st, nil
}

func serve(ctx context.Context, cfg *config, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	procs := setProcs()
	domain, err := jid.Parse(cfg.Domain)
	if err != nil || domain.Localpart() != "" || domain.Resourcepart() != "" {
		return fmt.Errorf("domain %q is not a domain JID", cfg.Domain)
	}
	signIn, err := jid.New(cfg.SignInNode, domain.Domainpart(), "")
	if err != nil || cfg.SignInNode == "" {
		return fmt.Errorf("signin-node %q is not a valid node part", cfg.SignInNode)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)

	pool, store, err := openStore(ctx, cfg.DatabaseURL, reg)
	if err != nil {
		return err
	}
	defer pool.Close()

	eng := sessions.NewEngine(sessions.Config{
		Domain: domain, SignIn: signIn, Queues: splitList(cfg.Queues), HistoryLimit: cfg.HistoryLimit,
		DefaultCapacity: cfg.Capacity, OfferTimeout: cfg.OfferTimeout, QueueLimit: cfg.QueueLimit,
		MaxBody: cfg.MaxBody, MaxField: cfg.MaxField, MaxFields: 32,
		IdleSuspend: cfg.IdleSuspend, Grace: cfg.Grace, SuspendTimeout: cfg.SuspendTimeout,
		Causes: splitList(cfg.Causes), ReconnectAlways: cfg.Reconnect == "always", Observer: m,
		AbandonAfter: cfg.AbandonAfter, WorkspaceMax: cfg.WorkspaceMax, WorkspaceAgents: cfg.WorkspaceAgents,
		Limits: sessions.Limits{OpenSessions: cfg.VisitorSessions, RequestsPerMinute: cfg.VisitorRate, QueuedSessions: cfg.VisitorQueued},
	})
	lm := newLeaderMetrics(reg)
	lease, err := becomeActive(ctx, cfg, reg, lm, log, pool, store)
	if err != nil || lease == nil {
		return err // nil: stopped while a standby
	}
	defer lease.Release()
	defer lm.leader.Set(0)

	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	snap, err := store.Load(lctx, cfg.HistoryLimit)
	cancel()
	if err != nil {
		return err
	}
	eng.Restore(time.Now(), snap)
	queues, err := store.AgentQueues(ctx)
	if err != nil {
		return err
	}
	log.Info("state restored", "live_sessions", len(snap.Sessions), "signin", signIn.String(), "gomaxprocs", procs)

	// The parts (below) share one context, ended when any of them ends; the
	// gateway's is that one, so that a delivery waiting for room in the
	// outgoing queue (gateway.WaitSender) gives up when the runner stops.
	run := newParts(ctx)
	defer run.stop()
	gw := gateway.New(run.ctx, gateway.Config{Domain: domain, Rate: cfg.Rate, Burst: cfg.Burst, Version: version}, store, log, reg)
	runner := sessions.NewRunner(eng, store, gw, nil, log, 4096)
	runner.Submit(&sessions.Reload{Permissions: snap.Permissions, Queues: queues})
	stages := newStageMetrics(reg)
	runner.OnStage = stages.observe
	runner.OnBatch = func(st sessions.Stats, d time.Duration) {
		m.batch.Observe(d.Seconds())
		m.stats(st)
	}
	ackTo, err := serverDomain(cfg.ServerDomain, domain)
	if err != nil {
		return err
	}
	conn := xmpp.NewConn(xmpp.Config{Domain: domain, Addr: cfg.XMPPAddr, Secret: cfg.Secret, Logger: log, Undecodable: gw.Undecodable,
		MayConnect: lease.Fresh, OnStage: stages.observe, AckTo: ackTo, OnResend: m.resend,
		MaxStanza: cfg.MaxStanza, TooLarge: gw.TooLarge}, gw.Handle,
		func(up bool) {
			if up {
				m.up.Set(1)
			} else {
				m.up.Set(0)
			}
		})
	gw.Attach(conn, runner)
	conn.UseMeter(xmpp.NewWireMeter(reg)) // parley_component_sent_*_total, parley_component_writes_total

	widget, err := web.Handler(web.Config{WebSocket: cfg.WidgetWS, AnonymousHost: cfg.WidgetAnonHost, Service: domain.String()})
	if err != nil {
		return err
	}
	agentWS := cfg.AgentWS
	if agentWS == "" {
		agentWS = cfg.WidgetWS
	}
	console, err := agentweb.Handler(agentweb.Config{WebSocket: agentWS, AgentDomain: cfg.AgentDomain, Service: domain.String()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", widget)                     // the visitor widget and its demo page
	mux.Handle(agentweb.Prefix, console)        // the agent console
	mux.Handle(gateway.BeaconPath, gw.Beacon()) // the widget's suspend beacon
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		pctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var problems []string
		if !conn.Up() {
			problems = append(problems, "component not connected")
		}
		if err := store.Ping(pctx); err != nil || !runner.StoreHealthy() {
			problems = append(problems, "database unreachable")
		}
		if len(problems) > 0 {
			http.Error(w, "active: "+strings.Join(problems, "; "), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "active: ready")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("http listening", "addr", ln.Addr().String())

	// Every part runs until one ends (a signal cancels ctx; a lost lease or a
	// failed listener ends its part with an error), and serve returns only
	// once each has ended: the component connection is closed before the
	// deferred lease release, so that a standby taking over finds the
	// component free.
	run.run(func(ctx context.Context) error {
		select {
		case <-lease.Lost():
			return fmt.Errorf("no longer the active parleyd: %w", lease.Err())
		case <-ctx.Done():
			return nil
		}
	})
	run.run(func(context.Context) error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	run.run(func(ctx context.Context) error {
		<-ctx.Done()
		log.Info("stopping")
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return srv.Close() // requests still running after 5s are cut
		}
		return nil
	})
	run.run(runner.Run)
	run.run(conn.Run)
	run.run(func(ctx context.Context) error { return listenPermissions(ctx, pool, store, runner, log) })
	if cfg.Retention > 0 {
		run.run(func(ctx context.Context) error {
			return retention(ctx, store, cfg.Retention, time.Hour, lm.purged, log)
		})
	}
	return run.wait()
}

// listenPermissions reloads permissions whenever the store announces a change.
func listenPermissions(ctx context.Context, pool *pgxpool.Pool, store *pgstore.Store, r *sessions.Runner, log *slog.Logger) error {
	reload := func() {
		perms, err := store.Permissions(ctx)
		if err != nil {
			log.Error("reload permissions", "err", err)
			return
		}
		queues, err := store.AgentQueues(ctx)
		if err != nil {
			log.Error("reload agent queues", "err", err)
			return
		}
		r.Submit(&sessions.Reload{Permissions: perms, Queues: queues})
	}
	for ctx.Err() == nil {
		reload() // also catches changes made while not listening
		err := pgstore.Listen(ctx, pool, "parley_permissions", reload)
		if ctx.Err() != nil {
			return nil
		}
		log.Warn("permission listener ended; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

func admin(ctx context.Context, cmd string, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	url := fs.String("database-url", os.Getenv("PARLEY_DATABASE_URL"), "PostgreSQL connection URL (env PARLEY_DATABASE_URL)")
	state := fs.String("state", "", "sessions: only this state")
	limit := fs.Int("limit", 100, "sessions: at most this many")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		*url = "postgres://localhost/parley"
	}
	rest := fs.Args()
	pool, store, err := openStore(ctx, *url, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	defer pool.Close()
	switch cmd {
	case "migrate":
		fmt.Fprintln(stdout, "migrations applied")
		return nil
	case "grant", "revoke":
		if len(rest) < 2 {
			return fmt.Errorf("usage: parleyd %s JID PERMISSION...", cmd)
		}
		j, err := jid.Parse(rest[0])
		if err != nil {
			return fmt.Errorf("bad JID %q: %w", rest[0], err)
		}
		if cmd == "grant" {
			return store.Grant(ctx, j.Bare().String(), rest[1:]...)
		}
		return store.Revoke(ctx, j.Bare().String(), rest[1:]...)
	case "queues":
		if len(rest) < 1 {
			return errors.New("usage: parleyd queues JID [QUEUE...]")
		}
		j, err := jid.Parse(rest[0])
		if err != nil {
			return fmt.Errorf("bad JID %q: %w", rest[0], err)
		}
		return store.SetAgentQueues(ctx, j.Bare().String(), rest[1:])
	case "canned":
		if len(rest) == 0 {
			return errors.New("usage: parleyd canned add ID TITLE BODY | list | rm ID")
		}
		switch rest[0] {
		case "add":
			if len(rest) != 4 {
				return errors.New("usage: parleyd canned add ID TITLE BODY")
			}
			return store.CannedPut(ctx, sessions.Canned{ID: rest[1], Title: rest[2], Body: rest[3]})
		case "list":
			list, err := store.CannedList(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTITLE\tBODY")
			for _, c := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Title, c.Body)
			}
			return tw.Flush()
		case "rm":
			if len(rest) != 2 {
				return errors.New("usage: parleyd canned rm ID")
			}
			return store.CannedRemove(ctx, rest[1])
		}
		return fmt.Errorf("unknown canned command %q", rest[0])
	case "sessions":
		list, err := store.ListSessions(ctx, sessions.State(*state), *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tAGENT\tVISITOR\tQUEUE\tAGE")
		for _, r := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.State, dash(r.Owner), dash(r.Visitor["name"]), r.Queue,
				time.Since(r.CreatedAt).Round(time.Second))
		}
		return tw.Flush()
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// serverDomain is the domain the component pings for acknowledgements
// (xmpp.Config.AckTo): --server-domain, or the component's domain without its
// first label (chat.example.com: example.com); zero for "off", or for a
// domain with a single label.
func serverDomain(flag string, component jid.JID) (jid.JID, error) {
	switch flag {
	case "off":
		return jid.JID{}, nil
	case "":
		_, parent, ok := strings.Cut(component.Domainpart(), ".")
		if !ok || !strings.Contains(parent, ".") && parent != "localhost" {
			return jid.JID{}, nil
		}
		return jid.Parse(parent)
	}
	j, err := jid.Parse(flag)
	if err != nil || j.Localpart() != "" || j.Resourcepart() != "" {
		return jid.JID{}, fmt.Errorf("--server-domain %q: want a domain", flag)
	}
	return j, nil
}
