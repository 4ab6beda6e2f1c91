package gateway

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
)

// TestGoldenRelay takes each testdata/relay/*.xml message through both ways
// out of the service: live, as the engine hands it to an occupant (a
// muc.Message carrying the decoded payload), and from the archive, as the
// store gives the transcript entry back to a MAM query. The relayed children
// must be the incoming ones (but the stripped stamps) in document order, and
// the same bytes in both; testdata/relay/*.golden shows all three.
func TestGoldenRelay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "relay", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("only %d messages under testdata/relay", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := decodeMessage(readStanza(t, data))
			if err != nil {
				t.Fatal(err)
			}

			// Document order: the payload holds the message's kept children
			// as the sender wrote them, read here with encoding/xml alone.
			if got, want := outlineXML(t, m.Payload, 0), keptOutline(t, data); got != want {
				t.Errorf("payload is not the kept children in document order:\n got %s\nwant %s", got, want)
			}

			// Live: what one occupant receives.
			var enc encoder
			live := enc.encode(&muc.Message{From: nick("Alice"), To: visitor, Type: "groupchat", ID: m.ID,
				Body: m.Body, Payload: m.Payload, StanzaID: "18"}).String()

			// Archive: the same payload as the store keeps it, queried back.
			g := newTestGateway(t, Config{})
			g.store.transcript = []sessions.Entry{{Seq: 18, At: stampAt, Nick: "Alice", Body: m.Body, Payload: m.Payload}}
			q := &sessions.IQ{From: visitor, To: room, ID: "q1", Type: "set",
				Cmd: &sessions.MAMCmd{Query: &mamQuery{queryID: "f1", max: mamMaxPage}}}
			g.archive(context.Background(), sessions.MAMGrant{IQ: q, Session: room.Localpart()})
			sent := g.out.all()
			if len(sent) != 2 {
				t.Fatalf("archive sent %d stanzas, want the result and the fin", len(sent))
			}
			archived := sent[0].String()

			for what, s := range map[string]string{"live": live, "archived": archived} {
				if m.Payload != "" && !strings.Contains(s, "<body>"+xmlText(m.Body)+"</body>"+m.Payload) {
					t.Errorf("%s message does not carry the body then the payload byte for byte:\n%s\npayload %s", what, s, m.Payload)
				}
				readBack(t, s)
			}
			// Both ways, the relayed children read the same: after the
			// message's body (depth 1 live; result/forwarded/message is 3
			// deep in the archive).
			if a, b := outlineXML(t, live, 1), outlineXML(t, archived, 4); a != b {
				t.Errorf("live and archived messages differ:\n live %s\n  mam %s", a, b)
			}
			golden(t, strings.TrimSuffix(f, ".xml")+".golden",
				fmt.Sprintf("payload: %s\nlive: %s\narchived: %s\n", m.Payload, live, archived))
		})
	}
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// outlineXML lists, with encoding/xml, the elements (resolved names and
// attributes, namespace declarations aside) and text of s found below depth
// (0: all of s), leaving out body, delay and stanza-id elements at that
// depth (what the service writes itself), in document order.
func outlineXML(t *testing.T, s string, depth int) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(`<w xmlns='jabber:component:accept'>` + s + `</w>`))
	var b strings.Builder
	level, skip := -1, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			t.Fatalf("%v in %s", err, s)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			level++
			if skip > 0 || level == depth+1 && (tk.Name.Local == "body" && (tk.Name.Space == nsAccept || tk.Name.Space == "jabber:client") ||
				tk.Name.Space == nsDelay || tk.Name.Space == nsSID && tk.Name.Local == "stanza-id") {
				skip++
				continue
			}
			if level > depth {
				fmt.Fprintf(&b, "<{%s}%s", tk.Name.Space, tk.Name.Local)
				for _, a := range tk.Attr {
					if a.Name.Space != "xmlns" && a.Name.Local != "xmlns" {
						fmt.Fprintf(&b, " {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
					}
				}
				b.WriteString(">")
			}
		case xml.EndElement:
			level--
			if skip > 0 {
				skip--
				continue
			}
			if level >= depth {
				b.WriteString("</>")
			}
		case xml.CharData:
			if skip == 0 && level > depth {
				fmt.Fprintf(&b, "%q", string(tk))
			}
		}
	}
}

// keptOutline lists, with encoding/xml, the children of the message in data
// that kept lets through, in document order, as outlineXML does.
func keptOutline(t *testing.T, data []byte) string {
	t.Helper()
	d := xml.NewDecoder(io.MultiReader(strings.NewReader(streamHeader), bytes.NewReader(data), strings.NewReader("</stream:stream>")))
	var b bytes.Buffer
	enc := xml.NewEncoder(&b)
	level, keep := 0, false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			level++
			if level == 3 { // stream, message, child
				keep = kept(tk.Name)
			}
			if keep {
				if err := enc.EncodeToken(tk); err != nil {
					t.Fatal(err)
				}
			}
		case xml.EndElement:
			if keep {
				if err := enc.EncodeToken(tk); err != nil {
					t.Fatal(err)
				}
			}
			if level == 3 {
				keep = false
			}
			level--
		case xml.CharData:
			if keep {
				if err := enc.EncodeToken(tk); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return outlineXML(t, b.String(), 0)
}

// FuzzRelayed: whatever message the connection decodes, its payload is made
// without error and is self-contained XML that parses again (the store keeps
// it; encoder.payload reads it back for every occupant and the archive).
func FuzzRelayed(f *testing.F) {
	for _, s := range []string{
		`<message from='a@b/c' to='r@chat.example.com' type='groupchat'><body>hi</body><x xmlns='urn:x' a:b='1' xmlns:a='urn:a'>t<y xml:lang='en'/>u</x></message>`,
		`<message><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p>Hello <b>world</b>, again!</p></body></html><delay xmlns='urn:xmpp:delay'/></message>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		els, err := xmpp.Parse(s)
		if err != nil || len(els) != 1 {
			return
		}
		p, err := relayed(els[0])
		if err != nil {
			t.Fatalf("relayed(%q): %v", s, err)
		}
		if _, err := xmpp.Parse(p); err != nil && !errors.Is(err, xmpp.ErrTooLarge) {
			t.Fatalf("relayed(%q) = %q, which does not parse: %v", s, p, err)
		}
	})
}
