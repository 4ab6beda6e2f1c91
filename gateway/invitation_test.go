package gateway

import (
	"testing"

	"github.com/parley-chat/parley/sessions"
	"mellium.im/xmpp/jid"
)

// One invitation, both forms: XEP-0045 mediated (from the room) and XEP-0249
// direct (jid and reason attributes), then Parley's own element.
func TestInvitationRendersBothForms(t *testing.T) {
	room := jid.MustParse("s1@chat.example.com")
	cases := []struct {
		inv  sessions.Invitation
		want string
	}{
		{sessions.Invitation{Kind: sessions.InviteOffer, Room: room, To: jid.MustParse("alice@example.com/desk"), Inviter: room,
			Session: "s1", Reason: "Ann: where is my parcel?", Body: "New chat request", Timeout: 30, Queue: "support"},
			`<message from="s1@chat.example.com" to="alice@example.com/desk"><body>New chat request</body>` +
				`<x xmlns="http://jabber.org/protocol/muc#user"><invite from="s1@chat.example.com"><reason>Ann: where is my parcel?</reason></invite></x>` +
				`<x xmlns="jabber:x:conference" jid="s1@chat.example.com" reason="Ann: where is my parcel?"></x>` +
				`<offer xmlns="urn:parley:chat:0" session="s1" timeout="30" queue="support"></offer></message>`},
		{sessions.Invitation{Kind: sessions.InviteTransfer, Room: room, To: jid.MustParse("bob@example.com"), Inviter: jid.MustParse("alice@example.com"),
			Session: "s1", Reason: "take over", Body: "You are invited"},
			`<message from="s1@chat.example.com" to="bob@example.com"><body>You are invited</body>` +
				`<x xmlns="http://jabber.org/protocol/muc#user"><invite from="alice@example.com"><reason>take over</reason></invite></x>` +
				`<x xmlns="jabber:x:conference" jid="s1@chat.example.com" reason="take over"></x>` +
				`<conference xmlns="urn:parley:chat:0" session="s1" from="alice@example.com" mode="transfer"></conference></message>`},
		{sessions.Invitation{Kind: sessions.InviteBack, Room: room, To: jid.MustParse("alice@example.com/desk"), Inviter: room,
			Session: "s1", Reason: "your active chat", Body: "Join"},
			`<message from="s1@chat.example.com" to="alice@example.com/desk"><body>Join</body>` +
				`<x xmlns="http://jabber.org/protocol/muc#user"><invite from="s1@chat.example.com"><reason>your active chat</reason></invite></x>` +
				`<x xmlns="jabber:x:conference" jid="s1@chat.example.com" reason="your active chat"></x></message>`},
	}
	var enc encoder
	for _, c := range cases {
		inv := c.inv
		if got := enc.encode(&inv).String(); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", inv.Kind, got, c.want)
		}
	}
}

func TestDecodeOwnerAndAdminQueries(t *testing.T) {
	for _, c := range []struct {
		in   string
		want any
	}{
		{`<iq type="set" id="d" from="a@x/r" to="s1@chat.x"><query xmlns="http://jabber.org/protocol/muc#owner"><destroy><reason>bye</reason></destroy></query></iq>`,
			&sessions.MUCOwnerCmd{Destroy: true, Reason: "bye"}},
		{`<iq type="get" id="c" from="a@x/r" to="s1@chat.x"><query xmlns="http://jabber.org/protocol/muc#owner"/></iq>`, &sessions.MUCOwnerCmd{}},
		{`<iq type="get" id="m" from="a@x/r" to="s1@chat.x"><query xmlns="http://jabber.org/protocol/muc#admin"><item affiliation="member"/></query></iq>`, &sessions.MUCAdminCmd{}},
	} {
		q, err := decodeIQ(readStanza(t, []byte(c.in)))
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if dump(q.Cmd) != dump(c.want) {
			t.Errorf("%s: decoded %s, want %s", c.in, dump(q.Cmd), dump(c.want))
		}
	}
}

func TestReservedNickRendering(t *testing.T) {
	var enc encoder
	got := enc.encode(&sessions.ReservedNick{From: jid.MustParse("s1@chat.x"), To: jid.MustParse("a@x/r"), ID: "n1", Nick: "alice"}).String()
	want := `<iq type="result" id="n1" from="s1@chat.x" to="a@x/r"><query xmlns="http://jabber.org/protocol/disco#info" node="x-roomuser-item">` +
		`<identity category="conference" type="text" name="alice"></identity></query></iq>`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
