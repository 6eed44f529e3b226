package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
)

// maxCachedStatements bounds each connection's statement cache. The store
// and the job queue run a few dozen distinct statements; the bound only
// matters for statements whose text varies (a list of n placeholders).
const maxCachedStatements = 256

// cachingConnector opens the driver's connections wrapped in a statement
// cache. Without it every query is parsed and planned again: the driver
// prepares, runs and finalizes each ExecContext and QueryContext, and on a
// busy server parsing SQL was a sixth of the CPU, all of it spent holding
// the one connection everyone waits for.
//
// With lookups set (the writer's connector), its connections also report
// changes to the lookup cache.
type cachingConnector struct {
	driver.Connector
	lookups *lookupCache
}

// Connect implements driver.Connector.
func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(innerConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("sqlite: the driver's connection lacks a context-aware interface")
	}
	if err := enableQPSG(conn); err != nil {
		_ = conn.Close()
		return nil, err
	}
	cc := &cachingConn{innerConn: inner, stmts: map[string]*cachedStmt{}, afterWrite: func() {}}
	if c.lookups != nil {
		if !c.lookups.watch(conn) {
			_ = conn.Close()
			return nil, errors.New("sqlite: the driver's connection cannot report changes (no hooks)")
		}
		cc.afterWrite = c.lookups.settle
	}
	return cc, nil
}

// innerConn is every interface the driver's connections implement and the
// wrapper forwards, so that database/sql keeps using the context-aware
// paths (a wait for a lock ends with the context, for one).
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachedStmt is a prepared statement kept for reuse. busy is set while rows
// read from it are open: the statement cannot run again until they close.
type cachedStmt struct {
	stmt    driver.Stmt
	busy    bool
	lastUse uint64
}

// cachingConn is a connection that prepares each distinct query once and
// reuses the prepared statement. database/sql uses a connection from one
// goroutine at a time (rows' Close included), so it needs no lock.
type cachingConn struct {
	innerConn
	stmts map[string]*cachedStmt
	uses  uint64
	// afterWrite runs after each call that may have committed.
	afterWrite func()
}

var (
	_ innerConn = (*cachingConn)(nil)
	_ interface {
		Unwrap() driver.Conn
	} = (*cachingConn)(nil)
)

// Unwrap returns the driver's connection (the driver's own helpers look
// through wrappers this way).
func (c *cachingConn) Unwrap() driver.Conn { return c.innerConn }

// ExecContext implements driver.ExecerContext with a cached statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	defer c.afterWrite()
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.innerConn.ExecContext(ctx, query, args)
	}
	defer func() { cs.busy = false }()
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext implements driver.QueryerContext with a cached statement;
// the statement is free again once the rows are closed.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		cs = &cachedStmt{} // uncached: its rows still report the end of a write
		rows, err := c.innerConn.QueryContext(ctx, query, args)
		return c.rows(rows, err, cs)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	return c.rows(rows, err, cs)
}

// rows wraps a query's rows so that closing them frees the statement and
// settles a write that committed with them (INSERT … RETURNING outside a
// transaction commits when its statement is reset).
func (c *cachingConn) rows(rows driver.Rows, err error, cs *cachedStmt) (driver.Rows, error) {
	if err != nil {
		cs.busy = false
		c.afterWrite()
		return nil, err
	}
	if rich, ok := rows.(richRows); ok {
		return &cachedRichRows{cachedRows: cachedRows{Rows: rows, stmt: cs, after: c.afterWrite}, rich: rich}, nil
	}
	return &cachedRows{Rows: rows, stmt: cs, after: c.afterWrite}, nil
}

// BeginTx implements driver.ConnBeginTx; the transaction settles its
// commit (or rollback) when it returns.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.innerConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return settlingTx{Tx: tx, after: c.afterWrite}, nil
}

// settlingTx calls after once its commit or rollback has returned.
type settlingTx struct {
	driver.Tx
	after func()
}

// Commit implements driver.Tx.
func (t settlingTx) Commit() error {
	defer t.after()
	return t.Tx.Commit()
}

// Rollback implements driver.Tx.
func (t settlingTx) Rollback() error {
	defer t.after()
	return t.Tx.Rollback()
}

// acquire returns query's cached statement marked busy, preparing and
// caching it if needed. It returns nil (run the query uncached) when the
// cached statement is busy: the same query, run again while its rows are
// still being read.
func (c *cachingConn) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	c.uses++
	if cs := c.stmts[query]; cs != nil {
		if cs.busy {
			return nil, nil
		}
		cs.busy, cs.lastUse = true, c.uses
		return cs, nil
	}
	stmt, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if _, ok := stmt.(driver.StmtExecContext); !ok {
		_ = stmt.Close()
		return nil, nil
	}
	if _, ok := stmt.(driver.StmtQueryContext); !ok {
		_ = stmt.Close()
		return nil, nil
	}
	if len(c.stmts) >= maxCachedStatements {
		c.evict()
	}
	cs := &cachedStmt{stmt: stmt, busy: true, lastUse: c.uses}
	c.stmts[query] = cs
	return cs, nil
}

// evict closes the least recently used statement that is not busy.
func (c *cachingConn) evict() {
	var oldest string
	var found *cachedStmt
	for q, cs := range c.stmts {
		if !cs.busy && (found == nil || cs.lastUse < found.lastUse) {
			oldest, found = q, cs
		}
	}
	if found != nil {
		_ = found.stmt.Close()
		delete(c.stmts, oldest)
	}
}

// Close closes the cached statements, then the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.innerConn.Close())
	return errors.Join(errs...)
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	stmt   *cachedStmt
	after  func()
	closed bool
}

// richRows is the column type information the driver's rows offer, which
// the wrapper passes on.
type richRows interface {
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRichRows is cachedRows that also passes on column types.
type cachedRichRows struct {
	cachedRows
	rich richRows
}

// ColumnTypeDatabaseTypeName implements driver.RowsColumnTypeDatabaseTypeName.
func (r *cachedRichRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.rich.ColumnTypeDatabaseTypeName(i)
}

// ColumnTypeLength implements driver.RowsColumnTypeLength.
func (r *cachedRichRows) ColumnTypeLength(i int) (int64, bool) { return r.rich.ColumnTypeLength(i) }

// ColumnTypeNullable implements driver.RowsColumnTypeNullable.
func (r *cachedRichRows) ColumnTypeNullable(i int) (bool, bool) { return r.rich.ColumnTypeNullable(i) }

// ColumnTypePrecisionScale implements driver.RowsColumnTypePrecisionScale.
func (r *cachedRichRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.rich.ColumnTypePrecisionScale(i)
}

// ColumnTypeScanType implements driver.RowsColumnTypeScanType.
func (r *cachedRichRows) ColumnTypeScanType(i int) reflect.Type { return r.rich.ColumnTypeScanType(i) }

// Close implements driver.Rows.
func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	r.stmt.busy = false
	r.after()
	return err
}
