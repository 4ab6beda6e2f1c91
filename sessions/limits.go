// Limits per visitor: request rate and live sessions, counted by JID and by token.

package sessions

import (
	"encoding/hex"
	"time"

	"github.com/parley-chat/parley/muc"
	"mellium.im/xmpp/jid"
)

// Limits per visitor (docs/protocol.md, Limits per visitor): one visitor
// must not be able to fill a queue or keep the service busy for others. A
// visitor is known by its connection (the JID that asks) and, when it sends
// one the service knows, by its token; each limit applies to both. Zero
// disables a limit.
type Limits struct {
	OpenSessions      int // live sessions (queued, active, suspended) per connection and per token
	RequestsPerMinute int // requests that may create a session, per JID and per token, in any minute
	QueuedSessions    int // sessions one visitor may have waiting in queues at once
}

// rateWindow is how far back requests are counted.
const rateWindow = time.Minute

// limitKeys are the keys a request is counted under: its JID (bare: an
// anonymous JID is one connection) and its token's hash when the service
// knows the token.
func limitKeys(from jid.JID, tokenHex string) []string {
	keys := []string{"jid:" + from.Bare().String()}
	if tokenHex != "" {
		keys = append(keys, "tok:"+tokenHex)
	}
	return keys
}

// overRate records a request under keys and reports whether one of them has
// had more than the limit within the last minute (the request counts even
// when refused: a flood stays refused while it goes on).
func (e *Engine) overRate(keys []string) bool {
	n := e.cfg.Limits.RequestsPerMinute
	if n <= 0 {
		return false
	}
	if e.rates == nil {
		e.rates = make(map[string][]time.Time)
	}
	over := false
	for _, k := range keys {
		ts := pruneBefore(e.rates[k], e.now.Add(-rateWindow))
		ts = append(ts, e.now)
		e.rates[k] = ts
		if len(ts) > n {
			over = true
		}
	}
	return over
}

func pruneBefore(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0:0], ts[i:]...)
}

// sweepRates forgets windows with nothing in the last minute (on each tick).
func (e *Engine) sweepRates() {
	cut := e.now.Add(-rateWindow)
	for k, ts := range e.rates {
		if ts = pruneBefore(ts, cut); len(ts) == 0 {
			delete(e.rates, k)
		} else {
			e.rates[k] = ts
		}
	}
}

// visitorLoad counts the live sessions of a connection or token, and how
// many of them wait in a queue.
func (e *Engine) visitorLoad(from jid.JID, tokenHex string) (open, queued int) {
	seen := make(map[string]bool)
	count := func(s *session) {
		if seen[s.rec.ID] || s.rec.State == StateMissed {
			return
		}
		seen[s.rec.ID] = true
		open++
		if s.rec.State == StateQueued {
			queued++
		}
	}
	if tokenHex != "" {
		for _, id := range e.byToken[tokenHex] {
			if s := e.byID[id]; s != nil {
				count(s)
			}
		}
	}
	conn := from.String()
	for _, s := range e.ofConn(conn) {
		if len(s.rec.VisitorJIDs) > 0 && s.rec.VisitorJIDs[0] == conn {
			count(s)
		}
	}
	return open, queued
}

// admit applies the limits to a request that is about to create a session
// (tokenHash is the hash of a token the service knows, or nil). It returns
// the error to answer, or nil.
func (e *Engine) admit(from jid.JID, tokenHash []byte, creates bool) *muc.Error {
	tokenHex := ""
	if len(tokenHash) > 0 {
		tokenHex = hex.EncodeToString(tokenHash)
	}
	if e.overRate(limitKeys(from, tokenHex)) {
		e.obs.Request("rate_limited")
		return muc.Errorf(muc.Wait, muc.PolicyViolation, "too many chat requests; wait a minute before asking again")
	}
	if !creates {
		return nil
	}
	l := e.cfg.Limits
	open, queued := e.visitorLoad(from, tokenHex)
	if l.OpenSessions > 0 && open >= l.OpenSessions {
		e.obs.Request("visitor_limit")
		return muc.Errorf(muc.Cancel, muc.PolicyViolation, "you already have %d chats open; close one before starting another", open)
	}
	if l.QueuedSessions > 0 && queued >= l.QueuedSessions {
		e.obs.Request("visitor_limit")
		return muc.Errorf(muc.Cancel, muc.PolicyViolation, "you are already waiting for an agent in %d chats; please wait for an answer there", queued)
	}
	return nil
}
