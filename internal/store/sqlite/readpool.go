package sqlite

import (
	"context"
	"database/sql"
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
// read pool, anything else on the writer. Reads then neither wait for the
// writer nor hold it up, and each starts a fresh snapshot, so it sees every
// commit that finished before it began.
type routed struct {
	w, r *sql.DB
}

func (e routed) pick(query string) *sql.DB {
	if isSelect(query) {
		return e.r
	}
	return e.w
}

// isSelect reports whether query is a SELECT statement.
func isSelect(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// ExecContext runs query on the writer, or on a reader for a SELECT.
func (e routed) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return e.pick(query).ExecContext(ctx, query, args...)
}

// QueryContext runs query on a reader for a SELECT, else on the writer.
func (e routed) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return e.pick(query).QueryContext(ctx, query, args...)
}

// QueryRowContext runs query on a reader for a SELECT, else on the writer.
func (e routed) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return e.pick(query).QueryRowContext(ctx, query, args...)
}
