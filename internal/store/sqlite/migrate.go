package sqlite

import (
	"context"

	"embed"
	"fmt"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations, named NNNN_description.sql,
// in version order.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("sqlite: migration %q is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
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
		if m.version <= current {
			continue
		}
		if err := s.apply(ctx, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.version)
	}
	if err := s.migrateQueue(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// apply runs one migration and records it, atomically.
func (s *Store) apply(ctx context.Context, m migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("sqlite: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, micros(time.Now())); err != nil {
		return fmt.Errorf("sqlite: record migration %s: %w", m.name, err)
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
	known = migrations[len(migrations)-1].version
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
