package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
)

// readConns is how many read-only connections serve reads made outside a
// transaction. WAL lets them read while the one writer writes.
const readConns = 4

// readDSN is dsn for a read-only connection: query_only, so that nothing
// sent to the read pool can write, whatever it is.
func readDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "query_only(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	return "file:" + path + "?" + q.Encode()
}

// routed is the store's execer outside transactions: a SELECT runs on the
// read pool; anything else runs in the next group commit, so that every
// write of the store is committed with synchronous=FULL (see syncedWrites)
// and shares its commit. Reads then neither wait for the writer nor hold it
// up, and each starts a fresh snapshot, so it sees every commit that
// finished before it began.
type routed struct {
	r     *sql.DB
	group *groupCommitter
}

// isSelect reports whether query is a SELECT statement.
func isSelect(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// ExecContext runs a SELECT on a reader, anything else in a group commit;
// it returns once that is committed.
func (e routed) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if isSelect(query) {
		return e.r.ExecContext(ctx, query, args...)
	}
	var res sql.Result
	err := e.group.run(ctx, func(tx *sql.Tx) (err error) {
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// QueryContext runs a SELECT on a reader. A write that returns rows needs
// a transaction (returning does that): rows read after its commit could not
// be told apart from rows of a commit that failed.
func (e routed) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	mustSelect(query)
	return e.r.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a SELECT on a reader; see QueryContext.
func (e routed) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	mustSelect(query)
	return e.r.QueryRowContext(ctx, query, args...)
}

// mustSelect panics on a write outside a transaction that returns rows: a
// bug in this package, which the store's conformance tests would hit.
func mustSelect(query string) {
	if !isSelect(query) {
		q := strings.TrimSpace(query)
		panic(fmt.Sprintf("sqlite: %.40q… returns rows of a write outside a transaction: use returning", q))
	}
}

// returning runs a write with a RETURNING clause and scans its one row, in
// q's transaction or else in a group commit.
func returning[T any](ctx context.Context, q queries, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	var out T
	err := q.withTx(ctx, func(tx *sql.Tx) (err error) {
		out, err = scan(tx.QueryRowContext(ctx, query, args...))
		return err
	})
	return out, err
}
