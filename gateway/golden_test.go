package gateway

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmpp/jid"
)

// go test ./gateway -run Golden -update rewrites the golden files.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const streamHeader = `<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='golden' from='chat.example.com'>`

// readStanza reads the one stanza of an XML text as the component connection
// would: inside a jabber:component:accept stream, decoded by xmpp.Decode.
// Comments and whitespace around the stanza are allowed.
func readStanza(t testing.TB, data []byte) *xmpp.Element {
	t.Helper()
	d := xml.NewDecoder(io.MultiReader(strings.NewReader(streamHeader), bytes.NewReader(data),
		strings.NewReader("</stream:stream>")))
	if _, err := d.Token(); err != nil { // the stream header
		t.Fatal(err)
	}
	var el *xmpp.Element
	for done := false; !done; {
		tok, err := d.Token()
		if err != nil {
			t.Fatalf("reading the stanza: %v", err)
		}
		switch tk := tok.(type) {
		case xml.EndElement:
			done = true // the stream's end
		case xml.StartElement:
			if el != nil {
				t.Fatalf("more than one stanza")
			}
			if el, err = xmpp.Decode(tk.Copy(), d); err != nil {
				t.Fatalf("decoding the stanza: %v", err)
			}
		case xml.CharData:
			if len(bytes.TrimSpace(tk)) != 0 {
				t.Fatalf("text outside the stanza: %q", tk)
			}
		}
	}
	if el == nil {
		t.Fatal("no stanza")
	}
	return el
}

// decodeStanza runs the decoder for el's kind and renders what it made.
func decodeStanza(el *xmpp.Element) string {
	var b strings.Builder
	switch el.Name.Local {
	case "presence":
		p, err := decodePresence(el)
		fmt.Fprintf(&b, "decodePresence\ninput: %s\nerror: %s\n", dump(p), dumpErr(err))
	case "message":
		m, err := decodeMessage(el)
		fmt.Fprintf(&b, "decodeMessage\ninput: %s\nerror: %s\n", dump(m), dumpErr(err))
	case "iq":
		q, err := decodeIQ(el)
		var e error
		if err != nil {
			e = err
		}
		fmt.Fprintf(&b, "decodeIQ\ninput: %s\nerror: %s\n", dump(q), dumpErr(e))
	default:
		fmt.Fprintf(&b, "not a stanza: %s\n", el.Name.Local)
	}
	return b.String()
}

func dumpErr(err error) string {
	switch e := err.(type) {
	case nil:
		return "nil"
	case badRequest:
		return "badRequest " + strconv.Quote(e.text)
	case *muc.Error:
		return dump(e)
	}
	return fmt.Sprintf("%T %q", err, err.Error())
}

// dump renders a value deterministically, one field a line: map keys sorted,
// JIDs and times as text, elements as XML.
func dump(v any) string {
	var b strings.Builder
	dumpValue(&b, reflect.ValueOf(v), 0)
	return b.String()
}

// mamQueryView mirrors mamQuery with exported fields, for dumping.
type mamQueryView struct {
	QueryID    string
	Token      string
	Start, End time.Time
	Max        int
	After      int64
	Before     int64
	Last       bool
}

var (
	typeJID     = reflect.TypeFor[jid.JID]()
	typeTime    = reflect.TypeFor[time.Time]()
	typeElement = reflect.TypeFor[*xmpp.Element]()
	typeMAM     = reflect.TypeFor[*mamQuery]()
)

