package sqlite

import (
	"context"
	"github.com/ivvy-notify/ivvy-notify/internal/store"

	"embed"
	"fmt"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]store.Migration, error) {
	return store.LoadMigrations(migrationFS, "migrations")
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
)`

// Migrate applies every embedded migration not yet applied, each in its own
// transaction, and returns the versions applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	migrations, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("sqlite: create schema_migrations: %w", err)
	}
	current, err := s.appliedVersion(ctx)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range migrations {
		if m.Version <= current {
			continue
		}
		if err := s.apply(ctx, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	if err := s.migrateQueue(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// apply runs one migration and records it, atomically.
func (s *Store) apply(ctx context.Context, m store.Migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.Version, micros(time.Now())); err != nil {
		return fmt.Errorf("sqlite: record migration %s: %w", m.Name, err)
	}
	return tx.Commit()
}

// appliedVersion returns the highest recorded migration, 0 if none.
func (s *Store) appliedVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	return v, nil
}

// SchemaVersion reports the applied and the known schema versions.
func (s *Store) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	migrations, err := loadMigrations()
	if err != nil {
		return 0, 0, err
	}
	known = migrations[len(migrations)-1].Version
	if _, err := s.db.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, known, err
	}
	applied, err = s.appliedVersion(ctx)
	return applied, known, err
}

// migrateQueue applies the job queue's own migrations (River's), which
// live beside ours in the same database.
func (s *Store) migrateQueue(ctx context.Context) error {
	m, err := rivermigrate.New(riversqlite.New(s.db), nil)
	if err != nil {
		return fmt.Errorf("sqlite: job queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("sqlite: job queue migrations: %w", err)
	}
	return nil
}
