// The Engine: its state, NewEngine, the Process loop and the helpers every rule set shares.

package sessions

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/muc"
	"github.com/parley-chat/parley/routing"
	"mellium.im/xmpp/jid"
)

// Config holds the rules the engine applies.
type Config struct {
	// faultOnRoomSend, set by tests only, runs before the room's stanzas are
	// queued: a panic there comes after the room and the session changed.
	faultOnRoomSend func()
	// faultAfterWrite, set by tests only, runs after an input's write to one
	// of its session's maps (cow.go), with the map's name.
	faultAfterWrite func(what string)
	Domain          jid.JID // the component's JID, e.g. chat.example.com
	SignIn          jid.JID // the sign-in address agents add as a contact; zero: agents@Domain
	Queues          []string
	HistoryLimit    int // history lines kept per room and sent on join
	DefaultCapacity int
	OfferTimeout    time.Duration
	QueueLimit      int
	MaxBody         int // bytes of a message body or request body
	MaxField        int // bytes of a visitor detail
	MaxFields       int // number of visitor details
	IdleSuspend     time.Duration
	Grace           time.Duration
	SuspendTimeout  time.Duration
	AbandonAfter    time.Duration // a queued session's visitor may be away this long (0: DefaultAbandonAfter)
	WorkspaceMax    int           // most sessions one workspace lists (0: DefaultWorkspaceMax)
	WorkspaceAgents int           // most colleagues one workspace lists (0: DefaultWorkspaceAgents)
	Causes          []string
	ReconnectAlways bool
	Limits          Limits    // per visitor (limits.go); zero values: no limit
	Rand            io.Reader // nil: crypto/rand
	Observer        Observer  // nil: none
}

// Observer hears what the engine decided, for metrics.
type Observer interface {
	Request(outcome string)
	Offer(outcome string)
	Suspend(by, cause string)
	Resume(how string)
	Prompt(scenario string)
	Reconnect(route string)
	Ended(state State, by string)
}

type nopObserver struct{}

func (nopObserver) Request(string)         {}
func (nopObserver) Offer(string)           {}
func (nopObserver) Suspend(string, string) {}
func (nopObserver) Resume(string)          {}
func (nopObserver) Prompt(string)          {}
func (nopObserver) Reconnect(string)       {}
func (nopObserver) Ended(State, string)    {}

type session struct {
	rec         Record
	room        *muc.Room
	agents      map[string]AgentRole // bare JID -> its role
	offered     map[string]bool      // agents offered it while it waits: the first to join owns it
	invited     map[string]bool      // agents invited to a conference: may join as moderators
	lastSeq     int64
	visitorGone time.Time           // the last visitor JID left; zero while one is present or before any joined
	leavingJID  string              // suspend.go: a visitor JID in the room whose suspend beacon came before its leave
	reconnected bool                // a visitor reconnected while suspended: the owner was told
	transferTo  string              // agent invited to take the session over
	firstOffer  bool                // it was offered at least once (time to first offer measured)
	vnick       string              // nicks.go: the visitor's nick, assigned by the service
	nicks       map[string]string   // nicks.go: folded nick -> person (bare JID or "visitor") reserved in the room
	seenOrigin  map[originKey]int64 // dedup.go: origin-ids already kept -> their seq
	cp          *checkpoint         // isolate.go: set while an input addressed to it is handled
	peopleVer   uint64              // cow.go's keep: writes to agents, offered and invited so far (index.go reindexes byPerson when it moves)
}

func (s *session) visitorJID(j jid.JID) bool {
	k := j.String()
	for _, v := range s.rec.VisitorJIDs {
		if v == k {
			return true
		}
	}
	return false
}

// Engine is the domain. Not safe for concurrent use: the Runner serialises.
type Engine struct {
	journal  inputJournal // isolate.go: what the input being handled added
	cp       checkpoint   // isolate.go: the target session before the input
	cfg      Config
	obs      Observer
	router   *routing.Router
	byID     map[string]*session
	byToken  map[string][]string // hex(token hash) -> live session ids
	perms    map[string]map[string]bool
	queues   map[string][]string
	offline  map[string]time.Time // agent -> went offline (only while it has sessions)
	resource map[string]map[string]bool
	gone     goneRooms // sessions that ended lately, for <gone/> on a later join

	now    time.Time
	out    *Output
	ended  map[string]*session // sessions that ended in this batch: gone, but still to write
	dirty  map[string]bool     // sessions whose Record must be written
	tokens map[string]bool     // token hashes inserted in this batch

	wobs    WaitObserver // cfg.Observer when it also hears waits, else none
	restore []string     // sessions Restore changed: written by the next Process

	rates map[string][]time.Time // limits.go: recent requests per JID and token

	qwatch *queueWatch // queuepush.go: supervisors' resources subscribed to queue figures

	scale scaleState // index.go, timers.go: indexes and timers kept on change
}

