// Package sqlite is the embedded SQLite backend of the store, built on the
// pure-Go modernc.org/sqlite driver: WAL journal, foreign keys on, full
// synchronous commits (fdatasync), and one writer connection shared with
// the job queue (the River SQLite driver's recommendation: SQLite allows
// one writer at a time). The store's transactions share commits on it
// (groupCommitter); reads outside transactions use a read-only pool
// (routed), and the rows every publish and delivery reads are cached
// (lookupCache); every connection caches its prepared statements
// (cachingConnector).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/jobwake"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// FileName is the database file's name inside the data directory.
const FileName = "ivvy-notify.db"

// Store is a store.Store on one SQLite database file.
type Store struct {
	db *sql.DB
	// reads is the read pool that serves SELECTs outside transactions.
	reads *sql.DB
	// group commits concurrent deliveries' attempt records together.
	group *groupCommitter
	// jobsEnqueued is set by a transaction that enqueued jobs; the next
	// commit clears it and calls jobsCommitted.
	jobsEnqueued  atomic.Bool
	jobsCommitted atomic.Pointer[func()]
	// lookups caches accounts, keys, topics and subscriptions for reads
	// outside transactions; the writer's connections keep it exact.
	lookups *lookupCache
	queries
}

// jobInserter is the job queue's client, used only to insert jobs inside
// the store's transactions.
type jobInserter = *river.Client[*sql.Tx]

var _ store.Store = (*Store)(nil)
var _ store.Migrator = (*Store)(nil)

// Open opens (creating if needed) the SQLite database at path. It does not
// apply migrations; call Migrate. The database and its -wal and -shm
// files are private to the server's user (mode 0600).
func Open(ctx context.Context, path string) (*Store, error) {
	if err := makePrivate(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	base, err := sqlite.NewConnector(dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Commit with fdatasync(2), as SQLite's own Linux builds do: the same
	// durability, without waiting for the file's timestamps to be written.
	// Where it is unavailable the driver keeps fsync(2).
	_, _ = sqlite.Fdatasync(true)
	lookups := &lookupCache{}
	db := sql.OpenDB(cachingConnector{Connector: base, lookups: lookups})
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// The store tells the job queue itself when jobs commit (OnJobsCommitted):
	// the inserting client writes no notifications.
	inserter, err := river.NewClient(jobwake.Driver(riversqlite.New(db), nil), &river.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: job queue: %w", err)
	}
	readBase, err := sqlite.NewConnector(readDSN(path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	reads := sql.OpenDB(cachingConnector{Connector: readBase})
	reads.SetMaxOpenConns(readConns)
	reads.SetMaxIdleConns(readConns)
	reads.SetConnMaxIdleTime(0)
	s := &Store{db: db, reads: reads, lookups: lookups}
	s.group = newGroupCommitter(s)
	s.queries = queries{ex: routed{r: reads, group: s.group}, jobs: inserter, db: s}
	return s, nil
}

// dsn builds the driver's data source name: WAL so readers never block the
// writer, foreign keys enforced, FULL sync so an acknowledged commit
// survives power loss, a busy timeout, IMMEDIATE transactions so a writer
// takes the lock up front instead of failing to upgrade later, and
// temporary storage in memory. The last matters for group commits: every
// transaction of a group is a savepoint, whose undo copies of the pages it
// changes (the statement journal) SQLite otherwise spills to a new
// temporary file once they pass 64 KiB — a file created, written and
// deleted in almost every group commit (1.5 % of all CPU at half the
// signing ceiling).
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)") // FULL for the store's commits: see syncedWrites
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// DB returns the underlying database handle, for the job queue's driver.
func (s *Store) DB() *sql.DB { return s.db }

// ReadPoolStats returns the read pool's connection statistics, for
// measurements (ivvy-notify bench).
func (s *Store) ReadPoolStats() sql.DBStats { return s.reads.Stats() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the database.
func (s *Store) Close() error {
	s.group.close()
	return errors.Join(s.reads.Close(), s.db.Close())
}

// InTx runs fn atomically: in a savepoint of a group commit (see
// groupCommitter), which behaves as a transaction of its own. It returns
// once fn's work is committed, or rolled back when fn fails.
func (s *Store) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	return s.group.run(ctx, func(tx *sql.Tx) error { return fn(queries{ex: tx, jobs: s.jobs, db: s}) })
}

// InSQLTx runs fn in one transaction and hands it the raw *sql.Tx, so that
// code which must share the transaction (the job queue's inserts) can. The
// commit is synced (synchronous=FULL): see syncedWrites.
func (s *Store) InSQLTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: writer: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, syncFull); err != nil {
		return fmt.Errorf("sqlite: %s: %w", syncFull, err)
	}
	// Back to the job queue's setting once this transaction is over; if that
	// fails the connection only stays slower, never less durable.
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), syncNormal) }()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", translate(err))
	}
	if s.jobsEnqueued.Swap(false) {
		if fn := s.jobsCommitted.Load(); fn != nil {
			(*fn)()
		}
	}
	return nil
}

