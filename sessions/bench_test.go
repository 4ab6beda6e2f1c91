package sessions

import (
	"strconv"
	"testing"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// The benchmarks here come in pairs: the domain's work next to the bare room
// it wraps, so that the session rules' overhead reads as a ratio of the two
// (ns/op of BenchmarkEngineGroupchat/history=H/batch=1 over
// BenchmarkRoomSendBaseline/history=H), whatever the machine. H is the
// room's history window: 100 (the tests' configuration) and 500 (parleyd's
// default --history-limit); the window is full during the measurement.

// benchHistory are the history windows the benchmarks run with.
var benchHistory = []int{100, 500}

const benchBody = "Hello, my parcel has not arrived yet: could you look it up?"

// benchRoom is an engine holding one active session: ann (the visitor) and
// alice (its agent) in the room, which is returned.
func benchRoom(b *testing.B, history int) (*Engine, jid.JID) {
	b.Helper()
	cfg := testConfig()
	cfg.HistoryLimit = history
	e := NewEngine(cfg)
	step := func(in ...Input) Output {
		out := e.Process(t0, in)
		if len(out.Panics) > 0 {
			b.Fatalf("engine panicked: %v", out.Panics)
		}
		return out
	}
	step(&Reload{Permissions: map[string]map[string]bool{bareOf(alice): {PermChat: true}}})
	step(&Presence{From: jid.MustParse(alice), To: jid.MustParse(service)})
	q := &IQ{From: jid.MustParse(ann), To: jid.MustParse(service), ID: "r1", Type: "set",
		Cmd: &RequestCmd{Queue: "support", Body: "Where is my parcel?", Visitor: map[string]string{"name": "Ann"}}}
	r := reply(step(q), "r1")
	if r == nil || r.Type != "result" {
		b.Fatalf("request answered %+v", r)
	}
	a, ok := r.Payload.(*SessionAnswer)
	if !ok {
		b.Fatalf("no session in %+v", r.Payload)
	}
	sid := a.ID
	step(&Presence{From: jid.MustParse(ann), To: occupantJID(sid, "Ann"), MUC: true, History: muc.NoHistoryLimit})
	step(&Presence{From: jid.MustParse(alice), To: occupantJID(sid, "Alice"), MUC: true, History: muc.NoHistoryLimit})
	s := e.byID[sid]
	if s == nil || s.rec.State != StateActive || len(s.room.Occupants()) != 2 {
		b.Fatalf("session %s not active with two occupants", sid)
	}
	return e, roomJID(sid)
}

// BenchmarkEngineGroupchat is a visitor's message through Engine.Process to a
// room with an agent and the visitor: the session rules, the transcript entry,
// the room's broadcast (two stanzas), routing's dispatch and the batch's
// bookkeeping. batch=1 is one message per Process call (a quiet service);
// batch=16 is sixteen per call, as the runner batches them under load (ns/msg
// is then per message).
func BenchmarkEngineGroupchat(b *testing.B) {
	for _, h := range benchHistory {
		for _, n := range []int{1, 16} {
			b.Run("history="+strconv.Itoa(h)+"/batch="+strconv.Itoa(n), func(b *testing.B) {
				e, room := benchRoom(b, h)
				from := jid.MustParse(ann)
				in := make([]Input, n)
				now := t0
				b.ReportAllocs()
				for b.Loop() {
					for i := range in {
						in[i] = &Message{From: from, To: room, ID: "m1", Type: "groupchat", Body: benchBody}
					}
					now = now.Add(time.Millisecond)
					out := e.Process(now, in)
					if len(out.Out) != 2*n || len(out.Batch.Transcript) != n {
						b.Fatalf("%d stanzas and %d transcript entries, want %d and %d", len(out.Out), len(out.Batch.Transcript), 2*n, n)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
			})
		}
	}
}

// BenchmarkRoomSendBaseline is the same message through muc.Room.Send alone,
// in a room with the same two occupants and history window: the bare
// XEP-0045 broadcast that BenchmarkEngineGroupchat wraps.
func BenchmarkRoomSendBaseline(b *testing.B) {
	for _, h := range benchHistory {
		b.Run("history="+strconv.Itoa(h), func(b *testing.B) { roomSend(b, h) })
	}
}

func roomSend(b *testing.B, history int) {
	r := muc.NewRoom(roomJID("benchroom"), history)
	from := jid.MustParse(ann)
	for _, j := range []struct {
		full, nick string
		e          muc.Entry
	}{
		{ann, "Ann", muc.Entry{Affiliation: muc.AffMember, Role: muc.RoleParticipant, Person: "visitor"}},
		{alice, "Alice", muc.Entry{Affiliation: muc.AffOwner, Role: muc.RoleModerator, Person: bareOf(alice)}},
	} {
		if _, err := r.Join(jid.MustParse(j.full), j.nick, j.e, muc.PresenceInfo{}, muc.NoHistoryLimit, t0); err != nil {
			b.Fatal(err)
		}
	}
	now := t0
	seq := 0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		seq++
		out, err := r.Send(from, "m1", muc.Line{At: now, Body: benchBody, StanzaID: strconv.Itoa(seq)})
		if err != nil || len(out) != 2 {
			b.Fatalf("%d stanzas, %v", len(out), err)
		}
	}
}
