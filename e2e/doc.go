// Package e2e holds Parley's end-to-end tests: parleyd as a real process,
// connected to a private XMPP server of scripts/testbed.sh (Prosody by default;
// ejabberd with PARLEY_TESTBED_ENV=.state/testbed-ejabberd.env, as scripts/test.sh
// runs it too) and a Postgres schema of its own per test, driven by real XMPP
// clients (mellium here, slixmpp from Python scripts under testdata). The
// federated-agent tests use the federation test bed beside Prosody (an agents'
// server linked over s2s). Tests that need a browser are named TestBrowser*: they
// run against Prosody only.
package e2e
