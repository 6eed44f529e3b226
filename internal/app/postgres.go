package app

import (
	"context"
	"errors"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

// openPostgres opens the PostgreSQL backend.
func openPostgres(ctx context.Context, cfg config.Config) (Backend, error) {
	return nil, errors.New("--database-url: the PostgreSQL backend is not built in yet")
}
