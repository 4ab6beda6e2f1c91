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
package e2e