// syncedWrites: the store's own transactions commit with
// synchronous=FULL, which syncs the write-ahead log (fdatasync) before the
// commit returns, so what a caller was told is stored survives a power
// loss. The job queue's own bookkeeping — River marking a job running,
// completed or snoozed, which it commits several hundred times a second
// under load — runs at the connection's default, synchronous=NORMAL: its
// commits reach the operating system (they survive the process being
// killed) but are synced only by the next synced commit or checkpoint.
// A sync covers every earlier frame of the log, so the state after a power
// loss is always a prefix of the commits, and at worst River's last
// bookkeeping is undone: a job counted running or done runs again, finds
// its delivery's stored status (synced) and does nothing, or tries again
// — the at-least-once SNS promises, never a lost delivery. PRAGMA
// synchronous has no effect inside a transaction, so it is set before
// BEGIN on the writer connection and set back after.
const (
	syncFull   = "PRAGMA synchronous = FULL"
	syncNormal = "PRAGMA synchronous = NORMAL"
)

// OnJobsCommitted sets fn to be called after each commit of jobs to the
// queue (a spurious call now and then is possible: after a commit whose
// enqueuing savepoint was rolled back). fn must not block: it runs while the
// writer waits. The job queue uses it to fetch at once rather than at its
// next poll (see package jobwake).
func (s *Store) OnJobsCommitted(fn func()) { s.jobsCommitted.Store(&fn) }

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements store.Queries on a database or a transaction.
type queries struct {
	ex   execer
	jobs jobInserter
	db   *Store
}

// translate maps driver errors onto the store's sentinels.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", store.ErrConflict, se.Error())
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("%w: %s", store.ErrNotFound, se.Error())
		}
	}
	return err
}

// micros converts a time to the stored form: Unix microseconds, the
// precision PostgreSQL keeps too.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts a stored time back, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// timePtr converts an optional stored time back.
func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// ReleaseOrphanedJobs makes every delivery job left "running" available
// again, and hands every delivery still held for a direct send to the
// queue. Only for start-up of the one node that works this database: a
// SQLite database has a single node, so such jobs and holds belong to a
// process that died mid-attempt, and their deliveries need not wait for
// River's stuck-job rescue or the hold's end.
func (s *Store) ReleaseOrphanedJobs(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec')
		WHERE queue = ? AND state = 'running'`, jobs.QueueDeliveries)
	if err != nil {
		return fmt.Errorf("sqlite: release orphaned jobs: %w", err)
	}
	const batch = 1000
	every := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // every hold ends before
	for {
		n, err := s.DeliveryReleaseExpiredHolds(ctx, every, batch)
		if err != nil || n < batch {
			return err
		}
	}
}