// NewEngine makes an engine with no sessions.
func NewEngine(cfg Config) *Engine {
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if len(cfg.Queues) == 0 {
		cfg.Queues = []string{"default"}
	}
	if cfg.AbandonAfter <= 0 {
		cfg.AbandonAfter = DefaultAbandonAfter
	}
	if cfg.WorkspaceMax <= 0 {
		cfg.WorkspaceMax = DefaultWorkspaceMax
	}
	if cfg.WorkspaceAgents <= 0 {
		cfg.WorkspaceAgents = DefaultWorkspaceAgents
	}
	if len(cfg.Causes) == 0 {
		cfg.Causes = []string{"Investigation", "Visitor Machine Restart"}
	}
	if cfg.SignIn.Domainpart() == "" {
		cfg.SignIn, _ = jid.New("agents", cfg.Domain.Domainpart(), "")
	}
	obs := cfg.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	wobs, _ := obs.(WaitObserver)
	if wobs == nil {
		wobs = nopWaitObserver{}
	}
	return &Engine{
		cfg:  cfg,
		obs:  obs,
		wobs: wobs,
		router: routing.New(routing.Config{
			DefaultCapacity: cfg.DefaultCapacity,
			OfferTimeout:    cfg.OfferTimeout,
			QueueLimit:      cfg.QueueLimit,
		}),
		byID:     make(map[string]*session),
		byToken:  make(map[string][]string),
		perms:    make(map[string]map[string]bool),
		queues:   make(map[string][]string),
		offline:  make(map[string]time.Time),
		resource: make(map[string]map[string]bool),
	}
}

// Router exposes the routing state (read-only use: stats, tests).
func (e *Engine) Router() *routing.Router { return e.router }

// Process runs a batch of inputs at time now and returns what to write and send.
func (e *Engine) Process(now time.Time, inputs []Input) Output {
	e.now = now.UTC()
	e.out = &Output{}
	e.dirty, e.tokens = reuse(e.dirty), reuse(e.tokens)
	for _, id := range e.restore {
		e.dirty[id] = true
	}
	e.restore = nil
	for _, in := range inputs {
		e.safeHandle(in, e.noteInput(in))
		e.reindexChanged()
	}
	e.dispatch()
	e.pushQueues()
	e.reindexChanged()
	ids := make([]string, 0, len(e.dirty))
	for id := range e.dirty {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s, ok := e.byID[id]
		if !ok {
			s, ok = e.ended[id]
		}
		if ok {
			s.rec.UpdatedAt = e.now
			e.out.Batch.Sessions = append(e.out.Batch.Sessions, cloneRecord(s.rec))
		}
	}
	e.ended = nil
	out := *e.out
	e.out = nil
	return out
}

// safeHandle runs one input; a panic drops that input's own effects (rows and
// stanzas) and is reported in Output.Panics instead of ending the process.
func (e *Engine) safeHandle(in Input, target *session) {
	nOut, nTok, nSes, nAg, nTr, nMAM, nAdm := len(e.out.Out), len(e.out.Batch.Tokens), len(e.out.Batch.Sessions),
		len(e.out.Batch.Agents), len(e.out.Batch.Transcript), len(e.out.MAM), len(e.out.Admin)
	var cp *checkpoint
	if target != nil {
		cp = &e.cp
		cp.take(target, e.cfg.faultAfterWrite)
	}
	e.journal.origins, e.journal.created = e.journal.origins[:0], e.journal.created[:0]
	defer func() {
		if r := recover(); r != nil {
			if cp != nil {
				s := cp.s
				cp.rollback()
				e.restoreIndex(s)
			}
			e.journal.undo(e)
			e.out.Out = e.out.Out[:nOut]
			e.out.Batch.Tokens = e.out.Batch.Tokens[:nTok]
			e.out.Batch.Sessions = e.out.Batch.Sessions[:nSes]
			e.out.Batch.Agents = e.out.Batch.Agents[:nAg]
			e.out.Batch.Transcript = e.out.Batch.Transcript[:nTr]
			e.out.MAM = e.out.MAM[:nMAM]
			e.out.Admin = e.out.Admin[:nAdm]
			e.out.Panics = append(e.out.Panics, fmt.Sprintf("%T: %v", in, r))
			if q, ok := in.(*IQ); ok {
				e.replyErr(q, muc.Errorf(muc.Wait, muc.InternalServerError, "the service failed on this request"))
			}
		}
	}()
	e.handle(in)
	if cp != nil {
		cp.release()
	}
}

func (e *Engine) handle(in Input) {
	switch v := in.(type) {
	case *Presence:
		e.presence(v)
	case *Message:
		e.message(v)
	case *IQ:
		e.iq(v)
	case Tick:
		e.timers()
	case *Reload:
		e.reload(v)
	case *Leaving:
		e.leaving(v)
	}
}

func cloneRecord(r Record) Record {
	c := r
	c.VisitorJIDs = append([]string(nil), r.VisitorJIDs...)
	c.Visitor = make(map[string]string, len(r.Visitor))
	for k, v := range r.Visitor {
		c.Visitor[k] = v
	}
	c.TokenHash = append([]byte(nil), r.TokenHash...)
	return c
}

// --- small helpers ---

