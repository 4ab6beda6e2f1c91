package xmpp

import (
	"encoding/xml"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Through a connection: stanzas the writer's serialiser writes and stanzas
// it leaves to the token path (a qualified attribute, an explicitly empty
// id) arrive in the order they were sent, each as it was; a stanza read is
// decoded and handled; and every stage is told to OnStage.
func TestConnWritesMixedStanzasInOrderAndTellsStages(t *testing.T) {
	srv := newFakeServer(t, testSecret)
	cfg := testConfig(srv.addr())
	var mu sync.Mutex
	stages := map[string]int{}
	cfg.OnStage = func(stage string, d time.Duration) {
		mu.Lock()
		stages[stage]++
		mu.Unlock()
	}
	h := newHandled()
	c := NewConn(cfg, h.handle, nil)
	run(t, c)
	sc := srv.next()

	var sent []*Element
	for i := 0; i < 30; i++ {
		var s *Element
		switch i % 3 {
		case 0:
			s = msg(strconv.Itoa(i))
		case 1: // refused by the serialiser: goes the token path
			s = msg(strconv.Itoa(i))
			s.Children[1].Attr = append(s.Children[1].Attr, xml.Attr{Name: xml.Name{Space: "urn:q", Local: "q"}, Value: "v"})
		case 2: // an answer with an explicitly empty id
			s = New("", "iq", "type", "result", "from", testDomain, "to", "ann@example.com/w")
			s.Attr = append(s.Attr, xml.Attr{Name: xml.Name{Local: "id"}})
			s.Add(New("urn:x", "n", "i", strconv.Itoa(i)))
		}
		sent = append(sent, s)
	}
	if err := c.Send(sent...); err != nil {
		t.Fatal(err)
	}
	for i, s := range sent {
		got := sc.read()
		if got.Name.Local != s.Name.Local || got.Get("id") != s.Get("id") || !got.Has("id") {
			t.Fatalf("stanza %d: got %s, want %s", i, got, s)
		}
		if i%3 == 2 {
			if n := got.Child("urn:x", "n"); n == nil || n.Get("i") != strconv.Itoa(i) {
				t.Fatalf("stanza %d: got %s, want %s", i, got, s)
			}
			continue
		}
		if b := got.Child(NSComponent, "body"); b == nil || b.Text != "line "+strconv.Itoa(i) {
			t.Fatalf("stanza %d: got %s, want its body", i, got)
		}
		x := got.Child("urn:x", "x")
		if x == nil || x.Get("k") != strconv.Itoa(i) {
			t.Fatalf("stanza %d: got %s, want its x", i, got)
		}
	}
	sc.write(`<message from="ann@example.com/w" to="` + testDomain + `" id="in1"><body>hi</body></message>`)
	if el := h.next(t); el.Get("id") != "in1" {
		t.Fatalf("handled %s", el)
	}
	deadline := time.Now().Add(wait)
	for {
		mu.Lock()
		n := len(stages)
		got := map[string]int{}
		for k, v := range stages {
			got[k] = v
		}
		mu.Unlock()
		if n == 4 {
			for _, s := range []string{StageDecode, StageHandle, StageOutq, StageWrite} {
				if got[s] == 0 {
					t.Errorf("stage %s never told; told %v", s, got)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stages told: %v", got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
