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
	"github.com/ivvy-notify/ivvy-notify/internal/store/postgres"
)

// openPostgres opens the PostgreSQL backend of --database-url.
func openPostgres(ctx context.Context, cfg config.Config) (Backend, error) {
	st, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{MaxConns: int32(cfg.DatabasePoolSize)})
	if err != nil {
		return nil, fmt.Errorf("--database-url: %w", err)
	}
	return postgresBackend{Store: st, url: cfg.DatabaseURL}, nil
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
		cfg.Gate = pggate.New(b.Pool(), cfg.RequestTimeout+35*time.Second)
	}
	return delivery.New(riverpgxv5.New(b.Pool()), b.Store, cfg)
}

// Name names the database without its password.
func (b postgresBackend) Name() string {
	u, err := url.Parse(b.url)
	if err != nil {
		return "PostgreSQL"
	}
	return "PostgreSQL " + u.Host + u.Path
}
