package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

func TestIsSelect(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT 1`:                           true,
		"\n\t  select id FROM accounts":      true,
		`SELECTED`:                           true, // not valid SQL: whatever it is, the reader is query_only
		`INSERT INTO t VALUES (1)`:           false,
		`UPDATE t SET a = 1 RETURNING a`:     false,
		`DELETE FROM t`:                      false,
		`WITH x AS (SELECT 1) DELETE FROM t`: false,
		`SEL`:                                false,
		``:                                   false,
	} {
		require.Equal(t, want, isSelect(q), "%q", q)
	}
}

// TestReadsDoNotWaitForTheWriter reads while a write transaction holds
// the writer: the read answers at once, from the last commit.
func TestReadsDoNotWaitForTheWriter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := migratedStore(t)
	first, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "first", CreatedAt: time.Now()})
	require.NoError(t, err)

	err = s.InTx(ctx, func(q store.Queries) error {
		_, err := q.AccountCreate(ctx, store.AccountCreateParams{Name: "second", CreatedAt: time.Now()})
		require.NoError(t, err)
		readCtx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		got, err := s.AccountGet(readCtx, first.ID)
		require.NoError(t, err, "a read outside the transaction does not wait for the writer")
		require.Equal(t, "first", got.Name)
		all, err := s.AccountList(readCtx)
		require.NoError(t, err)
		require.Len(t, all, 1, "the uncommitted account is not seen")
		return nil
	})
	require.NoError(t, err)
	all, err := s.AccountList(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2, "a read after the commit sees it")
}

func TestReadPoolCannotWrite(t *testing.T) {
	ctx := context.Background()
	s := migratedStore(t)
	_, err := s.reads.ExecContext(ctx, `INSERT INTO accounts (name, created_at) VALUES ('x', 0)`)
	require.ErrorContains(t, err, "readonly")
}

// TestWritesOutsideTransactionsAreGroupCommitted checks that a write made
// outside a transaction goes through the group committer (and so commits
// with synchronous=FULL), and that a write returning rows is refused
// there rather than committed at the connection's NORMAL setting.
func TestWritesOutsideTransactionsAreGroupCommitted(t *testing.T) {
	ctx := context.Background()
	s := migratedStore(t)

	before := s.group.commits
	a, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "a", CreatedAt: time.Now()})
	require.NoError(t, err)
	_, err = s.AccountSetPolicy(ctx, a.ID, []byte(`{"healthyRetryPolicy":{}}`))
	require.NoError(t, err)
	require.Equal(t, before+2, s.group.commits, "each write was a group commit")

	require.PanicsWithValue(t,
		`sqlite: "UPDATE accounts SET name = 'b' RETURNING"… returns rows of a write outside a transaction: use returning`,
		func() { s.queries.ex.QueryRowContext(ctx, `UPDATE accounts SET name = 'b' RETURNING id`) })
}

// migratedStore opens a migrated store in a temporary directory.
func migratedStore(t *testing.T) *Store {
	t.Helper()
	return migratedStoreAt(t, filepath.Join(t.TempDir(), FileName))
}

// migratedStoreAt opens a store at path and applies the migrations.
func migratedStoreAt(t *testing.T, path string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	return s
}
