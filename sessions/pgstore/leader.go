package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parley-chat/parley/sessions"
)

// Active/standby. Every `parleyd serve` on one schema competes for one
// session-level advisory lock, each on a dedicated connection; the one that
// holds it is active, bumps the epoch in the leader row, renews a heartbeat
// there, and every commit it makes checks that epoch (parley_fence), so an
// old leader that lost the lock (paused, cut off) can never write after a
// takeover. A standby that finds the heartbeat stale terminates the holder's
// lock connection (the lock then goes) and takes over.

// leaderLockSQL is the advisory lock's key: one per schema, as for migrations.
const leaderKey = `hashtextextended('parley_leader:' || current_schema(), 0)`

const fenceSQL = `SELECT parley_fence($1)`

// fenced maps the fencing check's failure to sessions.ErrFenced.
func fenced(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "PF001" {
		return fmt.Errorf("%w: %s", sessions.ErrFenced, pe.Message)
	}
	return err
}

// SetFence makes every later Commit check that epoch is still the active
// one (0: no check).
func (s *Store) SetFence(epoch int64) { s.fence.Store(epoch) }

// ActiveEpoch is the epoch of the process active now (0 before the first
// takeover). A tool that commits beside it (parleyload's commit probe) sets
// its fence to it, so that its commits are checked like the active one's.
func (s *Store) ActiveEpoch(ctx context.Context) (int64, error) {
	var epoch int64
	if err := s.pool.QueryRow(ctx, `SELECT epoch FROM leader WHERE id = 1`).Scan(&epoch); err != nil {
		return 0, fmt.Errorf("pgstore: leader epoch: %w", err)
	}
	return epoch, nil
}

// Elector acquires the active role.
type Elector struct {
	Pool   *pgxpool.Pool // its connection settings (search_path…) are used for the lock connection
	Holder string        // who we are, for the leader row and logs
	Log    *slog.Logger
	// Renew is the heartbeat period (default 1s); Stale is how old a
	// heartbeat may be before a standby breaks the lock (default 5s); Poll
	// is how often a standby tries (default 250ms).
	Renew, Stale, Poll time.Duration
}

// Previous describes who was active before a Lease.
type Previous struct {
	Epoch  int64
	Holder string
	Broken bool // the standby terminated its stale lock connection
}

