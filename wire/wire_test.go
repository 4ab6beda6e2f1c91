package wire

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"mellium.im/xmlstream"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

type element interface {
	xmlstream.Marshaler
	xml.Marshaler
}

var started = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// Each element, its golden rendering, and a decoder that reads it back.
var cases = []struct {
	name   string
	value  element
	decode func([]byte) (any, error)
}{
	{"event_suspended", Event{Type: "suspended", By: "agent", State: "suspended", Cause: "Investigation", Wait: -1}, decodeAs[Event]},
	{"event_queued", Event{Type: "queued", By: "system", State: "queued", Position: 2, Wait: 0}, decodeAs[Event]},
	{"event_escaped", Event{Type: "assigned", State: "active", Agent: `Al "<&>" ice`, Wait: -1}, decodeAs[Event]},
	{"session_request", Session{ID: "k7q2", Room: "k7q2@chat.example.com", State: "queued", Token: "tok", Started: started}, decodeAs[Session]},
	{"session_reconnect", Session{ID: "k7q2", Room: "k7q2@chat.example.com", State: "suspended", SuspendedBy: "agent",
		Cause: "Lunch", Started: started, Replaces: "old1", Nick: "Ann", Reconnected: true}, decodeAs[Session]},
	{"resumable", Resumable{Mode: "prompt", Session: Session{ID: "k7q2", Room: "k7q2@chat.example.com", State: "active", Started: started}}, decodeAs[Resumable]},
	{"reconnected", Reconnected{Session: "k7q2", State: "suspended"}, decodeAs[Reconnected]},
	{"canned_marker", Canned{ID: "thanks"}, decodeAs[Canned]},
	{"canned_list", Canned{Items: []CannedItem{{ID: "c1", Title: "Thanks", Text: "Thank you & bye"}, {ID: "c2", Title: "Wait"}}}, decodeAs[Canned]},
	{"comment_marker", Comment{}, decodeAs[Comment]},
	{"comment_text", Comment{Text: "check <the> order"}, decodeAs[Comment]},
	{"request", Request{Queue: "support", Token: "tok", New: true, Visitor: map[string]string{"email": "ann@example.com", "name": "Ann"},
		Body: "Where is my parcel?"}, decodeAs[Request]},
	{"request_probe", Request{Token: "tok", Probe: true, Visitor: map[string]string{}}, decodeAs[Request]},
	{"reconnect", Reconnect{Session: "k7q2", Token: "tok"}, decodeAs[Reconnect]},
	{"suspend", Suspend{Cause: "Lunch"}, decodeAs[Suspend]},
	{"offer", Offer{Session: "k7q2", Timeout: 30, Queue: "support"}, decodeAs[Offer]},
	{"conference", Conference{Session: "k7q2", From: "alice@example.com", Mode: "transfer"}, decodeAs[Conference]},
	{"withdrawn", Withdrawn{Session: "k7q2", Reason: "visitor-left"}, decodeAs[Withdrawn]},
	{"missed", Missed{Session: "k7q2", Queue: "support"}, decodeAs[Missed]},
	{"leave_message", LeaveMessage{Queue: "support", Token: "tok", Visitor: map[string]string{"name": "Ann"}, Body: "Call me back"}, decodeAs[LeaveMessage]},
	{"workspace", Workspace{Me: Agent{JID: "a@example.com", Show: "dnd", Load: 2, Capacity: 4},
		Sessions: []WorkspaceSession{{ID: "k7q2", Room: "k7q2@chat.example.com", State: "suspended", Role: "owner", Queue: "support",
			Started: started, SuspendedBy: "agent", Cause: "Investigation", Reconnected: true,
			Visitor: Visitor{Name: "Ann", Email: "ann@example.org", Page: "https://shop.example/?a=1&b=2"}, Question: "Where is my <parcel>?"},
			{ID: "m3x9", Room: "m3x9@chat.example.com", State: "queued", Role: "offer", Started: started}},
		Unlisted: 7, UnlistedAgents: 2,
		Causes: []string{"Investigation", "Visitor Machine Restart"},
		Agents: []Agent{{JID: "b@example.com", Show: "available", Load: 0, Capacity: 3}},
		Queues: []QueueFigures{{Name: "support", Waiting: 2, Agents: 1, Oldest: 75}, {Name: "sales", Oldest: 0}, {Name: "empty", Oldest: -1}}}, decodeAs[Workspace]},
	{"workspace_signed_out", Workspace{Me: Agent{JID: "a@example.com", Show: "offline", Capacity: 1}}, decodeAs[Workspace]},
	{"queues", Queues{Queues: []QueueFigures{{Name: "support", Waiting: 1, Agents: 2, Free: 1, Oldest: -1}},
		Agents: []Agent{{JID: "b@example.com", Show: "away", Load: 1, Capacity: 1, Pending: 1}}, UnlistedAgents: 3}, decodeAs[Queues]},
	{"availability", Availability{Queues: []QueueStatus{{Name: "support", Status: "busy", Waiting: 3, Wait: 125},
		{Name: "sales", Status: "away", Full: true, Wait: -1}, {Name: "billing", Status: "available", Wait: 0}}}, decodeAs[Availability]},
	{"availability_request", Availability{Queue: "support"}, decodeAs[Availability]},
	{"agent_presence", AgentPresence{MaxChats: 4}, decodeAs[AgentPresence]},
	{"agent_presence_default", AgentPresence{}, decodeAs[AgentPresence]},
}

