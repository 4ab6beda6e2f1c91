package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/testbed"
)

// cutProxy stands between parleyd and its XMPP server, as a network between
// two hosts does: it forwards both ways until told to hold what parleyd
// writes (kept here, not forwarded: a server that stopped reading, a link
// that went quiet), and then to cut every connection, which loses what it
// held.
type cutProxy struct {
	t        *testing.T
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	holding  bool
	held     bytes.Buffer
	conns    []net.Conn
	up       net.Conn // the server's side of the latest connection
}

func newCutProxy(t *testing.T, upstream string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, ln: ln, upstream: upstream}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.accept()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			down.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, down, up)
		p.up = up
		p.mu.Unlock()
		go func() { _, _ = io.Copy(down, up) }() // the server's stanzas always get through
		go p.pump(down, up)
	}
}

// pump forwards what parleyd writes, or keeps it while holding.
func (p *cutProxy) pump(down, up net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := down.Read(buf)
		if n > 0 {
			p.mu.Lock()
			if p.holding {
				p.held.Write(buf[:n])
				p.mu.Unlock()
				continue
			}
			p.mu.Unlock()
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *cutProxy) hold() {
	p.mu.Lock()
	p.holding = true
	p.mu.Unlock()
}

// heldCount counts s in what is held.
func (p *cutProxy) heldCount(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Count(p.held.Bytes(), []byte(s))
}

// release forwards what was held, in order, and then everything again: a
// server that stalled and caught up.
func (p *cutProxy) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.up != nil && p.held.Len() > 0 {
		if _, err := p.up.Write(p.held.Bytes()); err != nil {
			p.t.Errorf("proxy: forwarding what it held: %v", err)
		}
	}
	p.held.Reset()
	p.holding = false
}

// cut closes every connection, drops what was held, and forwards again.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns, p.holding = nil, false
	p.held.Reset()
}

// groupchat lists the messages from room's occupants a client got so far:
// their bodies and stanza-ids.
func groupchat(c *client, room string) (bodies, ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.log {
		if e.Name.Local != "message" || e.Get("type") != "groupchat" || !strings.HasPrefix(e.Get("from"), room+"/") {
			continue
		}
		if b := e.Child("", "body"); b != nil {
			bodies = append(bodies, b.Text)
			id := ""
			if s := e.Child("urn:xmpp:sid:0", "stanza-id"); s != nil {
				id = s.Get("id")
			}
			ids = append(ids, id)
		}
	}
	return bodies, ids
}

// proxiedChat runs parleyd through a cutProxy to the test bed's server, with
// a chat between a new visitor (vnick) and agent in progress.
func proxiedChat(t *testing.T, agent, vnick string) (*cutProxy, *parley, *chat) {
	t.Helper()
	px := newCutProxy(t, testbed.Get(t).XMPPAddr)
	p := startParley(t, "--xmpp-addr", px.addr())
	return px, p, openChat(t, p, newAgent(t, p, agent), vnick, "")
}

// The connection between parleyd and its XMPP server drops while the server
// has not read what parleyd wrote (held by the network, then lost): every
// committed message still reaches the agent and comes back to the visitor,
// because parleyd writes again on the next connection what the server had not
// acknowledged (xmpp/ack.go). A message can come twice, with one stanza-id.
func TestComponentDropLosesNothingCommitted(t *testing.T) {
	px, p, c := proxiedChat(t, "agent11", "Kim")
	room, a, v := c.room, c.a, c.v
	say(v, room, "before")
	a.expect("a message before the hold", isMsg(room+"/Kim", "before"))
	resent := p.metric("parley_component_resent_total")

	px.hold()
	const n = 5
	for i := 1; i <= n; i++ {
		say(v, room, fmt.Sprintf("held%d", i))
	}
	// parleyd committed each and wrote its copy and its reflection: held.
	eventually(t, "parleyd wrote the copies and reflections", func() bool { return px.heldCount(">held5<") >= 2 })
	a.never("a held message through", 200*time.Millisecond, isMsg(room+"/Kim", "held1"))
	px.cut()

	for i := 1; i <= n; i++ {
		a.expect(fmt.Sprintf("held%d at the agent", i), isMsg(room+"/Kim", fmt.Sprintf("held%d", i)))
		v.expect(fmt.Sprintf("held%d reflected to the visitor", i), isMsg(room+"/Kim", fmt.Sprintf("held%d", i)))
	}
	for _, c := range []*client{a, v} {
		bodies, ids := groupchat(c, room)
		first := map[string]string{}
		for i, b := range bodies {
			if ids[i] == "" {
				t.Errorf("%q came without a stanza-id", b)
			}
			if id, seen := first[b]; seen && id != ids[i] {
				t.Errorf("%q came twice with two stanza-ids, %s and %s: a client cannot tell it is the same", b, id, ids[i])
			}
			first[b] = ids[i]
		}
	}
	if got := p.metric("parley_component_resent_total"); got < resent+2*n {
		t.Errorf("parley_component_resent_total went from %v to %v, want at least %d more", resent, got, 2*n)
	}
	// And the new connection carries on both ways.
	say(a, room, "after")
	v.expect("a message after the drop", isMsg(room+"/Agent", "after"))
}

// The server stops reading parleyd for a while and then catches up, the
// connection never dropping: everything arrives once, in order, and nothing
// is written again (the acknowledgement comes late, but it comes).
func TestComponentStallDeliversOnceInOrder(t *testing.T) {
	px, p, c := proxiedChat(t, "agent12", "Lee")
	room, a, v := c.room, c.a, c.v
	resent := p.metric("parley_component_resent_total")

	px.hold()
	const n = 20
	for i := 1; i <= n; i++ {
		say(v, room, fmt.Sprintf("stalled%d", i))
	}
	eventually(t, "parleyd wrote the copies and reflections", func() bool { return px.heldCount(fmt.Sprintf(">stalled%d<", n)) >= 2 })
	time.Sleep(1500 * time.Millisecond) // an acknowledgement ping is due meanwhile, and held
	px.release()

	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("stalled%d", i+1)
	}
	a.expect("the last at the agent", isMsg(room+"/Lee", want[n-1]))
	v.expect("the last reflected", isMsg(room+"/Lee", want[n-1]))
	time.Sleep(300 * time.Millisecond) // anything written twice would be here by now
	for _, c := range []*client{a, v} {
		var got []string
		bodies, _ := groupchat(c, room)
		for _, b := range bodies {
			if strings.HasPrefix(b, "stalled") {
				got = append(got, b)
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s got %v, want each once, in order", c.JID, got)
		}
	}
	if got := p.metric("parley_component_resent_total"); got != resent {
		t.Errorf("parley_component_resent_total went from %v to %v: nothing should be written again", resent, got)
	}
}
