package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// cacheConn opens a store and returns its one connection, pinned, and the
// statement cache behind it.
func cacheConn(t *testing.T) (*sql.Conn, *cachingConn) {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), FileName))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	conn, err := s.db.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	var cc *cachingConn
	require.NoError(t, conn.Raw(func(c any) error {
		cc = c.(*cachingConn)
		return nil
	}))
	return conn, cc
}

func TestStatementCachePreparesOnce(t *testing.T) {
	ctx := context.Background()
	conn, cc := cacheConn(t)
	_, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
	require.NoError(t, err)

	const insert = `INSERT INTO t (v) VALUES (?)`
	for i := range 3 {
		_, err := conn.ExecContext(ctx, insert, fmt.Sprint("v", i))
		require.NoError(t, err)
	}
	first := cc.stmts[insert]
	require.NotNil(t, first)
	_, err = conn.ExecContext(ctx, insert, "v3")
	require.NoError(t, err)
	require.Same(t, first, cc.stmts[insert], "the prepared statement is reused")

	const count = `SELECT count(*), group_concat(v, ',') FROM t WHERE id > ?`
	for range 2 {
		var n int
		var vs string
		require.NoError(t, conn.QueryRowContext(ctx, count, 1).Scan(&n, &vs))
		require.Equal(t, 3, n)
		require.Equal(t, "v1,v2,v3", vs)
	}
	require.False(t, cc.stmts[count].busy, "closing the rows frees the statement")
}

func TestStatementCacheSameQueryWhileRowsOpen(t *testing.T) {
	ctx := context.Background()
	conn, cc := cacheConn(t)
	const q = `SELECT value FROM json_each(?)`
	outer, err := conn.QueryContext(ctx, q, `[1,2,3]`)
	require.NoError(t, err)
	require.True(t, outer.Next())
	var first int
	require.NoError(t, outer.Scan(&first))
	require.True(t, cc.stmts[q].busy)

	// The cached statement is busy: the same query runs uncached.
	var inner []int
	rows, err := conn.QueryContext(ctx, q, `[7,8]`)
	require.NoError(t, err)
	for rows.Next() {
		var v int
		require.NoError(t, rows.Scan(&v))
		inner = append(inner, v)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.Equal(t, []int{7, 8}, inner)

	rest := []int{first}
	for outer.Next() {
		var v int
		require.NoError(t, outer.Scan(&v))
		rest = append(rest, v)
	}
	require.NoError(t, outer.Err())
	require.NoError(t, outer.Close())
	require.Equal(t, []int{1, 2, 3}, rest)
	require.False(t, cc.stmts[q].busy)
}

func TestStatementCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	conn, cc := cacheConn(t)
	const kept = `SELECT 'kept'`
	for i := range maxCachedStatements + 20 {
		var s string
		require.NoError(t, conn.QueryRowContext(ctx, kept).Scan(&s))
		var n int
		require.NoError(t, conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n))
		require.Equal(t, i, n)
	}
	require.LessOrEqual(t, len(cc.stmts), maxCachedStatements)
	require.Contains(t, cc.stmts, kept, "a statement in constant use is not evicted")
	require.NotContains(t, cc.stmts, `SELECT 0`)
}

func TestStatementCacheErrors(t *testing.T) {
	ctx := context.Background()
	conn, cc := cacheConn(t)
	_, err := conn.ExecContext(ctx, `SELEC 1`)
	require.ErrorContains(t, err, "syntax error")
	require.NotContains(t, cc.stmts, `SELEC 1`, "a statement that does not prepare is not cached")

	_, err = conn.ExecContext(ctx, `CREATE TABLE u (k TEXT PRIMARY KEY)`)
	require.NoError(t, err)
	const insert = `INSERT INTO u (k) VALUES (?)`
	_, err = conn.ExecContext(ctx, insert, "a")
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, insert, "a")
	require.ErrorContains(t, err, "UNIQUE constraint failed")
	_, err = conn.ExecContext(ctx, insert, "b")
	require.NoError(t, err, "a statement that failed runs again")
	require.False(t, cc.stmts[insert].busy)

	var n int
	require.NoError(t, conn.QueryRowContext(ctx, `SELECT count(*) FROM u`).Scan(&n))
	require.Equal(t, 2, n)
}

func TestStatementCacheSeesSchemaChanges(t *testing.T) {
	ctx := context.Background()
	conn, _ := cacheConn(t)
	_, err := conn.ExecContext(ctx, `CREATE TABLE w (a INTEGER)`)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `INSERT INTO w VALUES (1)`)
	require.NoError(t, err)
	const all = `SELECT * FROM w`
	var a int
	require.NoError(t, conn.QueryRowContext(ctx, all).Scan(&a))

	_, err = conn.ExecContext(ctx, `ALTER TABLE w ADD COLUMN b INTEGER NOT NULL DEFAULT 2`)
	require.NoError(t, err)
	var b int
	require.NoError(t, conn.QueryRowContext(ctx, all).Scan(&a, &b), "the cached statement is prepared again for the new schema")
	require.Equal(t, 2, b)
}