func decodeAs[T any, P interface {
	*T
	xml.Unmarshaler
}](b []byte) (any, error) {
	var v T
	if err := xml.Unmarshal(b, P(&v)); err != nil {
		return nil, err
	}
	return v, nil
}

func render(t *testing.T, v element) []byte {
	t.Helper()
	b, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Encoding matches the golden file; the three ways to write agree; decoding
// the golden file gives the value back.
func TestEncodeDecode(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.value)
			path := filepath.Join("testdata", c.name+".xml")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want = bytes.TrimSuffix(want, []byte("\n"))
			if !bytes.Equal(got, want) {
				t.Errorf("encoded:\n got %s\nwant %s", got, want)
			}
			var b bytes.Buffer
			enc := xml.NewEncoder(&b)
			if _, err := xmlstream.Copy(enc, c.value.TokenReader()); err != nil {
				t.Fatal(err)
			}
			if err := enc.Flush(); err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("TokenReader:\n got %s\nwant %s", b.String(), want)
			}
			back, err := c.decode(want)
			if err != nil {
				t.Fatalf("decode %s: %v", want, err)
			}
			if !reflect.DeepEqual(back, c.value) {
				t.Errorf("decoded %+v, want %+v", back, c.value)
			}
		})
	}
}

// Decoding takes what clients may write: other prefixes, unknown attributes
// and children, single quotes.
func TestDecodeLenient(t *testing.T) {
	var ev Event
	if err := xml.Unmarshal([]byte(`<p:event xmlns:p='urn:parley:chat:0' type='closed' by='visitor' extra='x'><unknown/></p:event>`), &ev); err != nil {
		t.Fatal(err)
	}
	if ev != (Event{Type: "closed", By: "visitor", Wait: -1}) {
		t.Errorf("event %+v", ev)
	}
	var s Session
	if err := xml.Unmarshal([]byte(`<session xmlns='urn:parley:chat:0' id='a' started='yesterday'/>`), &s); err == nil {
		t.Error("a started that is not a date-time must not decode")
	}
	var r Resumable
	if err := xml.Unmarshal([]byte(`<resumable xmlns='urn:parley:chat:0' mode='always'><x/><session id='s1'/></resumable>`), &r); err != nil || r.Mode != "always" || r.Session.ID != "s1" {
		t.Errorf("resumable %+v, %v", r, err)
	}
	if !strings.Contains(string(render(t, Canned{})), `<canned xmlns="urn:parley:chat:0"></canned>`) {
		t.Errorf("empty canned list: %s", render(t, Canned{}))
	}
}

// What a client may get wrong in a request is refused with the reason.
func TestDecodeRefusals(t *testing.T) {
	var r Request
	err := xml.Unmarshal([]byte(`<request xmlns='urn:parley:chat:0' new='maybe'/>`), &r)
	var be *BoolError
	if !errors.As(err, &be) || be.Attr != "new" || err.Error() != "new must be true or false" {
		t.Errorf("new='maybe': %v", err)
	}
	err = xml.Unmarshal([]byte(`<request xmlns='urn:parley:chat:0'><visitor name='a'/><visitor name='b'/></request>`), &r)
	if !errors.Is(err, ErrVisitors) {
		t.Errorf("two visitors: %v", err)
	}
	var lm LeaveMessage
	if err := xml.Unmarshal([]byte(`<leave-message xmlns='urn:parley:chat:0' queue='q'><visitor/></leave-message>`), &lm); !errors.Is(err, ErrNoBody) {
		t.Errorf("leave-message without body: %v", err)
	}
	var rc Reconnect
	if err := xml.Unmarshal([]byte(`<reconnect xmlns='urn:parley:chat:0' session='s'/>`), &rc); !errors.Is(err, ErrReconnect) {
		t.Errorf("reconnect without token: %v", err)
	}
	if err := xml.Unmarshal([]byte(`<request xmlns='urn:parley:chat:0' probe='1'><body>hi <b>there</b>!</body><x:visitor xmlns:x='urn:other' name='no'/></request>`), &r); err != nil ||
		!r.Probe || r.Body != "hi !" || len(r.Visitor) != 0 {
		t.Errorf("request %+v, %v", r, err)
	}
}

// A max-chats that is not a number from 1 to 1000 is refused; an empty one
// is the default.
func TestAgentPresenceMaxChats(t *testing.T) {
	for _, v := range []string{"0", "-1", "1001", "x", "2.5"} {
		var a AgentPresence
		err := xml.Unmarshal([]byte(`<agent xmlns='urn:parley:chat:0' max-chats='`+v+`'/>`), &a)
		if !errors.Is(err, ErrMaxChats) {
			t.Errorf("max-chats %q: err %v, want ErrMaxChats", v, err)
		}
	}
	for v, want := range map[string]int{"": 0, "1": 1, "1000": 1000} {
		var a AgentPresence
		if err := xml.Unmarshal([]byte(`<agent xmlns='urn:parley:chat:0' max-chats='`+v+`'/>`), &a); err != nil || a.MaxChats != want {
			t.Errorf("max-chats %q: %+v, %v; want %d", v, a, err, want)
		}
	}
}
