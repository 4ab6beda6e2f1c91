// The Store the engine needs: records, batches, snapshots, queries.

package sessions

import (
	"context"
	"errors"
	"time"

	"github.com/parley-chat/parley/muc"
)

// ErrNotFound is what a Store returns when a row asked for does not exist.
var ErrNotFound = errors.New("sessions: not found")

// State is a session's place in its life.
type State string

const (
	StateQueued    State = "queued"
	StateActive    State = "active"
	StateSuspended State = "suspended"
	StateClosed    State = "closed"
	StateExpired   State = "expired"
	// StateAbandoned: the visitor left the queue and did not come back within
	// the abandon time (terminal, like closed and expired).
	StateAbandoned State = "abandoned"
	// StateMissed: a message the visitor left when nobody could chat; it
	// waits, with its room, until an agent takes it (then it is active).
	StateMissed State = "missed"
)

// Live reports whether a session in this state still has a room.
func (s State) Live() bool {
	return s == StateQueued || s == StateActive || s == StateSuspended || s == StateMissed
}

// Permission names, as stored.
const (
	PermChat      = "chat"
	PermSupervise = "supervise"
	PermAdmin     = "admin"
)

// Record is one session row: everything needed to rebuild the session after a
// restart except its transcript.
type Record struct {
	ID           string
	TokenHash    []byte // SHA-256 of the visitor token; nil when none
	Queue        string
	State        State
	Owner        string            // bare JID of the owning agent; "" while queued
	VisitorJIDs  []string          // full JIDs allowed to join as the visitor
	Visitor      map[string]string // free-form visitor details (name, email, page…)
	Question     string            // the request's <body/>
	SuspendedBy  SuspendedBy       // "" when not suspended
	SuspendCause string
	Explicit     bool // suspended explicitly (by visitor click/close, or agent)
	Replaces     string
	CreatedAt    time.Time
	AssignedAt   time.Time // zero until an agent joined
	SuspendedAt  time.Time // zero unless suspended
	EndedAt      time.Time // zero while live
	Deadline     time.Time // next timer of this session (idle, grace, suspend expiry); zero = none
	UpdatedAt    time.Time
}

// SessionAgent records that an agent took part in a session (owner or
// conference): it may rejoin the room and read its transcript.
type SessionAgent struct {
	Session string
	JID     string    // bare
	Role    AgentRole // owner or conference
	At      time.Time
}

// Entry is one transcript line.
type Entry struct {
	Session    string
	Seq        int64 // 1-based, dense, per session; assigned by the domain
	At         time.Time
	AuthorRole string // "visitor", "agent", "supervisor", "system"
	AuthorJID  string // full JID of the sender ("" for system)
	Nick       string
	Kind       EntryKind
	Body       string
	Payload    string // extension children as self-contained XML, may be ""
	// Element is the service's own element of the line (an event, a canned
	// or comment marker) as a typed value; the store writes it rendered,
	// after Payload, so a restored line carries it in Payload. Nil when none.
	Element muc.Element
	// OriginID and OriginSender: the message's XEP-0359 origin-id and who
	// sent it ("visitor" or an agent's bare JID); at most one entry per
	// session has a given pair. Both "" when the message had none.
	OriginID     string
	OriginSender string
}

// Token is a visitor token row (its hash only).
type Token struct {
	Hash      []byte
	CreatedAt time.Time
}

// Batch is a set of writes that must be durable together before any stanza
// that depends on them is sent.
type Batch struct {
	Tokens     []Token        // insert, ignore if present
	Sessions   []Record       // upsert by ID
	Agents     []SessionAgent // insert, ignore if present
	Transcript []Entry        // insert
	// Replay is set by the Runner when it commits the batch again after a
	// failed attempt. A commit whose answer was lost (the connection cut
	// after the server committed) may be in the store already: on a replay
	// a transcript entry whose (session, seq) is there is left as it is,
	// where a first attempt fails on it (a repeated seq is the engine's bug).
	Replay bool
}

// Empty reports whether the batch writes nothing.
func (b *Batch) Empty() bool {
	return len(b.Tokens) == 0 && len(b.Sessions) == 0 && len(b.Agents) == 0 && len(b.Transcript) == 0
}

// Canned is a canned response.
type Canned struct {
	ID    string
	Title string
	Body  string
}

// Snapshot is what the service needs at start to resume where it stopped.
type Snapshot struct {
	Sessions    []Record                   // live sessions (queued, active, suspended)
	Agents      []SessionAgent             // of those sessions
	History     map[string][]Entry         // last N entries of each live session, in order
	LastSeq     map[string]int64           // highest seq of each live session
	Permissions map[string]map[string]bool // bare JID -> permission -> true
}

// Query selects transcript entries (XEP-0313 with RSM).
type Query struct {
	Session    string
	AfterSeq   int64 // exclusive; 0 = from the start
	BeforeSeq  int64 // exclusive; 0 = to the end
	Start, End time.Time
	Max        int  // page size
	Last       bool // take the last Max of the range instead of the first
	NoComments bool // leave out Kind "comment"
}

// Store is the persistence the domain needs. Implementations must make Commit
// atomic and a single round trip where the driver allows.
type Store interface {
	Commit(ctx context.Context, b *Batch) error
	Load(ctx context.Context, historyLimit int) (*Snapshot, error)
	Permissions(ctx context.Context) (map[string]map[string]bool, error)
	TokenKnown(ctx context.Context, hash []byte) (bool, error)
	Session(ctx context.Context, id string) (Record, []SessionAgent, error) // ErrNotFound
	Transcript(ctx context.Context, q Query) (entries []Entry, complete bool, count int, err error)
	CannedList(ctx context.Context) ([]Canned, error)
	Canned(ctx context.Context, id string) (Canned, error) // ErrNotFound
	Ping(ctx context.Context) error
}
