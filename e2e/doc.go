// Package e2e holds Parley's end-to-end tests: parleyd as a real process,
// connected to a private XMPP server of scripts/testbed.sh (Prosody by default;
// ejabberd with PARLEY_TESTBED_ENV=.state/testbed-ejabberd.env, as scripts/test.sh
// runs it too) and a Postgres schema of its own per test, driven by real XMPP
// clients (mellium here, slixmpp from Python scripts under testdata). The
// federated-agent tests use the federation test bed beside Prosody (an agents'
// server linked over s2s). Tests that need a browser are named TestBrowser*: they
// run against Prosody only. The fault tests with the widget (TestWidget*) need
// the browser too and run on both servers (the widget over ejabberd's WebSocket
// works). PARLEY_TAKEOVER_LOG and PARLEY_FAULT_LOG, when set, name files the
// fault tests append their figures to (docs/protocol.md quotes them).
//
// Where things are: parley_test.go starts parleyd (startParley, startParleyOn,
// standbyOf in standby_test.go) and holds the helpers about it; client_test.go
// is the mellium client, on internal/xmpptest (shared with cmd/parleyload);
// private_test.go runs the test bed's scripts for a test's own Prosody or
// Postgres. The browser tests are in three layers: browser_driver_test.go
// (Chromium through playwright-core), the page objects widget_page_test.go
// (the visitor's widget) and console_page_test.go (the agent console), and the
// scenarios (browser_test.go, console*_test.go and the other TestBrowser*).
package e2e
