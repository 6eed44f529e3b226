package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

// modes returns the permission bits of the database and its -wal and -shm
// files.
func modes(t *testing.T, path string) map[string]os.FileMode {
	t.Helper()
	out := map[string]os.FileMode{}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		info, err := os.Stat(path + suffix)
		require.NoError(t, err, "the database file %s%s exists", path, suffix)
		out[filepath.Base(path+suffix)] = info.Mode().Perm()
	}
	return out
}

func TestDatabaseFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	ctx := context.Background()
	want := map[string]os.FileMode{"x.db": 0o600, "x.db-wal": 0o600, "x.db-shm": 0o600}

	t.Run("created 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.db")
		s, err := sqlite.Open(ctx, path)
		require.NoError(t, err)
		defer s.Close()
		_, err = s.Migrate(ctx)
		require.NoError(t, err)
		require.Equal(t, want, modes(t, path))
	})

	t.Run("existing files tightened", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			require.NoError(t, os.WriteFile(path+suffix, nil, 0o644))
		}
		s, err := sqlite.Open(ctx, path)
		require.NoError(t, err)
		defer s.Close()
		_, err = s.Migrate(ctx)
		require.NoError(t, err)
		require.Equal(t, want, modes(t, path))
	})
}
