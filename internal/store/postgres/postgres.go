package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// Options tune Open.
type Options struct {
	// MaxConns caps the connection pool. Default (0): pgxpool's default, the
	// greater of 4 and the number of CPUs, or pool_max_conns in the URL.
	MaxConns int32
	// Schema, when set, is the schema every connection works in: it becomes
	// the search_path, it is created if missing, and the job queue's tables
	// live there too. Default (""): the URL's search_path, usually public.
	// Letters, digits and underscores only, like River requires.
	Schema string
	// EngineMaxConns caps the delivery engine's pool (EnginePool). Default
	// (0): MaxConns.
	EngineMaxConns int32
}

// Store is a store.Store on a PostgreSQL database, through a pgx pool.
type Store struct {
	pool *pgxpool.Pool
	// engine is EnginePool: the same database, commits not synced.
	engine *pgxpool.Pool
	schema string
	queries
}

// jobInserter is the job queue's client, used only to insert jobs inside
// the store's transactions.
type jobInserter = *river.Client[pgx.Tx]

var _ store.Store = (*Store)(nil)
var _ store.Migrator = (*Store)(nil)

// schemaNameRE is River's rule for schema names; a name it accepts is safe
// to quote as an identifier anywhere.
var schemaNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Open connects to the database at url (postgres://…) and creates
// opts.Schema if it is missing. It does not apply migrations; call Migrate.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	if opts.Schema != "" && !schemaNameRE.MatchString(opts.Schema) {
		return nil, fmt.Errorf("postgres: schema %q: only letters, digits and underscores, not starting with a digit", opts.Schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: database URL: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, schema: opts.Schema}
	if err := s.open(ctx, engineConfig(cfg, opts.EngineMaxConns)); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// open checks the connection, creates the schema and the job inserter, and
// opens the engine's pool.
func (s *Store) open(ctx context.Context, engine *pgxpool.Config) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: open: %w", err)
	}
	if err := ensureSchema(ctx, s.pool, s.schema); err != nil {
		return err
	}
	inserter, err := river.NewClient(riverpgxv5.New(s.pool), &river.Config{Schema: s.schema})
	if err != nil {
		return fmt.Errorf("postgres: job queue: %w", err)
	}
	s.queries = queries{ex: s.pool, jobs: inserter, db: s}
	if s.engine, err = pgxpool.NewWithConfig(ctx, engine); err != nil {
		return fmt.Errorf("postgres: open: %w", err)
	}
	return nil
}

// engineConfig is the store's pool configuration with commits that do not
// wait for the WAL flush (see EnginePool), capped at maxConns (0: the
// store's cap).
func engineConfig(store *pgxpool.Config, maxConns int32) *pgxpool.Config {
	cfg := store.Copy()
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	cfg.ConnConfig.RuntimeParams["application_name"] = "ivvy-notify delivery engine"
	return cfg
}

// ensureSchema creates schema unless it exists. An advisory lock keeps two
// nodes starting at once from racing to create it; checking first spares a
// role without CREATE on the database when the schema is already there.
func ensureSchema(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if schema == "" {
		return nil
	}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('ivvy-notify schema ' || $1, 0))`, schema); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil || exists {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create schema %s: %w", schema, err)
	}
	return nil
}

// Pool returns the store's connection pool, whose commits are synced. The
// delivery engine's River client uses EnginePool instead; any River client
// must use Schema() as its schema.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the schema from Options, "" when the search_path decides.
func (s *Store) Schema() string { return s.schema }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// EnginePool returns a second pool on the same database and schema, for
// the delivery engine's bookkeeping: River's job fetches, completions and
// snoozes, and the delivery gate's leases. Its commits do not wait for the
// WAL to reach the disk (synchronous_commit off); a database crash can
// lose the last few hundred milliseconds of them, never the store's own
// records, which stay on Pool and are synced. Losing them is harmless: a
// job found running again is rescued, and its worker skips a delivery
// whose attempt the store already recorded; any synced commit flushes the
// engine's earlier ones with it.
func (s *Store) EnginePool() *pgxpool.Pool { return s.engine }

// Close closes every connection of both pools.
func (s *Store) Close() error {
	s.pool.Close()
	if s.engine != nil {
		s.engine.Close()
	}
	return nil
}

// InTx runs fn in one transaction.
func (s *Store) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	return s.InPgxTx(ctx, func(tx pgx.Tx) error { return fn(queries{ex: tx, jobs: s.jobs, db: s}) })
}

// InPgxTx runs fn in one transaction and hands it the raw pgx.Tx, so that
// code which must share the transaction (the job queue's inserts) can.
func (s *Store) InPgxTx(ctx context.Context, fn func(tx pgx.Tx) error) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// Roll back even when ctx is what failed.
	rollback := func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }
	defer func() {
		if p := recover(); p != nil {
			rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		rollback()
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", translate(err))
	}
	return nil
}

// execer is what both *pgxpool.Pool and pgx.Tx offer.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// queries implements store.Queries on the pool or a transaction.
type queries struct {
	ex   execer
	jobs jobInserter
	db   *Store
}

// PostgreSQL error codes the store translates.
const (
	foreignKeyViolation = "23503"
	uniqueViolation     = "23505"
)

// translate maps driver errors onto the store's sentinels.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case uniqueViolation:
			return fmt.Errorf("%w: %s", store.ErrConflict, pe.Error())
		case foreignKeyViolation:
			return fmt.Errorf("%w: %s", store.ErrNotFound, pe.Error())
		}
	}
	return err
}

// insertedOrConflict translates the error of an INSERT … ON CONFLICT DO
// NOTHING RETURNING …: no row back means a unique rule kept it out.
//
// The store's inserts that may conflict use ON CONFLICT DO NOTHING rather
// than letting the unique violation raise, because a failed statement
// aborts a PostgreSQL transaction (SQLite's carries on), and callers do
// carry on after ErrConflict inside InTx: a publish whose TxnID was seen
// before reads the earlier event in the same transaction.
func insertedOrConflict(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrConflict
	}
	return translate(err)
}

// ts converts a time to the stored form. timestamptz keeps microseconds;
// truncating here (the server would round) matches the SQLite backend.
func ts(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// tsPtr converts an optional time to the stored form.
func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// utc normalises scanned times, which pgx returns in time.Local, to UTC.
func utc(times ...*time.Time) {
	for _, t := range times {
		*t = t.UTC()
	}
}

// utcPtr normalises an optional scanned time to UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}
