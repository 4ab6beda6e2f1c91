// Package gateway is the edge between the XMPP wire and the sessions domain:
// it decodes each incoming stanza into a domain input (answering malformed,
// unknown and over-rate input itself, PROTOCOL 9), does the store reads an
// input needs before the engine sees it, and encodes the engine's output into
// stanzas for the component connection. It holds no business rules.
package gateway

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/metric"
	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/sessions"
	"github.com/parley-chat/parley/xmpp"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"mellium.im/xmpp/jid"
)

var zeroJID jid.JID

// Config tunes the gateway.
type Config struct {
	Domain  jid.JID
	Rate    float64 // stanzas per second allowed per bare JID
	Burst   int
	Version string
}

// Sender is where stanzas go (the component connection).
type Sender interface {
	Send(...*xmpp.Element) error
}

// WaitSender is a Sender that can also wait for room in its queue
// (xmpp.Conn). A committed batch's deliveries wait: a message in the
// transcript is never dropped on its way out because the XMPP server reads
// slower than Parley writes for a while. The runner holds back meanwhile, and
// new input is refused at the door with a wait error (Handle), which the
// sender retries.
type WaitSender interface {
	Sender
	SendWait(ctx context.Context, els ...*xmpp.Element) (waited bool, err error)
}

// Submitter is where inputs go (the sessions runner).
type Submitter interface {
	Submit(sessions.Input) bool
}

// Gateway translates between the wire and the domain.
type Gateway struct {
	cfg    Config
	store  sessions.Store
	log    *slog.Logger
	out    Sender
	engine Submitter
	enc    encoder // used by Deliver only (the runner's goroutine)
	limit  *limiter
	ctx    context.Context

	in, sent        *prometheus.CounterVec
	dropped, waited prometheus.Counter
	beacons         *prometheus.CounterVec // beacon.go
	tooLarge        *prometheus.CounterVec // TooLarge
	beaconLimit     *rate.Limiter          // beacon.go
	lastDropWarn    atomic.Int64           // unix nanoseconds of the last warning of a drop
}

