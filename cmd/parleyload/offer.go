package main

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	pxmpp "github.com/parley-chat/parley/xmpp"
)

// takeOffer answers an offer that reached agent a, for the run whose
// visitors are named prefix followed by their chat's index: the agent joins
// the room of an offer for one of chats (once per chat; on a goroutine,
// since this runs on a's read loop) and declines any other, counting it in
// foreign.
func takeOffer[D any](a *client, el *pxmpp.Element, prefix string, chats []*chat[D], stall time.Duration,
	foreign *atomic.Int64, logf func(string, ...any)) {
	roomJID := el.Get("from")
	reason := ""
	if x := el.Child("http://jabber.org/protocol/muc#user", "x"); x != nil {
		if inv := x.Child("", "invite"); inv != nil {
			if r := inv.Child("", "reason"); r != nil {
				reason = r.Text
			}
		}
	}
	idx := -1
	if rest, ok := strings.CutPrefix(reason, prefix); ok {
		n := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if n < 0 {
			n = len(rest)
		}
		if i, err := strconv.Atoi(rest[:n]); err == nil && i >= 0 && i < len(chats) {
			idx = i
		}
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), stall)
		defer cancel()
		if idx < 0 {
			foreign.Add(1)
			_ = a.sendXML(ctx, `<message xmlns='jabber:client' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><decline/></x></message>`, xmlEscape(roomJID))
			return
		}
		c := chats[idx]
		c.once.Do(func() {
			if err := a.joinRoom(ctx, stall, roomJID, "Agent"); err != nil {
				logf("parley: %v", err)
				return
			}
			c.agent.Store(a)
			close(c.joined)
		})
	}()
}