func dumpValue(b *strings.Builder, v reflect.Value, depth int) {
	indent := strings.Repeat("\t", depth)
	if !v.IsValid() {
		b.WriteString("nil")
		return
	}
	switch v.Type() {
	case typeJID:
		j := v.Interface().(jid.JID)
		if j.Equal(jid.JID{}) {
			b.WriteString("jid()")
		} else {
			fmt.Fprintf(b, "jid(%s)", j)
		}
		return
	case typeTime:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			b.WriteString("time()")
		} else {
			fmt.Fprintf(b, "time(%s)", t.UTC().Format(time.RFC3339Nano))
		}
		return
	case typeElement:
		if v.IsNil() {
			b.WriteString("nil")
		} else {
			fmt.Fprintf(b, "xml(%s)", v.Interface().(*xmpp.Element).String())
		}
		return
	case typeMAM:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		q := v.Interface().(*mamQuery)
		b.WriteString("&gateway.mamQuery")
		dumpValue(b, reflect.ValueOf(mamQueryView{q.queryID, q.token, q.start, q.end, q.max, q.after, q.before, q.last}), depth)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteString("&")
		dumpValue(b, v.Elem(), depth)
	case reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dumpValue(b, v.Elem(), depth)
	case reflect.Struct:
		name := v.Type().String()
		if v.Type() == reflect.TypeFor[mamQueryView]() {
			name = ""
		}
		if v.NumField() == 0 {
			b.WriteString(name + "{}")
			return
		}
		b.WriteString(name + "{\n")
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			fmt.Fprintf(b, "%s\t%s: ", indent, f.Name)
			dumpValue(b, v.Field(i), depth+1)
			b.WriteString("\n")
		}
		b.WriteString(indent + "}")
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		if len(keys) == 0 {
			b.WriteString("map[]")
			return
		}
		b.WriteString("map[\n")
		for _, k := range keys {
			fmt.Fprintf(b, "%s\t", indent)
			dumpValue(b, k, depth+1)
			b.WriteString(": ")
			dumpValue(b, v.MapIndex(k), depth+1)
			b.WriteString("\n")
		}
		b.WriteString(indent + "]")
	case reflect.Slice:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		if v.Len() == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i := 0; i < v.Len(); i++ {
			fmt.Fprintf(b, "%s\t", indent)
			dumpValue(b, v.Index(i), depth+1)
			b.WriteString("\n")
		}
		b.WriteString(indent + "]")
	case reflect.String:
		b.WriteString(quote(v.String()))
	case reflect.Bool:
		fmt.Fprint(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		fmt.Fprint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		fmt.Fprint(b, v.Uint())
	case reflect.Float32, reflect.Float64:
		fmt.Fprint(b, v.Float())
	default:
		fmt.Fprintf(b, "<%s>", v.Kind())
	}
}