// New makes a gateway; Attach connects it.
func New(ctx context.Context, cfg Config, store sessions.Store, log *slog.Logger, reg prometheus.Registerer) *Gateway {
	if cfg.Rate <= 0 {
		cfg.Rate = 20
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 40
	}
	g := &Gateway{cfg: cfg, store: store, log: log, ctx: ctx, limit: newLimiter(cfg.Rate, cfg.Burst),
		in:      prometheus.NewCounterVec(prometheus.CounterOpts(metric.Opts("stanzas_in_total", "Stanzas received from the XMPP server, by kind.")), []string{"kind"}),
		sent:    prometheus.NewCounterVec(prometheus.CounterOpts(metric.Opts("stanzas_out_total", "Stanzas handed to the XMPP server, by kind.")), []string{"kind"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts(metric.Opts("stanzas_dropped_total", "Outgoing stanzas dropped because the outgoing queue was full (answers and notices; a committed batch's deliveries wait instead)."))),
		waited: prometheus.NewCounter(prometheus.CounterOpts(metric.Opts("stanzas_waited_total",
			"Outgoing stanzas of committed batches that waited for room in the outgoing queue: the XMPP server read slower than Parley wrote."))),
	}
	g.beacons = prometheus.NewCounterVec(prometheus.CounterOpts(metric.Opts("beacons_total",
		"Suspend beacons received over HTTP, by result: accepted (handed to the engine), malformed, limited (over the rate), busy (the engine's queue full).")), []string{"result"})
	for _, r := range []string{"accepted", "malformed", "limited", "busy"} {
		g.beacons.WithLabelValues(r)
	}
	g.beaconLimit = rate.NewLimiter(beaconRate, beaconBurst)
	g.tooLarge = prometheus.NewCounterVec(prometheus.CounterOpts(metric.Opts("component_too_large_total",
		"Stanzas not written to the XMPP server because they were over --max-stanza (an IQ result was answered with resource-constraint instead), by kind.")), []string{"kind"})
	reg.MustRegister(g.in, g.sent, g.dropped, g.waited, g.beacons, g.tooLarge)
	return g
}

// Attach sets where stanzas and inputs go.
func (g *Gateway) Attach(out Sender, engine Submitter) {
	g.out, g.engine = out, engine
}

// sendEl sends answers and notices: never blocking, dropped (and counted)
// when the outgoing queue is full.
func (g *Gateway) sendEl(els ...*xmpp.Element) { g.emit(false, els) }

// emit hands els to the connection, waiting for room when wait is set and
// the connection can (WaitSender), otherwise dropping what does not fit.
func (g *Gateway) emit(wait bool, els []*xmpp.Element) {
	ws, canWait := g.out.(WaitSender)
	for _, e := range els {
		if e == nil {
			continue
		}
		if g.log.Enabled(g.ctx, slog.LevelDebug) {
			g.log.Debug("out", "stanza", e.String())
		}
		var err error
		if wait && canWait {
			var waited bool
			if waited, err = ws.SendWait(g.ctx, e); waited {
				g.waited.Inc()
			}
		} else {
			err = g.out.Send(e)
		}
		if err != nil {
			g.drop(err, e)
			continue
		}
		g.sent.WithLabelValues(e.Name.Local).Inc()
	}
}

// drop counts a stanza that did not fit and warns, at most every 10 s: a
// full queue drops thousands a second, and the counter has them all.
func (g *Gateway) drop(err error, e *xmpp.Element) {
	g.dropped.Inc()
	now, last := time.Now().UnixNano(), g.lastDropWarn.Load()
	if now-last < int64(10*time.Second) || !g.lastDropWarn.CompareAndSwap(last, now) {
		return
	}
	g.log.Warn("outgoing stanzas dropped: the outgoing queue is full (parley_stanzas_dropped_total counts them)", "err", err, "to", e.Get("to"))
}

// Deliver implements sessions.Outbox: a committed batch's stanzas, each
// waiting for room in the outgoing queue if it must (WaitSender).
func (g *Gateway) Deliver(out []sessions.Out) {
	for _, o := range out {
		g.emit(true, []*xmpp.Element{g.enc.encode(o)})
	}
}

// Archive implements sessions.Outbox.
func (g *Gateway) Archive(grants []sessions.MAMGrant) {
	for _, gr := range grants {
		go g.archive(g.ctx, gr)
	}
}

// adminStore is what admin commands write through (sessions/pgstore has it).
type adminStore interface {
	Grant(ctx context.Context, jid string, perms ...string) error
	Revoke(ctx context.Context, jid string, perms ...string) error
	CannedPut(ctx context.Context, c sessions.Canned) error
	CannedRemove(ctx context.Context, id string) error
}

// Administer implements sessions.Outbox: it writes what an admin asked for
// (the engine checked the right) and answers. Permission changes come back to
// the engine through the store's notification.
func (g *Gateway) Administer(ops []sessions.AdminOp) {
	for _, op := range ops {
		go func(op sessions.AdminOp) {
			var enc encoder
			fail := func(err *muc.Error) {
				g.sendEl(enc.encode(&sessions.Stanza{Name: "iq", Type: "error", From: op.IQ.To, To: op.IQ.From, ID: op.IQ.ID, Err: err}))
			}
			st, ok := g.store.(adminStore)
			if !ok {
				fail(muc.Errorf(muc.Cancel, muc.FeatureNotImplemented, "this store cannot be administered"))
				return
			}
			ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
			defer cancel()
			var err error
			var note string
			switch op.Kind {
			case "grant":
				err, note = st.Grant(ctx, op.JID, op.Perms...), "Granted "+strings.Join(op.Perms, ", ")+" to "+op.JID
			case "revoke":
				err, note = st.Revoke(ctx, op.JID, op.Perms...), "Revoked "+strings.Join(op.Perms, ", ")+" from "+op.JID
			case "canned-add":
				err, note = st.CannedPut(ctx, op.Canned), "Canned response "+op.Canned.ID+" saved"
			case "canned-remove":
				err, note = st.CannedRemove(ctx, op.Canned.ID), "Canned response "+op.Canned.ID+" removed"
			}
			switch {
			case errors.Is(err, sessions.ErrNotFound):
				fail(muc.Errorf(muc.Cancel, muc.ItemNotFound, "no canned response %q", op.Canned.ID))
			case err != nil:
				g.log.Error("admin command failed", "op", op.Kind, "err", err)
				fail(muc.Errorf(muc.Wait, muc.InternalServerError, "the change could not be written"))
			default:
				g.log.Info("admin change", "op", op.Kind, "by", op.IQ.From.Bare().String(), "jid", op.JID, "canned", op.Canned.ID)
				g.sendEl(enc.encode(sessions.AdminDone(op, note)))
			}
		}(op)
	}
}

// errorReply answers el with an error of the same kind (never an error to an error).
func (g *Gateway) errorReply(el *xmpp.Element, err *muc.Error) {
	if el.Get("type") == "error" {
		return
	}
	r := xmpp.New("", el.Name.Local, "from", el.Get("to"), "to", el.Get("from"), "id", el.Get("id"), "type", "error")
	if el.Has("id") && el.Get("id") == "" {
		// An empty id is answered with the same empty id, the only way the
		// sender can match the answer.
		r.Attr = append(r.Attr, xml.Attr{Name: xml.Name{Local: "id"}})
	}
	g.sendEl(r.Add(errorEl(err)))
}

// Undecodable answers a stanza the connection could not decode or whose
// handling panicked (xmpp.Config.Undecodable): every IQ gets an answer, and so
// does any other stanza that is not itself an error, whenever it has a from
// address to answer to.
func (g *Gateway) Undecodable(stub *xmpp.Element, err error) {
	kind := stub.Name.Local
	g.in.WithLabelValues(kind).Inc()
	typ := stub.Get("type")
	if stub.Get("from") == "" || typ == "error" || kind == "iq" && typ == "result" {
		return
	}
	if kind != "iq" && kind != "message" && kind != "presence" {
		return
	}
	switch {
	case errors.Is(err, xmpp.ErrTooDeep):
		g.errorReply(stub, muc.Errorf(muc.Modify, muc.BadRequest, "elements nested more than %d deep", xmpp.MaxDepth))
	case errors.Is(err, xmpp.ErrTooLarge):
		g.errorReply(stub, muc.Errorf(muc.Modify, muc.BadRequest, "stanza larger than %d bytes", xmpp.MaxBytes))
	case errors.Is(err, xmpp.ErrHandlerPanic):
		g.errorReply(stub, muc.Errorf(muc.Cancel, muc.InternalServerError, "the service failed on this stanza"))
	default:
		g.errorReply(stub, muc.Errorf(muc.Modify, muc.BadRequest, "the stanza could not be decoded"))
	}
}

// TooLarge answers for a stanza the connection left out because it was over
// the server's size (xmpp.Config.TooLarge): an IQ result becomes an error to
// the asker, so that it knows the answer will not come; anything else is
// only counted. stub is the stanza as it was to go out, from the service.
func (g *Gateway) TooLarge(stub *xmpp.Element, size int) {
	g.tooLarge.WithLabelValues(stub.Name.Local).Inc()
	if stub.Name.Local != "iq" || stub.Get("type") != "result" {
		return
	}
	// errorReply answers a stanza that came in: give it the request.
	req := xmpp.New("", "iq", "from", stub.Get("to"), "to", stub.Get("from"), "type", "get")
	if stub.Has("id") {
		req.Attr = append(req.Attr, xml.Attr{Name: xml.Name{Local: "id"}, Value: stub.Get("id")})
	}
	g.errorReply(req, muc.Errorf(muc.Wait, muc.ResourceConstraint,
		"the answer is larger than the service may send at once (%d bytes); ask for less (a page, XEP-0059)", size))
}

// Handle implements xmpp.Handler: it runs on the connection's reading
// goroutine and never blocks.
func (g *Gateway) Handle(el *xmpp.Element) {
	kind := el.Name.Local
	g.in.WithLabelValues(kind).Inc()
	if g.log.Enabled(g.ctx, slog.LevelDebug) {
		g.log.Debug("in", "stanza", el.String())
	}
	typ := el.Get("type")
	if kind == "iq" && (typ == "result" || typ == "error") {
		return // answers to nothing we asked
	}
	if typ != "error" && !g.limit.allow(bareKey(el.Get("from")), time.Now()) {
		g.errorReply(el, muc.Errorf(muc.Wait, muc.PolicyViolation, "too many stanzas; slow down"))
		return
	}
	switch kind {
	case "presence":
		p, err := decodePresence(el)
		if err != nil {
			g.errorReply(el, muc.Errorf(muc.Modify, muc.BadRequest, "%v", err))
			return
		}
		g.submit(el, p)
	case "message":
		m, err := decodeMessage(el)
		var na notAcceptable
		if errors.As(err, &na) {
			g.errorReply(el, muc.Errorf(muc.Modify, muc.NotAcceptable, "%v", err))
			return
		}
		if err != nil {
			g.errorReply(el, muc.Errorf(muc.Modify, muc.BadRequest, "%v", err))
			return
		}
		g.submit(el, m)
	case "iq":
		if typ != "get" && typ != "set" {
			g.errorReply(el, muc.Errorf(muc.Modify, muc.BadRequest, "IQ type must be get, set, result or error"))
			return
		}
		if el.Get("id") == "" {
			g.errorReply(el, muc.Errorf(muc.Modify, muc.BadRequest, "an IQ needs a non-empty id"))
			return
		}
		q, merr := decodeIQ(el)
		if merr != nil {
			g.errorReply(el, merr)
			return
		}
		g.iq(el, q)
	}
}

// bareKey is the rate limit's key for a sender: its address up to the
// resource (RFC 7622: the first '/' begins it). The server stamps from, so it
// is not parsed here: decoding parses it once, and answers a malformed one.
func bareKey(from string) string {
	if i := strings.IndexByte(from, '/'); i >= 0 {
		return from[:i]
	}
	return from
}

// storeHealth is what the runner says about its store (sessions.Runner has it).
type storeHealth interface{ StoreHealthy() bool }

func (g *Gateway) submit(el *xmpp.Element, in sessions.Input) {
	// While the store is down the runner holds its batch and takes nothing
	// new: messages and IQs get a wait error at once (the sender retries)
	// rather than silence. Presences still queue, in order (joins, leaves).
	if h, ok := g.engine.(storeHealth); ok && el.Name.Local != "presence" && !h.StoreHealthy() {
		g.errorReply(el, muc.Errorf(muc.Wait, muc.InternalServerError, "the service cannot reach its store; try again shortly"))
		return
	}
	if !g.engine.Submit(in) {
		g.errorReply(el, muc.Errorf(muc.Wait, muc.ResourceConstraint, "the service is busy; try again"))
	}
}

// iq answers what needs no domain state and does the store reads the others need.
func (g *Gateway) iq(el *xmpp.Element, q *sessions.IQ) {
	switch c := q.Cmd.(type) {
	case *sessions.VersionCmd:
		g.sendEl(xmpp.New("", "iq", "type", "result", "id", q.ID, "from", q.To.String(), "to", q.From.String()).Add(
			xmpp.New(nsVersion, "query").Add(text("name", "Parley"), text("version", g.cfg.Version))))
	case *sessions.AdHocCmd:
		if c.Node != "canned" {
			g.submit(el, q)
			return
		}
		g.read(el, q, func(ctx context.Context) error {
			list, err := g.store.CannedList(ctx)
			c.Canned = list
			return err
		})
	case *sessions.RequestCmd:
		g.withTokenKnown(el, q, c.Token, &c.TokenKnown)
	case *sessions.LeaveMessageCmd:
		g.withTokenKnown(el, q, c.Token, &c.TokenKnown)
	case *sessions.ReconnectCmd:
		g.read(el, q, func(ctx context.Context) error {
			rec, _, err := g.store.Session(ctx, c.Session)
			if errors.Is(err, sessions.ErrNotFound) {
				return nil
			}
			c.Stored = &rec
			return err
		})
	case *sessions.MAMCmd:
		if q.To.Localpart() == "" || q.To.Resourcepart() != "" {
			g.errorReply(el, muc.Errorf(muc.Cancel, muc.ServiceUnavailable, "the archive is per chat session: query a room"))
			return
		}
		g.read(el, q, func(ctx context.Context) error {
			rec, agents, err := g.store.Session(ctx, q.To.Localpart())
			if errors.Is(err, sessions.ErrNotFound) {
				return nil
			}
			c.Stored, c.StoredAgents = &rec, agents
			return err
		})
	case *sessions.CannedCmd:
		g.read(el, q, func(ctx context.Context) error {
			if q.Type == "get" {
				list, err := g.store.CannedList(ctx)
				c.List = list
				return err
			}
			cn, err := g.store.Canned(ctx, c.ID)
			if errors.Is(err, sessions.ErrNotFound) {
				return nil
			}
			c.Resolved = &cn
			return err
		})
	default:
		g.submit(el, q)
	}
}

// withTokenKnown submits q once the store said whether token's hash is
// known (into *known), or at once when token is not one the service gives.
func (g *Gateway) withTokenKnown(el *xmpp.Element, q *sessions.IQ, token string, known *bool) {
	hash, ok := sessions.HashToken(token)
	if !ok {
		g.submit(el, q)
		return
	}
	g.read(el, q, func(ctx context.Context) error {
		k, err := g.store.TokenKnown(ctx, hash)
		*known = k
		return err
	})
}

// read runs a store read off the reading goroutine, then submits q.
func (g *Gateway) read(el *xmpp.Element, q *sessions.IQ, fn func(context.Context) error) {
	go func() {
		ctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
		defer cancel()
		if err := fn(ctx); err != nil {
			g.log.Error("store read failed", "err", err)
			g.errorReply(el, muc.Errorf(muc.Wait, muc.InternalServerError, "the service cannot reach its store; try again"))
			return
		}
		g.submit(el, q)
	}()
}