// reuse empties a per-batch set for the next batch: a small one is kept (a
// batch of one message marks one session), a large one (a restore's) is
// dropped rather than cleared, which costs its whole capacity.
func reuse(m map[string]bool) map[string]bool {
	if m == nil || len(m) > 16 {
		return make(map[string]bool)
	}
	clear(m)
	return m
}

func (e *Engine) send(s ...Out) { e.out.Out = append(e.out.Out, s...) }

func (e *Engine) sendMUC(st []muc.Stanza) {
	if e.cfg.faultOnRoomSend != nil {
		e.cfg.faultOnRoomSend()
	}
	for _, s := range st {
		e.out.Out = append(e.out.Out, s)
	}
}

func (e *Engine) reply(iq *IQ, payload Payload) {
	e.send(&Stanza{Name: "iq", From: iq.To, To: iq.From, ID: iq.ID, Type: "result", Payload: payload})
}

func (e *Engine) replyErr(iq *IQ, err *muc.Error) {
	e.send(&Stanza{Name: "iq", From: iq.To, To: iq.From, ID: iq.ID, Type: "error", Err: err})
}

func (e *Engine) has(bare, perm string) bool { return e.perms[bare][perm] }

func (e *Engine) touch(s *session) { e.dirty[s.rec.ID] = true; e.timerTouch(s) }

func (e *Engine) isService(j jid.JID) bool {
	return j.Localpart() == "" && j.Resourcepart() == "" && j.Domainpart() == e.cfg.Domain.Domainpart()
}

// isSignIn says whether j is the sign-in address (bare): it answers presence,
// IQs and messages like the service's own JID (docs/protocol.md).
func (e *Engine) isSignIn(j jid.JID) bool {
	return j.Resourcepart() == "" && j.Equal(e.cfg.SignIn)
}

// SignIn is the sign-in address agents add as a contact.
func (e *Engine) SignIn() jid.JID { return e.cfg.SignIn }

func (e *Engine) lookup(to jid.JID) *session {
	if to.Domainpart() != e.cfg.Domain.Domainpart() || to.Localpart() == "" {
		return nil
	}
	return e.byID[to.Localpart()]
}

func (e *Engine) randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(e.cfg.Rand, b); err != nil {
		panic("sessions: random source failed: " + err.Error())
	}
	return b
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func (e *Engine) newSessionID() string {
	for {
		id := strings.ToLower(b32.EncodeToString(e.randomBytes(16)))
		if _, dup := e.byID[id]; !dup {
			return id
		}
	}
}

// newToken returns a visitor token (192 random bits, URL-safe).
func (e *Engine) newToken() string { return base64.RawURLEncoding.EncodeToString(e.randomBytes(24)) }

// HashToken returns the stored form of a token; ok is false for a malformed one.
func HashToken(token string) (hash []byte, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 16 || len(token) > 128 {
		return nil, false
	}
	h := sha256.Sum256([]byte(token))
	return h[:], true
}

func tokenMatches(token string, hash []byte) bool {
	h, ok := HashToken(token)
	if !ok || len(hash) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(h, hash) == 1
}

// line appends a transcript entry for s and returns it as a history line.
func (e *Engine) line(s *session, role, from, nick string, kind EntryKind, body, payload string, elem muc.Element) muc.Line {
	s.lastSeq++
	e.out.Batch.Transcript = append(e.out.Batch.Transcript, Entry{
		Session: s.rec.ID, Seq: s.lastSeq, At: e.now, AuthorRole: role, AuthorJID: from,
		Nick: nick, Kind: kind, Body: body, Payload: payload, Element: elem,
	})
	return muc.Line{Nick: nick, At: e.now, Body: body, Payload: payload, Element: elem,
		StanzaID: itoa64(s.lastSeq), AgentsOnly: kind == KindComment}
}

func itoa64(n int64) string { return itoa(int(n)) }

// event announces a system event in the room and keeps it in the transcript.
func (e *Engine) event(s *session, ev Event, body string) {
	if ev.State == "" {
		ev.State = s.rec.State
	}
	l := e.line(s, "system", "", muc.ServiceNick, KindEvent, body, "", &ev)
	e.sendMUC(s.room.AnnounceAsService(l))
}

// agentNick is how an agent shows in events: its nick in the room, else its localpart.
func (e *Engine) agentNick(s *session, bare string) string {
	for _, o := range s.room.Occupants() {
		if o.Person == bare {
			return o.Nick
		}
	}
	if j, err := jid.Parse(bare); err == nil && j.Localpart() != "" {
		return j.Localpart()
	}
	return bare
}

func (e *Engine) forget(s *session) {
	if len(s.rec.TokenHash) > 0 {
		k := hex.EncodeToString(s.rec.TokenHash)
		ids := e.byToken[k]
		for i, id := range ids {
			if id == s.rec.ID {
				ids = append(ids[:i:i], ids[i+1:]...)
				break
			}
		}
		if len(ids) == 0 {
			delete(e.byToken, k)
		} else {
			e.byToken[k] = ids
		}
	}
	delete(e.byID, s.rec.ID)
	e.timerTouch(s)
}

func itoa(n int) string { return strconv.Itoa(n) }
