package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

func newServeCmd(io IO) *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: the public iVvy API listener and the admin API listener",
		Long: "Run the server. With no flags it keeps everything in ./data (an embedded SQLite\n" +
			"database, a generated master key and admin token) and listens on loopback only.\n" +
			"Every flag can also be set as an IVVY_NOTIFY_<FLAG> environment variable.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runServe(cmd.Context(), cfg, io)
		},
	}
	bindConfig(cmd, io, &cfg, serve)
	return cmd
}

func runServe(ctx context.Context, cfg config.Config, io IO) error {
	app.AddSpareProc()
	log := newLogger(cfg, io.Stderr)
	if cfg.Dev {
		cfg.AllowPrivateEndpoints = true
	}
	srv, err := app.NewServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	var creds *app.DevCredentials
	if cfg.Dev {
		if creds, err = srv.EnsureDevCredentials(ctx); err != nil {
			return fmt.Errorf("--dev: %w", err)
		}
	}
	srv.PrintBanner(io.Stdout, version())
	if creds != nil {
		printDevCredentials(srv, creds, io)
	}
	log.Info("serving", "public", srv.PublicURL, "admin", srv.AdminURL())
	return srv.Run(ctx)
}

func newMigrateCmd(io IO) *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database schema migrations (serve also applies them on start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lock, err := lockForMigrate(cfg)
			if err != nil {
				return err
			}
			defer lock.Close()
			st, err := app.OpenStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			applied, err := st.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			_, known, err := st.SchemaVersion(cmd.Context())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(io.Stdout, "database is up to date (schema version %d)\n", known)
				return nil
			}
			fmt.Fprintf(io.Stdout, "applied migrations %v; schema version is now %d\n", applied, known)
			return nil
		},
	}
	bindConfig(cmd, io, &cfg, storage)
	return cmd
}

// lockForMigrate locks an SQLite data directory for migrate, waiting a
// while for another command, refusing a server; nil for PostgreSQL, whose
// migrations are applied with the nodes running ("once, before rolling
// out").
func lockForMigrate(cfg config.Config) (*app.DataLock, error) {
	if cfg.DatabaseURL != "" {
		return nil, nil
	}
	lock, holder, err := app.LockOrFindServer(cfg.DataDir, "migrate", lockWait)
	if holder != nil {
		dir, _ := filepath.Abs(cfg.DataDir)
		err = &app.LockedError{Dir: dir, Holder: holder}
	}
	var le *app.LockedError
	if !errors.As(err, &le) {
		return lock, err
	}
	if le.Holder != nil && le.Holder.Command == app.ServeCommand {
		return nil, fmt.Errorf("%w: migrate does not change the schema under a running server; "+
			"stop it first (serve applies pending migrations itself when it starts)", err)
	}
	return nil, fmt.Errorf("%w: try again once it has finished", err)
}

// printDevCredentials prints serve --dev's account and key.
func printDevCredentials(srv *app.Server, creds *app.DevCredentials, io IO) {
	fmt.Fprintf(io.Stdout, "  dev mode:           private endpoints allowed; account %d, API key %s\n"+
		"                      (secret in %s; subscribe uses it)\n",
		creds.AccountID, creds.Key, filepath.Join(srv.Config.DataDir, app.DevCredentialsFile))
}
