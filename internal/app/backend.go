package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/internal/delivery"
	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/jobwake"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

// Backend is an opened database: the store, its migrations, and how to run
// the job queue on it.
type Backend interface {
	store.Store
	store.Migrator
	// NewRunner builds the delivery engine on this database.
	NewRunner(cfg delivery.Config) (Runner, error)
	// Name says which database this is, for the banner.
	Name() string
}

// Runner is a started-and-stopped delivery engine.
type Runner interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	// Direct is the sender of first attempts that skips the queue, nil
	// when it is off.
	Direct() *delivery.Direct
}

// OpenStore opens the configured database without migrating: PostgreSQL
// when --database-url is set, otherwise SQLite in the data directory
// (created with mode 0700, and tightened to it if it exists).
func OpenStore(ctx context.Context, cfg config.Config) (Backend, error) {
	if err := privateDir(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if cfg.DatabaseURL != "" {
		return openPostgres(ctx, cfg)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, sqlite.FileName))
	if err != nil {
		return nil, err
	}
	return sqliteBackend{st}, nil
}

// sqliteBackend is the embedded SQLite database.
type sqliteBackend struct{ *sqlite.Store }

// NewRunner builds the delivery engine. SQLite has one node, so a delivery
// job still marked running was orphaned by this node's previous process
// (killed mid-attempt): it is made available again at once instead of
// waiting for River's stuck-job rescue.
func (b sqliteBackend) NewRunner(cfg delivery.Config) (Runner, error) {
	if err := b.ReleaseOrphanedJobs(context.Background()); err != nil {
		return nil, err
	}
	wake := jobwake.NewListener()
	notify := func() { wake.Notify(jobs.QueueDeliveries) }
	b.OnJobsCommitted(notify)
	cfg.Wake = notify
	return delivery.New(jobwake.Driver(riversqlite.New(b.DB()), wake), b.Store, cfg)
}

func (b sqliteBackend) Name() string { return "SQLite (" + sqlite.FileName + " in the data directory)" }

// privateDir creates dir with mode 0700, or takes group and other access
// away from an existing one: it holds the master key, the admin token and
// the database.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return os.Chmod(dir, info.Mode().Perm()&0o700)
	}
	return nil
}
