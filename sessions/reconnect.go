// Reconnect: the visitor's Yes to the prompt brings it back to its session, or a new one replaces an ended one.

package sessions

// reconnect is the visitor's Yes to the prompt (PROTOCOL 3).
func (e *Engine) reconnect(q *IQ, c *ReconnectCmd) {
	s := e.byID[c.Session]
	if s == nil {
		if c.Stored != nil && c.Stored.ID == c.Session && !c.Stored.State.Live() {
			e.replace(q, c)
			return
		}
		e.replyErr(q, errNoSession())
		return
	}
	if !tokenMatches(c.Token, s.rec.TokenHash) {
		e.obs.Reconnect("not_authorized")
		e.replyErr(q, errBadToken())
		return
	}
	e.doReconnect(q, s, c.Token)
}

// replace answers a reconnect to a session that ended: a new session by
// normal routing marked replaces (PROTOCOL 3).
func (e *Engine) replace(q *IQ, c *ReconnectCmd) {
	old := c.Stored
	if !tokenMatches(c.Token, old.TokenHash) {
		e.obs.Reconnect("not_authorized")
		e.replyErr(q, errBadToken())
		return
	}
	req := &RequestCmd{Queue: old.Queue, Visitor: old.Visitor, Body: ""}
	if !e.knownQueue(req.Queue) {
		req.Queue = ""
	}
	s, err := e.create(q.From, req, old.TokenHash, old.ID)
	if err != nil {
		e.replyErr(q, err)
		return
	}
	e.obs.Reconnect("replaced")
	e.reply(q, sessionAnswer(s, c.Token, false))
}

func (e *Engine) doReconnect(q *IQ, s *session, token string) {
	if !s.visitorJID(q.From) {
		s.rec.VisitorJIDs = append(s.rec.VisitorJIDs, q.From.String())
		e.touch(s)
	}
	e.reply(q, sessionAnswer(s, token, true))
	owner := s.rec.Owner
	if s.rec.State == StateSuspended && owner != "" {
		if t, off := e.offline[owner]; off && !e.router.Online(owner) && e.now.Sub(t) >= e.cfg.Grace {
			e.obs.Reconnect("fallback")
			e.transfer(s)
			return
		}
	}
	e.obs.Reconnect("owner")
	e.event(s, Event{Type: "reconnected", By: "visitor"}, "The visitor reconnected")
	if owner == "" {
		if s.rec.State == StateSuspended {
			e.resume(s, "reconnect")
		}
		return
	}
	s.reconnected = true
	e.timerTouch(s)
	name := s.rec.Visitor["name"]
	if name == "" {
		name = "The visitor"
	}
	present := s.room.Present(owner)
	for _, to := range e.agentTargets(owner) {
		e.send(&Stanza{Name: "message", Type: "headline", From: s.room.Addr(), To: to,
			Body:    reconnectNotice(name, s),
			Payload: &Reconnected{Session: s.rec.ID, State: s.rec.State}})
		if !present {
			e.send(e.invitation(s, InviteReconnect, to, s.room.Addr(), name+" reconnected",
				inviteBody(s, "the visitor reconnected")+"."+howToAnswer(s, false)))
		}
	}
}

func reconnectNotice(name string, s *session) string {
	if s.rec.State == StateSuspended {
		return name + " reconnected to suspended chat session " + s.room.Addr().String() + "; resume it to continue"
	}
	return name + " opened another window on chat session " + s.room.Addr().String()
}

// resumable is the reconnect prompt's payload; mode='always' tells the widget
// the service is configured to reconnect without asking.
func (e *Engine) resumable(s *session) *Resumable {
	mode := "prompt"
	if e.cfg.ReconnectAlways {
		mode = "always"
	}
	return &Resumable{Mode: mode, Session: *sessionAnswer(s, "", false)}
}
