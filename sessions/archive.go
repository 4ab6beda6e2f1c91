// Archive authorisation surface (XEP-0313): who may read a session's archive, live or ended.

package sessions

// archiveOfLive decides a XEP-0313 query on a live room: its agents and
// supervisors, and an agent who may take it while it is missed, read
// everything; its visitor (a JID of the session, or the token) everything but
// comments (PROTOCOL 8).
func (e *Engine) archiveOfLive(s *session, q *IQ, c *MAMCmd, who actor, visitor bool) {
	switch {
	case who == actorAgent || who == actorSupervisor || e.mayTake(s, q.fromBare()):
		e.out.MAM = append(e.out.MAM, MAMGrant{IQ: q, Session: s.rec.ID})
	case visitor || (c.Token != "" && tokenMatches(c.Token, s.rec.TokenHash)):
		e.out.MAM = append(e.out.MAM, MAMGrant{IQ: q, Session: s.rec.ID, NoComments: true})
	default:
		e.replyErr(q, errNoSession())
	}
}

// archiveOfEnded decides a XEP-0313 query on a room that no longer exists from
// the stored session: its agents and supervisors read everything, its visitor
// (a JID it had, or the token) everything but comments (PROTOCOL 8).
func (e *Engine) archiveOfEnded(q *IQ, c *MAMCmd) {
	rec := c.Stored
	if rec == nil || rec.ID != q.To.Localpart() {
		e.replyErr(q, errNoSession())
		return
	}
	bare := q.fromBare()
	agent := false
	for _, a := range c.StoredAgents {
		if a.JID == bare && e.has(bare, PermChat) {
			agent = true
		}
	}
	visitor := c.Token != "" && tokenMatches(c.Token, rec.TokenHash)
	for _, v := range rec.VisitorJIDs {
		if v == q.From.String() {
			visitor = true
		}
	}
	switch {
	case agent || e.has(bare, PermSupervise):
		e.out.MAM = append(e.out.MAM, MAMGrant{IQ: q, Session: rec.ID})
	case visitor:
		e.out.MAM = append(e.out.MAM, MAMGrant{IQ: q, Session: rec.ID, NoComments: true})
	default:
		e.replyErr(q, errNoSession())
	}
}

// MAMGrant lets the edge answer a XEP-0313 query.
type MAMGrant struct {
	IQ         *IQ
	Session    string
	NoComments bool
}