// quote uses backquotes for strings holding double quotes (XML), where they
// read better, and Go double quotes otherwise.
func quote(s string) string {
	if strings.Contains(s, `"`) && strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./gateway -run Golden -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what the code makes now:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestGoldenDecode decodes every testdata/in/*.xml stanza and compares the
// input (or error) it becomes with testdata/in/*.golden.
func TestGoldenDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "in", "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("only %d incoming stanzas under testdata/in", len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeStanza(readStanza(t, data))
			if again := decodeStanza(readStanza(t, data)); again != got {
				t.Fatalf("the rendering is not stable:\n%s\n---\n%s", got, again)
			}
			golden(t, strings.TrimSuffix(f, ".xml")+".golden", got)
		})
	}
	// No golden file is left without its stanza.
	goldens, _ := filepath.Glob(filepath.Join("testdata", "in", "*.golden"))
	for _, g := range goldens {
		if _, err := os.Stat(strings.TrimSuffix(g, ".golden") + ".xml"); err != nil {
			t.Errorf("%s has no .xml beside it", g)
		}
	}
}

// Decoding behaviour the golden files show, spelled out.
func TestDecodeGroupchatDropsForgedStamps(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "in", "message_groupchat.xml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeMessage(readStanza(t, data))
	if err != nil {
		t.Fatal(err)
	}
	for _, forged := range []string{"urn:xmpp:delay", `by="`, "muc#user", "urn:parley:chat:0", "999"} {
		if strings.Contains(m.Payload, forged) {
			t.Errorf("payload keeps %q: %s", forged, m.Payload)
		}
	}
	for _, kept := range []string{"http://jabber.org/protocol/chatstates", "jabber:x:oob", "https://files.example.com/invoice.pdf"} {
		if !strings.Contains(m.Payload, kept) {
			t.Errorf("payload lost %q: %s", kept, m.Payload)
		}
	}
	if !m.OOB || !m.HasState || m.Comment {
		t.Errorf("flags OOB=%v HasState=%v Comment=%v", m.OOB, m.HasState, m.Comment)
	}
	// The payload is self-contained XML: it parses alone.
	if _, err := xmpp.Parse(m.Payload); err != nil {
		t.Errorf("payload does not parse: %v", err)
	}
}

var (
	service  = jid.MustParse("chat.example.com")
	room     = jid.MustParse("k7q2mzbv4hx3ncde5tw6yrfj2a@chat.example.com")
	visitor  = jid.MustParse("3f9c1e@guest.example.com/widget-1")
	agent    = jid.MustParse("alice@example.com/desk")
	subject  = "Chat with Ann"
	noSubj   = ""
	stampAt  = time.Date(2026, 11, 24, 10, 1, 2, 345000000, time.UTC)
	tokenStr = "q8V2pTn0sXb3Lk9mWc4RzA7yHd6JfE1u"
)

func nick(n string) jid.JID {
	j, err := room.WithResource(n)
	if err != nil {
		panic(err)
	}
	return j
}

// outCase is one encoder input, its golden file under testdata/out and where
// the namespaces of its elements must land once read inside a
// jabber:component:accept stream (paths from the stanza, "" for the stanza).
type outCase struct {
	name string
	out  sessions.Out
	ns   map[string]string
}

const (
	nsAccept = "jabber:component:accept"
	nsParley = sessions.NS
)

var outCases = []outCase{
	{"presence_join_self", &muc.Presence{
		From: nick("Ann"), To: visitor,
		Item:  muc.Item{Affiliation: muc.AffMember, Role: muc.RoleParticipant, JID: visitor},
		Codes: []int{muc.StatusSelf, muc.StatusLogged},
	}, map[string]string{
		"": nsAccept, "x": muc.NSUser, "x/item": muc.NSUser, "x/status": muc.NSUser,
	}},
	{"presence_agent_to_visitor", &muc.Presence{
		From: nick("Alice"), To: visitor, Show: "away", Status: "Back in 5",
		Item: muc.Item{Affiliation: muc.AffOwner, Role: muc.RoleModerator},
	}, map[string]string{
		"": nsAccept, "show": nsAccept, "status": nsAccept, "x": muc.NSUser, "x/item": muc.NSUser,
	}},
	{"presence_destroy", &muc.Presence{
		From: nick("Ann"), To: visitor, Type: "unavailable",
		Item:      muc.Item{Affiliation: muc.AffNone, Role: muc.RoleNone},
		Codes:     []int{muc.StatusSelf},
		Destroyed: true, DestroyReason: "Chat closed by the agent",
	}, map[string]string{
		"": nsAccept, "x": muc.NSUser, "x/item": muc.NSUser, "x/status": muc.NSUser,
		"x/destroy": muc.NSUser, "x/destroy/reason": muc.NSUser,
	}},
	{"message_history", &muc.Message{
		From: nick("Ann"), To: agent, Type: "groupchat", ID: "m1",
		Body: "My order <#1234> did not arrive & I'm \"upset\"", Delay: stampAt, StanzaID: "17",
	}, map[string]string{
		"": nsAccept, "body": nsAccept, "delay": "urn:xmpp:delay", "stanza-id": "urn:xmpp:sid:0",
	}},
	{"message_subject", &muc.Message{
		From: room, To: visitor, Type: "groupchat", ID: "subject-1", Subject: &subject,
	}, map[string]string{"": nsAccept, "subject": nsAccept}},
	{"message_subject_empty", &muc.Message{
		From: room, To: visitor, Type: "groupchat", Subject: &noSubj,
	}, map[string]string{"": nsAccept, "subject": nsAccept}},
	{"message_payload", &muc.Message{
		From: nick("Alice"), To: visitor, Type: "groupchat", ID: "m2", Body: "Here is your invoice",
		Payload: `<active xmlns="http://jabber.org/protocol/chatstates"></active>` +
			`<x xmlns="jabber:x:oob"><url xmlns="jabber:x:oob">https://files.example.com/invoice.pdf</url><desc>Invoice &amp; receipt</desc></x>`,
		StanzaID: "18",
	}, map[string]string{
		"": nsAccept, "body": nsAccept, "active": "http://jabber.org/protocol/chatstates",
		"x": "jabber:x:oob", "x/url": "jabber:x:oob", "x/desc": "jabber:x:oob", "stanza-id": "urn:xmpp:sid:0",
	}},
	{"message_event", &muc.Message{
		From: room, To: visitor, Type: "groupchat", ID: "e3", Body: "Chat suspended by the agent",
		Element:  &sessions.Event{Type: "suspended", By: "agent", State: sessions.StateSuspended, Cause: "Investigation", Wait: -1},
		StanzaID: "19",
	}, map[string]string{"": nsAccept, "body": nsAccept, "event": nsParley, "stanza-id": "urn:xmpp:sid:0"}},
	{"stanza_iq_result", &sessions.Stanza{
		Name: "iq", Type: "result", ID: "r1", From: service, To: visitor,
		Payload: &sessions.SessionAnswer{ID: "k7q2mzbv4hx3ncde5tw6yrfj2a", Room: jid.MustParse("k7q2mzbv4hx3ncde5tw6yrfj2a@chat.example.com"),
			State: sessions.StateQueued, Token: tokenStr, Started: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)},
	}, map[string]string{"": nsAccept, "session": nsParley}},
	{"stanza_iq_disco_items_page", &sessions.Stanza{
		Name: "iq", Type: "result", ID: "d3", From: service, To: agent,
		Payload: &sessions.DiscoItems{Items: []sessions.DiscoItem{
			{JID: jid.MustParse("k7q2mzbv4hx3ncde5tw6yrfj2a@chat.example.com"), Name: "Chat with Ann"},
			{JID: jid.MustParse("m2xq7rbv4hx3ncde5tw6yrfj2a@chat.example.com"), Name: "Chat with Bo"},
		}, Page: &sessions.PageAnswer{First: "k7q2mzbv4hx3ncde5tw6yrfj2a", Last: "m2xq7rbv4hx3ncde5tw6yrfj2a", Count: 240}},
	}, map[string]string{"": nsAccept, "query": nsDiscoItems, "query/item": nsDiscoItems, "query/set": nsRSM,
		"query/set/first": nsRSM, "query/set/last": nsRSM, "query/set/count": nsRSM}},
	{"stanza_iq_disco_items_count", &sessions.Stanza{
		Name: "iq", Type: "result", ID: "d4", From: service, To: agent,
		Payload: &sessions.DiscoItems{Items: []sessions.DiscoItem{}, Page: &sessions.PageAnswer{Count: 240}},
	}, map[string]string{"": nsAccept, "query": nsDiscoItems, "query/set": nsRSM, "query/set/count": nsRSM}},
	{"stanza_iq_result_empty", &sessions.Stanza{
		Name: "iq", Type: "result", ID: "p1", From: room, To: agent,
	}, map[string]string{"": nsAccept}},
	{"stanza_iq_error", &sessions.Stanza{
		Name: "iq", Type: "error", ID: "r2", From: service, To: visitor,
		Err: muc.Errorf(muc.Modify, muc.BadRequest, "new must be true or false"),
	}, map[string]string{"": nsAccept, "error": nsAccept, "error/bad-request": nsStanzas, "error/text": nsStanzas}},
	{"stanza_iq_error_no_text", &sessions.Stanza{
		Name: "iq", Type: "error", ID: "r3", From: room, To: agent,
		Err: &muc.Error{Type: "cancel", Condition: "item-not-found"},
	}, map[string]string{"": nsAccept, "error": nsAccept, "error/item-not-found": nsStanzas}},
	{"stanza_headline", &sessions.Stanza{
		Name: "message", Type: "headline", From: service, To: agent,
		Body:    "The visitor of a suspended chat is back",
		Payload: &sessions.Reconnected{Session: "k7q2mzbv4hx3ncde5tw6yrfj2a", State: sessions.StateSuspended},
	}, map[string]string{"": nsAccept, "body": nsAccept, "reconnected": nsParley}},
	{"stanza_presence_subscribed", &sessions.Stanza{
		Name: "presence", Type: "subscribed", From: service, To: jid.MustParse("alice@example.com"),
	}, map[string]string{"": nsAccept}},
}

// readBack parses s inside a component stream with encoding/xml and returns
// the namespace of every element by path, failing on anything not
// well-formed or on more than one root.
func readBack(t *testing.T, s string) (root xml.Name, spaces map[string][]string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(`<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>` + s + `</stream:stream>`))
	spaces = map[string][]string{}
	var path []string
	roots := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			switch len(path) {
			case 0: // the stream
			case 1:
				roots++
				root = tk.Name
				spaces[""] = append(spaces[""], tk.Name.Space)
			default:
				p := strings.Join(append(path[2:], tk.Name.Local), "/")
				spaces[p] = append(spaces[p], tk.Name.Space)
			}
			path = append(path, tk.Name.Local)
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			if len(path) == 1 && len(bytes.TrimSpace(tk)) > 0 {
				t.Errorf("text outside the stanza: %q", tk)
			}
		}
	}
	if roots != 1 {
		t.Fatalf("%d root elements, want 1:\n%s", roots, s)
	}
	return root, spaces
}

// canonical renders a tree with resolved names, for comparing meaning rather
// than text.
func canonical(el *xmpp.Element) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{%s}%s", el.Name.Space, el.Name.Local)
	for _, a := range el.Attr {
		fmt.Fprintf(&b, " {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
	}
	fmt.Fprintf(&b, " %q(", el.Text)
	for _, c := range el.Children {
		b.WriteString(canonical(c))
	}
	b.WriteString(")")
	return b.String()
}

// TestGoldenEncode encodes each outCase and compares with
// testdata/out/NAME.xml, then reads the output back with encoding/xml.
func TestGoldenEncode(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range outCases {
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			var enc encoder
			el := enc.encode(tc.out)
			if el == nil {
				t.Fatal("encode returned nil")
			}
			got := el.String()
			golden(t, filepath.Join("testdata", "out", tc.name+".xml"), got+"\n")

			root, spaces := readBack(t, got)
			if root.Space != nsAccept {
				t.Errorf("stanza in %q, want the stream's namespace", root.Space)
			}
			for path, want := range tc.ns {
				got := spaces[path]
				if len(got) == 0 {
					t.Errorf("no element at %q", path)
				}
				for _, g := range got {
					if g != want {
						t.Errorf("%q is in %q, want %q", path, g, want)
					}
				}
			}
			for path := range spaces {
				if _, ok := tc.ns[path]; !ok {
					t.Errorf("unexpected element at %q (namespaces %v)", path, spaces[path])
				}
			}

			// Stable: read back and written again, it means the same.
			back, err := xmpp.Parse(got)
			if err != nil || len(back) != 1 {
				t.Fatalf("xmpp.Parse: %v, %d elements", err, len(back))
			}
			again, err := xmpp.Parse(back[0].String())
			if err != nil || len(again) != 1 {
				t.Fatalf("xmpp.Parse of the re-encoding: %v", err)
			}
			if a, b := canonical(back[0]), canonical(again[0]); a != b {
				t.Errorf("re-encoding changes the meaning:\n got %s\nwant %s", b, a)
			}
		})
	}
	outs, _ := filepath.Glob(filepath.Join("testdata", "out", "*.xml"))
	for _, o := range outs {
		if !seen[strings.TrimSuffix(filepath.Base(o), ".xml")] {
			t.Errorf("%s has no case in outCases", o)
		}
	}
}

// The encoder caches the last payload it parsed, for broadcasts: the cached
// elements are shared between stanzas, so encoding one recipient must not
// change what an earlier one renders, and a new payload replaces the cache.
func TestEncoderPayloadCache(t *testing.T) {
	var enc encoder
	payload := `<x xmlns='jabber:x:oob'><url>https://a.example/</url></x>`
	m := func(to jid.JID, p string) *muc.Message {
		return &muc.Message{From: nick("Alice"), To: to, Type: "groupchat", Body: "b", Payload: p}
	}
	first := enc.encode(m(visitor, payload))
	firstXML := first.String()
	second := enc.encode(m(agent, payload))
	if first.String() != firstXML {
		t.Errorf("encoding a second recipient changed the first:\n%s\n%s", firstXML, first.String())
	}
	if strings.Replace(second.String(), agent.String(), visitor.String(), 1) != firstXML {
		t.Errorf("recipients of one broadcast differ beyond to:\n%s\n%s", firstXML, second.String())
	}
	other := enc.encode(m(visitor, `<active xmlns='http://jabber.org/protocol/chatstates'/>`))
	if strings.Contains(other.String(), "jabber:x:oob") || !strings.Contains(other.String(), "chatstates") {
		t.Errorf("a new payload reused the cached one: %s", other)
	}
	back := enc.encode(m(visitor, payload))
	if back.String() != firstXML {
		t.Errorf("the first payload again: %s, want %s", back, firstXML)
	}
}

// A payload that does not parse is left out rather than sent broken; an
// unknown output is nil. (Out is a closed set: *xmpp.Element no longer
// passes through.)
func TestEncodeOddInputs(t *testing.T) {
	var enc encoder
	el := enc.encode(&muc.Message{From: room, To: visitor, Type: "groupchat", Body: "b", Payload: "<unclosed>"})
	if got, want := el.String(), `<message from="`+room.String()+`" to="`+visitor.String()+`" type="groupchat"><body>b</body></message>`; got != want {
		t.Errorf("broken payload:\n got %s\nwant %s", got, want)
	}
	if enc.encode(unknownOut{}) != nil {
		t.Error("an unknown output must encode to nil")
	}
}
