package postgres

import (
	"context"
	"embed"
	"fmt"
	"github.com/ivvy-notify/ivvy-notify/internal/store"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFS, "migrations")
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)`

// migrateLock is a session advisory lock per schema, so that of several
// nodes starting at once one migrates and the others then find nothing to do.
const migrateLock = `SELECT pg_advisory_lock(hashtextextended('ivvy-notify migrate ' || COALESCE(current_schema(), ''), 0))`

// Migrate applies every embedded migration not yet applied, each in its own
// transaction, then the job queue's (River's), all under an advisory lock,
// and returns the versions applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	migrations, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	conn, err := s.lockMigrations(ctx)
	if err != nil {
		return nil, err
	}
	// Closing the session releases the lock.
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	current, err := appliedVersion(ctx, conn)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range migrations {
		if m.Version <= current {
			continue
		}
		if err := apply(ctx, conn, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	if err := s.migrateQueue(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// lockMigrations opens a connection of its own, outside the pool so that a
// pool of one still has a connection for River's migrations, and takes the
// migration lock on it, waiting for any other migrator to finish.
func (s *Store) lockMigrations(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, migrateLock); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	return conn, nil
}

// apply runs one migration and records it, atomically: PostgreSQL's DDL is
// transactional.
func apply(ctx context.Context, conn *pgx.Conn, m store.Migration) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version); err != nil {
			return fmt.Errorf("postgres: record migration %s: %w", m.Name, err)
		}
		return nil
	})
}

// appliedVersion returns the highest recorded migration, 0 if none.
func appliedVersion(ctx context.Context, ex execer) (int, error) {
	var v int
	err := ex.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("postgres: read schema version: %w", err)
	}
	return v, nil
}

// SchemaVersion reports the applied and the known schema versions. Unlike
// Migrate it writes nothing: a database never migrated is at version 0.
func (s *Store) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	migrations, err := loadMigrations()
	if err != nil {
		return 0, 0, err
	}
	known = migrations[len(migrations)-1].Version
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, known, fmt.Errorf("postgres: read schema version: %w", err)
	}
	if !exists {
		return 0, known, nil
	}
	applied, err = appliedVersion(ctx, s.pool)
	return applied, known, err
}

// migrateQueue applies the job queue's own migrations (River's), which
// live beside ours in the same schema. River runs each in a transaction of
// its own on the pool; some of its migrations cannot share one.
func (s *Store) migrateQueue(ctx context.Context) error {
	m, err := rivermigrate.New(riverpgxv5.New(s.pool), &rivermigrate.Config{Schema: s.schema})
	if err != nil {
		return fmt.Errorf("postgres: job queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("postgres: job queue migrations: %w", err)
	}
	return nil
}
