package gateway

// Regression tests: each comment below describes a bug as it was found,
// before it was fixed; the test holds the fix.

import (
	"reflect"
	"strings"
	"testing"
)

// XEP-0359 origin-id is the sender's own id for its message, which clients
// use to recognise the room's reflection of what they sent (Prosody relays it
// untouched). decodeMessage drops it with the forged <stanza-id/>, because
// kept() refuses the whole urn:xmpp:sid:0 namespace (decode.go, kept:
// `case muc.NSUser, nsDelay, nsSID, nsStanzas: return false`). Only
// <stanza-id/>, which the room stamps itself, should go.
//
// Input: testdata/in/message_groupchat.xml (…<origin-id xmlns='urn:xmpp:sid:0'
// id='de305d54-…'/><stanza-id xmlns='urn:xmpp:sid:0' by='ROOM' id='999'/>…).
// Output: Payload with neither. (The .golden file records today's output and
// needs -update once this is fixed.)
func TestRegress_OriginIDDropped(t *testing.T) {
	m, err := decodeMessage(readStanza(t, []byte(
		`<message from='alice@example.com/desk' to='k7q2mzbv4hx3ncde5tw6yrfj2a@chat.example.com' type='groupchat' id='m1'>`+
			`<body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='de305d54-75b4-431b-adb2-eb6b9e546014'/>`+
			`<stanza-id xmlns='urn:xmpp:sid:0' by='k7q2mzbv4hx3ncde5tw6yrfj2a@chat.example.com' id='999'/></message>`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Payload, "origin-id") || !strings.Contains(m.Payload, "de305d54-75b4-431b-adb2-eb6b9e546014") {
		t.Errorf("origin-id dropped: payload %q", m.Payload)
	}
	if strings.Contains(m.Payload, "stanza-id") {
		t.Errorf("forged stanza-id kept: payload %q", m.Payload)
	}
}

// decodePresence accepts max-chats='0' ("a number from 0 to 1000") but stores
// it in Presence.MaxChats, where 0 means "absent" (sessions/io.go), and the
// router reads capacity <= 0 as the configured default. An agent that says it
// takes 0 chats is given the default capacity and still receives requests.
// decode.go, decodePresence: `p.MaxChats = n` with n == 0 accepted by
// `n < 0 || n > 1000`. Either 0 must be refused (bad-request) or be told apart
// from no <agent/> at all.
func TestRegress_MaxChatsZeroMeansDefault(t *testing.T) {
	zero, err := decodePresence(readStanza(t, []byte(
		`<presence from='alice@example.com/desk' to='chat.example.com'><agent xmlns='urn:parley:chat:0' max-chats='0'/></presence>`)))
	if err != nil {
		return // refused: fine
	}
	none, err := decodePresence(readStanza(t, []byte(
		`<presence from='alice@example.com/desk' to='chat.example.com'/>`)))
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(zero, none) {
		t.Errorf("max-chats='0' decodes to the same input as a presence without <agent/> (MaxChats %d): the agent gets the default capacity", zero.MaxChats)
	}
}
