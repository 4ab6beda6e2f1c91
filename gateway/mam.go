package gateway

import (
	"context"
	"strconv"
	"time"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
	"mellium.im/xmpp/delay"
	"mellium.im/xmpp/forward"
	"mellium.im/xmpp/paging"
)

// mamQuery is a parsed XEP-0313 query with its RSM set.
type mamQuery struct {
	queryID    string
	token      string
	start, end time.Time
	max        int
	after      int64
	before     int64
	last       bool // <before/> given: page from the end
}

// MAMQuery marks the parsed query as the engine's opaque sessions.MAMQuery.
func (*mamQuery) MAMQuery() {}

const mamMaxPage = 100

// parseMAM reads a XEP-0313 query and its RSM set by hand: mellium's
// history.Query decoder drops the RSM <after/> and <before/> ids and knows
// nothing of Parley's token field, and paging's request types are for
// writing (decoded through their tags they cannot tell <max>0</max> from no
// <max/>, nor an empty <before/>, "the last page", from none).
func parseMAM(q *xmpp.Element) (*mamQuery, *muc.Error) {
	m := &mamQuery{queryID: q.Get("queryid"), max: mamMaxPage}
	if x := q.Child(nsData, "x"); x != nil {
		for _, f := range x.ChildrenNamed(nsData, "field") {
			v := ""
			if val := f.Child(nsData, "value"); val != nil {
				v = val.Text
			}
			switch f.Get("var") {
			case "start", "end":
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return nil, muc.Errorf(muc.Modify, muc.BadRequest, "%s must be an XEP-0082 date-time", f.Get("var"))
				}
				if f.Get("var") == "start" {
					m.start = t
				} else {
					m.end = t
				}
			case "token", "{" + sessions.NS + "}token":
				m.token = v
			}
		}
	}
	if set := q.Child(nsRSM, "set"); set != nil {
		if mx := set.Child(nsRSM, "max"); mx != nil {
			n, err := strconv.Atoi(mx.Text)
			if err != nil || n < 0 {
				return nil, muc.Errorf(muc.Modify, muc.BadRequest, "RSM max must be a non-negative number")
			}
			if n < m.max {
				m.max = n
			}
		}
		seq := func(s string) (int64, *muc.Error) {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return 0, muc.Errorf(muc.Cancel, muc.ItemNotFound, "no archived message %q", s)
			}
			return n, nil
		}
		var err *muc.Error
		if a := set.Child(nsRSM, "after"); a != nil && a.Text != "" {
			if m.after, err = seq(a.Text); err != nil {
				return nil, err
			}
		}
		if b := set.Child(nsRSM, "before"); b != nil {
			m.last = true
			if b.Text != "" {
				if m.before, err = seq(b.Text); err != nil {
					return nil, err
				}
			}
		}
	}
	return m, nil
}

// archive answers an allowed MAM query from the store (off the engine's
// goroutine). The <forwarded/> and its <delay/> are mellium's forward and
// delay, the RSM answer is mellium's paging.Set (rsmAnswer); the <result/>
// and <fin/> are written by hand: mellium has no <result/> type, and its
// history.Result always writes complete and stable (complete='false',
// stable='true' on every answer, where Parley writes complete='true' only).
func (g *Gateway) archive(ctx context.Context, grant sessions.MAMGrant) {
	q := grant.IQ
	mq := q.Cmd.(*sessions.MAMCmd).Query.(*mamQuery)
	entries, complete, count, err := g.store.Transcript(ctx, sessions.Query{
		Session: grant.Session, AfterSeq: mq.after, BeforeSeq: mq.before, Start: mq.start, End: mq.end,
		Max: mq.max, Last: mq.last, NoComments: grant.NoComments,
	})
	var enc encoder
	if err != nil {
		g.log.Error("archive query failed", "session", grant.Session, "err", err)
		g.sendEl(enc.encode(&sessions.Stanza{Name: "iq", Type: "error", From: q.To, To: q.From, ID: q.ID,
			Err: muc.Errorf(muc.Wait, muc.InternalServerError, "the archive is unavailable")}))
		return
	}
	room := q.To.Bare()
	out := make([]*xmpp.Element, 0, len(entries)+1)
	for _, en := range entries {
		from := room.String()
		if en.Nick != "" {
			if j, err := room.WithResource(en.Nick); err == nil {
				from = j.String()
			}
		}
		inner := xmpp.New("jabber:client", "message", "from", from, "type", "groupchat")
		inner.Add(text("body", en.Body))
		inner.Add(enc.payload(en.Payload)...)
		inner.Add(roomElement(en.Element)) // a store that keeps entries as the engine made them
		fwd := written(forward.Forwarded{Delay: delay.Delay{Time: en.At}}.Wrap(inner.TokenReader()))
		res := xmpp.New(nsMAM, "result", "queryid", mq.queryID, "id", strconv.FormatInt(en.Seq, 10)).Add(fwd)
		out = append(out, xmpp.New("", "message", "from", room.String(), "to", q.From.String()).Add(res))
	}
	fin := xmpp.New(nsMAM, "fin")
	if complete {
		fin.Set("complete", "true")
	}
	fin.Add(rsmAnswer(entries, count))
	out = append(out, xmpp.New("", "iq", "type", "result", "id", q.ID, "from", q.To.String(), "to", q.From.String()).Add(fin))
	g.sendEl(out...)
}

// rsmAnswer is the RSM <set/> of a page of the archive (rsmSet).
func rsmAnswer(entries []sessions.Entry, count int) *xmpp.Element {
	if len(entries) == 0 {
		return rsmSet("", "", count)
	}
	return rsmSet(strconv.FormatInt(entries[0].Seq, 10), strconv.FormatInt(entries[len(entries)-1].Seq, 10), count)
}

// rsmSet is the RSM <set/> of a page whose first and last items have those
// ids: mellium's paging.Set, whose <first/> carries no index (the service
// pages by id only). An empty page (first "") is written by hand:
// paging.Set always writes <first/> and <last/>, and an empty page has no
// first and last item to name, so it says only <count/>.
func rsmSet(first, last string, count int) *xmpp.Element {
	n := uint64(count)
	if first == "" {
		return xmpp.New(paging.NS, "set").Add(text("count", strconv.FormatUint(n, 10)))
	}
	set := paging.Set{Last: last, Count: &n}
	set.First.ID = first
	return written(set.TokenReader())
}
