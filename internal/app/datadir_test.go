package app_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDataDirIsPrivate: an existing data directory left open to others is
// tightened to 0700, and every file the server keeps in it — the database
// and its -wal and -shm, the master key, the admin token — is 0600, under
// a permissive umask.
func TestDataDirIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	cfg := testConfig(t)
	require.NoError(t, os.MkdirAll(cfg.DataDir, 0o755))
	require.NoError(t, os.Chmod(cfg.DataDir, 0o755))
	srv := startServer(t, cfg)
	newAccountKey(t, srv)

	info, err := os.Stat(cfg.DataDir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm(), "data directory")
	for _, name := range []string{"ivvy-notify.db", "ivvy-notify.db-wal", "ivvy-notify.db-shm", "master.key", "admin-token"} {
		info, err := os.Stat(filepath.Join(cfg.DataDir, name))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), name)
	}
}
