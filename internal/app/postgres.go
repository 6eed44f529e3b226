package app

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/internal/delivery"
	"github.com/ivvy-notify/ivvy-notify/internal/delivery/pggate"
	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/jobwake"
	"github.com/ivvy-notify/ivvy-notify/internal/store/postgres"
)

// openPostgres opens the PostgreSQL backend of --database-url.
func openPostgres(ctx context.Context, cfg config.Config) (Backend, error) {
	storeConns, engineConns := splitPool(cfg.DatabasePoolSize)
	st, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{MaxConns: storeConns, EngineMaxConns: engineConns})
	if err != nil {
		return nil, fmt.Errorf("--database-url: %w", err)
	}
	return postgresBackend{Store: st, url: cfg.DatabaseURL}, nil
}

// splitPool divides a node's connections between the store's pool and the
// delivery engine's (postgres.Store.EnginePool): a third, at least 2, for
// the engine (River holds one to listen for new jobs), the rest, at least 1,
// for the store.
func splitPool(total int) (store, engine int32) {
	engine = int32(max(2, total/3))
	return max(1, int32(total)-engine), engine
}

// postgresBackend is a PostgreSQL database shared by any number of nodes.
type postgresBackend struct {
	*postgres.Store
	url string
}

// NewRunner runs the delivery engine with a gate shared through the
// database, so per-subscription limits hold across every node. A slot's
// lease outlives the longest a delivery job may run (the request timeout
// plus 30 s), so only a dead node's slots expire.
func (b postgresBackend) NewRunner(cfg delivery.Config) (Runner, error) {
	if cfg.Gate == nil {
		cfg.Gate = pggate.New(b.EnginePool(), cfg.RequestTimeout+35*time.Second)
	}
	// New jobs wake the producers through PostgreSQL's NOTIFY; the runner
	// wakes its own through wake while it is busy (delivery.Config.Wake).
	wake := jobwake.NewListener()
	cfg.Wake = func() { wake.Notify(jobs.QueueDeliveries) }
	return delivery.New(jobwake.Merge(riverpgxv5.New(b.EnginePool()), wake), b.Store, cfg)
}

// Name names the database without its password.
func (b postgresBackend) Name() string {
	u, err := url.Parse(b.url)
	if err != nil {
		return "PostgreSQL"
	}
	return "PostgreSQL " + u.Host + u.Path
}
