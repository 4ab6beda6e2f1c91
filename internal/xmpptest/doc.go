// Package xmpptest is the XMPP client the project's tests and tools share: the
// e2e tests (package e2e) and the load generator (cmd/parleyload) both log in
// with it, read with it and write with it.
//
// It owns the parts that are the same for every user of a c2s test client:
// logging in to a server of the test bed (SASL PLAIN with a password, or
// ANONYMOUS as the widget does, on a loopback stream started as secure), the
// read loop that decodes each stanza into an [xmpp.Element] and hands it to one
// handler, writing stanzas (as XML text for set-up, as tokens for the hot path),
// closing or dropping the connection, and the predicates and error
// descriptions tests and tools ask of the stanzas they receive.
//
// What a user does with the stanzas it receives stays with that user: the e2e
// client keeps every stanza so a test can wait for what it expects; parleyload
// counts its load messages and hands the rest to waiters.
//
// [xmpp.Element]: github.com/parley-chat/parley/xmpp.Element
package xmpptest
