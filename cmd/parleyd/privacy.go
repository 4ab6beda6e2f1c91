package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/sessions/pgstore"
	"github.com/prometheus/client_golang/prometheus"
)

// erase is `parleyd erase --session ID | --email ADDR | --token TOKEN`: it
// removes a visitor's personal data (ended sessions with their transcripts,
// visitor details and JIDs, and the tokens nothing else uses) and prints what
// it removed. Live sessions are listed and left alone.
func erase(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer) error {
	url := fs.String("database-url", os.Getenv("PARLEY_DATABASE_URL"), "PostgreSQL connection URL (env PARLEY_DATABASE_URL)")
	session := fs.String("session", "", "the session id")
	email := fs.String("email", "", "every session whose visitor gave this e-mail address (case-insensitive)")
	token := fs.String("token", "", "every session of this visitor token (the widget's cookie), and the token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n := 0
	for _, v := range []string{*session, *email, *token} {
		if v != "" {
			n++
		}
	}
	if n != 1 || len(fs.Args()) > 0 {
		return errors.New("usage: parleyd erase --session ID | --email ADDR | --token TOKEN")
	}
	by := pgstore.EraseBy{Session: *session, Email: *email}
	if *token != "" {
		h, ok := sessions.HashToken(*token)
		if !ok {
			return fmt.Errorf("%q is not a visitor token", *token)
		}
		by.TokenHash = h
	}
	if *url == "" {
		*url = "postgres://localhost/parley"
	}
	pool, store, err := openStore(ctx, *url, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := store.Erase(ctx, by)
	if err != nil {
		return err
	}
	printReport(stdout, rep)
	return nil
}

func printReport(w io.Writer, rep pgstore.EraseReport) {
	for _, e := range rep.Erased {
		details := "no visitor details"
		if len(e.Details) > 0 {
			details = "visitor details " + strings.Join(e.Details, ", ")
		}
		fmt.Fprintf(w, "erased session %s (%s): %d transcript entries, %s, %d visitor JIDs\n", e.Session, e.State, e.Entries, details, e.JIDs)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(w, "skipped session %s: it is %s; erase it once it is closed\n", s.Session, s.State)
	}
	if rep.Tokens > 0 {
		fmt.Fprintf(w, "removed %d visitor token(s)\n", rep.Tokens)
	}
	if len(rep.Erased) == 0 && len(rep.Skipped) == 0 && rep.Tokens == 0 {
		fmt.Fprintln(w, "nothing matched: nothing removed")
	}
}
