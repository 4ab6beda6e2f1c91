package wire

import (
	"encoding/xml"
	"reflect"
	"testing"
)

// The console's elements decode what a client or an older service may write:
// optional figures absent or not numbers, unknown children, other prefixes.
func TestDecodeConsoleLenient(t *testing.T) {
	var a Availability
	if err := xml.Unmarshal([]byte(`<p:availability xmlns:p='urn:parley:chat:0'><p:queue name='s' status='busy' waiting='x' wait='soon' agents='9'/><other/></p:availability>`), &a); err != nil {
		t.Fatal(err)
	}
	if want := (Availability{Queues: []QueueStatus{{Name: "s", Status: "busy", Wait: -1}}}); !reflect.DeepEqual(a, want) {
		t.Errorf("availability %+v, want %+v", a, want)
	}
	var w Workspace
	if err := xml.Unmarshal([]byte(`<workspace xmlns='urn:parley:chat:0'><session id='s1' started='2026-12-01T10:00:00Z'><question>hi <b>x</b>!</question><extra/></session><queue name='q' oldest='3'/></workspace>`), &w); err != nil {
		t.Fatal(err)
	}
	if len(w.Sessions) != 1 || w.Sessions[0].Question != "hi !" || w.Sessions[0].Visitor != (Visitor{}) ||
		len(w.Queues) != 1 || w.Queues[0].Oldest != 3 || w.Me != (Agent{}) {
		t.Errorf("workspace %+v", w)
	}
	if err := xml.Unmarshal([]byte(`<workspace xmlns='urn:parley:chat:0'><session started='noon'/></workspace>`), &w); err == nil {
		t.Error("a started that is not a date-time must not decode")
	}
}
