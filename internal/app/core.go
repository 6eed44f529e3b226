// Package app wires ivvy-notify together: configuration → data directory →
// store (migrated) → secrets → services → listeners. The CLI uses it, and
// so do end-to-end tests, which start the whole server on port 0.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// settingMasterKeyCheck names the stored master key check value.
const settingMasterKeyCheck = "master_key_check"

// Core is what every command that touches data needs: the migrated store,
// the master key, and the services built on them.
type Core struct {
	Config          config.Config
	Store           Backend
	MasterKey       *secrets.MasterKey
	MasterKeySource secrets.Source
	Box             *secrets.Box
	Accounts        *accounts.Service
	Logger          *slog.Logger
	// Migrated lists the migrations applied while opening.
	Migrated []int
	// lock is this process's lock on the data directory; Close releases it.
	lock *DataLock
}

// OpenCore locks the data directory (LockDataDir: a *LockedError if
// another process holds it), then opens it as OpenLockedCore does.
func OpenCore(ctx context.Context, cfg config.Config, log *slog.Logger) (*Core, error) {
	lock, err := LockDataDir(cfg.DataDir, "")
	if err != nil {
		return nil, err
	}
	return OpenLockedCore(ctx, cfg, log, lock)
}

// OpenLockedCore prepares the data directory, whose lock the caller holds
// and hands over (Close, or a failure here, releases it), opens and
// migrates the database, and loads the master key, refusing one that does
// not match the key the database was created with.
func OpenLockedCore(ctx context.Context, cfg config.Config, log *slog.Logger, lock *DataLock) (*Core, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		lock.Close()
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	c := &Core{Config: cfg, Store: st, Logger: log, lock: lock}
	if err := c.init(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Core) init(ctx context.Context) error {
	migrated, err := c.Store.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	c.Migrated = migrated
	if err := c.loadMasterKey(ctx, c.Store); err != nil {
		return err
	}
	c.Box = secrets.NewBox(c.MasterKey, rand.Reader)
	c.Accounts = accounts.NewService(c.Store, c.Box, nil, rand.Reader)
	return nil
}

// loadMasterKey loads the key and checks it against the database's check
// value, recording the value on first use.
func (c *Core) loadMasterKey(ctx context.Context, st store.Store) error {
	check, err := st.SettingGet(ctx, settingMasterKeyCheck)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	firstUse := errors.Is(err, store.ErrNotFound)
	key, src, err := secrets.LoadMasterKey(c.Config.DataDir, c.Config.MasterKey, firstUse, rand.Reader)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the database holds secrets encrypted under a master key, but no key was given: "+
			"set %s or restore %s", config.EnvMasterKey, filepath.Join(c.Config.DataDir, secrets.MasterKeyFile))
	}
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	if firstUse {
		if check, err = st.SettingPutIfAbsent(ctx, settingMasterKeyCheck, key.CheckValue()); err != nil {
			return err
		}
	}
	if !key.MatchesCheckValue(check) {
		return fmt.Errorf("the master key (%s) is not the one this database was created with; "+
			"every node must use the same key (%s or %s)", src, config.EnvMasterKey, secrets.MasterKeyFile)
	}
	c.MasterKey, c.MasterKeySource = key, src
	return nil
}

// Close closes the store, then releases the data directory's lock.
func (c *Core) Close() error { return errors.Join(c.Store.Close(), c.lock.Close()) }
