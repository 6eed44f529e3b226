package sqlite

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	sqlite3 "modernc.org/sqlite/lib"
)

// reprepares returns how many times SQLite planned a cached statement
// again (SQLITE_STMTSTATUS_REPREPARE), read from the driver's statement.
func reprepares(t *testing.T, cc *cachingConn, query string) int32 {
	t.Helper()
	cs := cc.stmts[query]
	require.NotNil(t, cs, "the statement is cached")
	v := reflect.ValueOf(cs.stmt).Elem()
	pstmt := v.FieldByName("pstmt")
	require.True(t, pstmt.IsValid(), "the driver's statement has a pstmt field")
	tls, _, err := handleOf(cc.innerConn)
	require.NoError(t, err)
	return sqlite3.Xsqlite3_stmt_status(tls, uintptr(pstmt.Uint()), sqlite3.SQLITE_STMTSTATUS_REPREPARE, 0)
}

// TestQueryPlanStaysWithNewValues binds new values to statements that
// SQLite would otherwise plan again for each (a LIMIT ?, an equality with
// a value that was 1): the cached statements are not re-prepared.
func TestQueryPlanStaysWithNewValues(t *testing.T) {
	ctx := context.Background()
	conn, cc := cacheConn(t)

	_, err := conn.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v TEXT NOT NULL)`)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, `INSERT INTO t (k, v) VALUES (1, 'a'), (2, 'b'), (1, 'c')`)
	require.NoError(t, err)

	const limited = `SELECT v FROM t ORDER BY id LIMIT ?`
	const filtered = `SELECT count(*) FROM t WHERE id > 0 AND k = ?`
	for i := 1; i <= 3; i++ {
		var v string
		require.NoError(t, conn.QueryRowContext(ctx, limited, i).Scan(&v))
		require.Equal(t, "a", v)
		var n int
		require.NoError(t, conn.QueryRowContext(ctx, filtered, i%2).Scan(&n))
	}
	require.Zero(t, reprepares(t, cc, limited))
	require.Zero(t, reprepares(t, cc, filtered))
}

// TestWithoutQPSGStatementsArePlannedAgain shows what the setting
// prevents, so that the test above can fail: with it off, a new LIMIT
// value re-prepares the statement.
func TestWithoutQPSGStatementsArePlannedAgain(t *testing.T) {
	ctx := context.Background()
	conn, cc := cacheConn(t)
	tls, db, err := handleOf(cc.innerConn)
	require.NoError(t, err)
	require.EqualValues(t, sqlite3.SQLITE_OK, dbConfig(tls, db, sqlite3.SQLITE_DBCONFIG_ENABLE_QPSG, 0))

	const limited = `SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2) LIMIT ?`
	for i := 1; i <= 3; i++ {
		var v int
		require.NoError(t, conn.QueryRowContext(ctx, limited, i).Scan(&v))
	}
	require.Positive(t, reprepares(t, cc, limited))
}
