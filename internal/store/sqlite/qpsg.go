package sqlite

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// enableQPSG turns on SQLite's query planner stability guarantee
// (SQLITE_DBCONFIG_ENABLE_QPSG) on a connection of the modernc driver.
//
// Without it SQLite plans some statements for the values bound to them —
// a LIMIT ?, or a column compared with a parameter that is 0 or 1 — and
// marks them to be planned again when a new value is bound: each run of
// such a cached statement was parsed and planned anew. River's job fetch
// (LIMIT ?) paid that on every fetch, and so did the lookups of account,
// topic or subscription 1: 5 % of the server's CPU under load. With the
// guarantee a statement keeps the plan it was prepared with, which is what
// the statement cache is for.
//
// The driver has no option for it (only for DQS and defensive mode), so
// this reads the connection's SQLite handle from the driver's unexported
// fields; a test fails if their names or types change.
func enableQPSG(c driver.Conn) error {
	tls, db, err := handleOf(c)
	if err != nil {
		return err
	}
	if rc := dbConfig(tls, db, sqlite3.SQLITE_DBCONFIG_ENABLE_QPSG, 1); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: sqlite3_db_config(ENABLE_QPSG) returned %d", rc)
	}
	return nil
}

// handleOf returns the TLS and sqlite3* handle of a modernc connection.
func handleOf(c driver.Conn) (*libc.TLS, uintptr, error) {
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, 0, errors.New("sqlite: unexpected driver connection type")
	}
	v = v.Elem()
	db, tls := v.FieldByName("db"), v.FieldByName("tls")
	if !db.IsValid() || db.Kind() != reflect.Uintptr || !tls.IsValid() || tls.Type() != reflect.TypeFor[*libc.TLS]() {
		return nil, 0, fmt.Errorf("sqlite: driver connection %s has no db/tls fields", v.Type())
	}
	return (*libc.TLS)(unsafe.Pointer(tls.Pointer())), uintptr(db.Uint()), nil
}

// dbConfig calls sqlite3_db_config(db, op, onoff, NULL) and returns
// SQLite's result code.
func dbConfig(tls *libc.TLS, db uintptr, op int32, onoff int32) int32 {
	const slot = 8 // libc.VaList's stride per argument
	bp := libc.Xmalloc(tls, 2*slot)
	if bp == 0 {
		return sqlite3.SQLITE_NOMEM
	}
	defer libc.Xfree(tls, bp)
	return sqlite3.Xsqlite3_db_config(tls, db, op, libc.VaList(bp, onoff, uintptr(0)))
}
