// Package e2e holds Parley's end-to-end tests: parleyd as a real process,
// connected to the private Prosody of scripts/testbed.sh and a Postgres schema
// of its own per test, driven by real XMPP clients (mellium here, slixmpp from
// Python scripts under testdata).
package e2e