// Lease is the active role, held until Lost is closed or Release is called.
type Lease struct {
	e     *Elector
	epoch int64
	Prev  Previous

	mu     sync.Mutex
	beat   time.Time // the last heartbeat that went through
	conn   *pgx.Conn
	lost   chan struct{}
	why    error
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

func (e *Elector) defaults() {
	if e.Renew <= 0 {
		e.Renew = time.Second
	}
	if e.Stale <= 0 {
		e.Stale = 5 * time.Second
	}
	if e.Poll <= 0 {
		e.Poll = 250 * time.Millisecond
	}
	if e.Log == nil {
		e.Log = slog.Default()
	}
}

func (e *Elector) connect(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, e.Pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	// Let the server notice a vanished holder quickly (TCP keepalives on its
	// side; harmless where unsupported, e.g. a Unix socket).
	_, _ = conn.Exec(cctx, `SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 3`)
	return conn, nil
}

// Acquire waits until this process is the active one, or ctx ends.
// waiting, when set, is called once when the lock is found held by another.
func (e *Elector) Acquire(ctx context.Context, waiting func(holder string)) (*Lease, error) {
	e.defaults()
	var conn *pgx.Conn
	told := false
	defer func() {
		if conn != nil && ctx.Err() != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if conn == nil || conn.IsClosed() {
			c, err := e.connect(ctx)
			if err != nil {
				e.Log.Warn("standby: cannot reach the database", "err", err)
				if !sleep(ctx, e.Poll) {
					return nil, ctx.Err()
				}
				continue
			}
			conn = c
		}
		l, holder, err := e.try(ctx, conn)
		switch {
		case err != nil:
			e.Log.Warn("standby: election query failed", "err", err)
			conn.Close(context.Background())
			conn = nil
		case l != nil:
			return l, nil
		case !told && waiting != nil:
			told = true
			waiting(holder)
		}
		if !sleep(ctx, e.Poll) {
			return nil, ctx.Err()
		}
	}
}

// try takes the lock if it is free, or breaks it if its holder's heartbeat
// is stale; nil Lease when another holds it.
func (e *Elector) try(ctx context.Context, conn *pgx.Conn) (*Lease, string, error) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var got bool
	if err := conn.QueryRow(qctx, `SELECT pg_try_advisory_lock(`+leaderKey+`)`).Scan(&got); err != nil {
		return nil, "", err
	}
	var prev Previous
	if !got {
		var pid int
		var stale bool
		if err := conn.QueryRow(qctx, `SELECT holder, pid, renewed_at IS NULL OR now() - renewed_at > $1 FROM leader WHERE id = 1`,
			e.Stale).Scan(&prev.Holder, &pid, &stale); err != nil {
			return nil, "", err
		}
		if !stale || pid == 0 {
			return nil, prev.Holder, nil
		}
		e.Log.Warn("standby: the active parleyd's heartbeat is stale; breaking its lock", "holder", prev.Holder, "pid", pid, "stale_after", e.Stale)
		// Wait (up to 2 s) until that backend is gone, and its lock with it.
		if _, err := conn.Exec(qctx, `SELECT pg_terminate_backend($1, 2000)`, pid); err != nil {
			return nil, "", err
		}
		if err := conn.QueryRow(qctx, `SELECT pg_try_advisory_lock(`+leaderKey+`)`).Scan(&got); err != nil {
			return nil, "", err
		}
		if !got {
			return nil, prev.Holder, nil
		}
		prev.Broken = true
	}
	// The lock is ours: a new epoch. The UPDATE waits for commits in flight
	// that hold the row (parley_fence); after it, the old epoch fails them.
	var epoch int64
	err := conn.QueryRow(qctx, `WITH old AS (SELECT epoch, holder FROM leader WHERE id = 1)
UPDATE leader SET epoch = leader.epoch + 1, holder = $1, pid = pg_backend_pid(), since = now(), renewed_at = now()
FROM old WHERE leader.id = 1 RETURNING leader.epoch, old.epoch, old.holder`, e.Holder).Scan(&epoch, &prev.Epoch, &prev.Holder)
	if err != nil {
		_, _ = conn.Exec(context.Background(), `SELECT pg_advisory_unlock(`+leaderKey+`)`)
		return nil, "", err
	}
	l := &Lease{e: e, epoch: epoch, Prev: prev, conn: conn, beat: time.Now(), lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew()
	return l, "", nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Epoch is this lease's epoch (give it to Store.SetFence).
func (l *Lease) Epoch() int64 { return l.epoch }

// Lost is closed when another process has taken over: this one must stop.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err says why the lease was lost.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.why
}

// renew beats the heartbeat. When the lock connection breaks (the database
// restarted, or a standby terminated it) it reconnects and takes the lock
// back if the epoch is still ours; if another took over, the lease is lost.
// While the database is unreachable the lease is kept: commits fail anyway,
// and the fence refuses them if another took over meanwhile.
func (l *Lease) renew() {
	defer close(l.done)
	e := l.e
	t := time.NewTicker(e.Renew)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		err := l.heartbeat()
		if err == nil {
			l.mu.Lock()
			l.beat = time.Now()
			l.mu.Unlock()
			continue
		}
		if errors.Is(err, sessions.ErrFenced) {
			l.mu.Lock()
			l.why = err
			l.mu.Unlock()
			close(l.lost)
			return
		}
		e.Log.Warn("active: heartbeat failed; keeping the role while the database is away", "err", err, "epoch", l.epoch)
	}
}

// Fresh reports whether the last heartbeat went through less than half the
// staleness limit ago: no standby can have taken over since. A process that
// was paused, or lost the database, is not fresh until it beats again.
func (l *Lease) Fresh() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.lost:
		return false
	default:
	}
	return time.Since(l.beat) < l.e.Stale/2
}

// heartbeat renews once, reconnecting and relocking when needed; ErrFenced
// when another process is active now.
func (l *Lease) heartbeat() error {
	e := l.e
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if conn == nil || conn.IsClosed() {
		c, err := e.connect(ctx)
		if err != nil {
			return err
		}
		var got bool
		if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+leaderKey+`)`).Scan(&got); err != nil {
			c.Close(context.Background())
			return err
		}
		if !got {
			c.Close(context.Background())
			return fmt.Errorf("%w: another process holds the leader lock", sessions.ErrFenced)
		}
		conn = c
		l.mu.Lock()
		l.conn = c
		l.mu.Unlock()
		e.Log.Info("active: leader lock taken back", "epoch", l.epoch)
	}
	tag, err := conn.Exec(ctx, `UPDATE leader SET renewed_at = now(), pid = pg_backend_pid() WHERE id = 1 AND epoch = $1`, l.epoch)
	if err != nil {
		conn.Close(context.Background())
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("%w: epoch %d was taken over", sessions.ErrFenced, l.epoch)
	}
	return nil
}

// Release gives the role up (a standby takes over at its next poll).
func (l *Lease) Release() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	l.mu.Lock()
	conn := l.conn
	l.mu.Unlock()
	if conn != nil && !conn.IsClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		// Let a standby take over at once rather than after the heartbeat
		// goes stale.
		_, _ = conn.Exec(ctx, `UPDATE leader SET renewed_at = NULL WHERE id = 1 AND epoch = $1`, l.epoch)
		_, _ = conn.Exec(ctx, `SELECT pg_advisory_unlock(`+leaderKey+`)`)
		conn.Close(ctx)
	}
}
