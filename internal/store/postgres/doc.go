// Package postgres is the PostgreSQL backend of the store, for scale-out:
// any number of `ivvy-notify serve` nodes share one database, all serving
// the API and all delivering. It passes the same conformance suite
// (internal/store/storetest) as the embedded SQLite backend, and its files
// mirror that backend's, entity by entity, so the two read side by side.
//
// # Connections
//
// Open takes a postgres:// URL and builds a pgx v5 connection pool
// (Options.MaxConns caps it). Options.Schema, when set, becomes every
// connection's search_path and is created if missing; tests use it to give
// each test a schema of its own. Store.EnginePool is a second pool on the
// same database and schema, with synchronous_commit off, for the delivery
// engine's bookkeeping (Options.EngineMaxConns caps it); Store.Schema
// hands the schema to the job queue's workers.
//
// # Schema and migrations
//
// Migrate applies the embedded migrations/NNNN_*.sql, numbered like
// SQLite's (version N is the same schema on both), each in its own
// transaction and recorded in schema_migrations, then River's own
// migrations into the same schema. A session advisory lock, keyed by the
// schema, is held throughout on a connection of its own, so nodes that
// start together migrate one at a time and the later ones find nothing to
// do.
//
// The dialect is PostgreSQL's own: bigint identity keys, timestamptz
// times, bytea blobs, booleans, a partial unique index for "one live
// subscription per URL per topic", and ON CONFLICT for get-or-create and
// put-if-absent. Times are stored truncated to the microsecond (the
// precision of timestamptz, and of the SQLite backend) and read back in
// UTC.
//
// # Job queue
//
// The job queue is River with its pgx driver. The Store holds an
// insert-only River client configured with the same schema, and
// DeliveryCreate and DeliveryRedrive insert the delivery row and its River
// job in one transaction: no delivery without its job, and no job without
// its delivery. A River client that works the queue is built on
// Store.EnginePool with Config.Schema set to Store.Schema.
//
// # Errors
//
// Driver errors are translated at this boundary: no row is
// store.ErrNotFound, a unique violation store.ErrConflict and a foreign key
// violation store.ErrNotFound (the row referred to does not exist).
//
// One difference from SQLite needs care: in PostgreSQL a failed statement
// aborts its transaction. The inserts whose conflicts callers expect and
// handle inside InTx (events by TxnID, subscriptions, API keys, signing
// keys, tokens) therefore use ON CONFLICT DO NOTHING and report
// ErrConflict without raising, so the transaction goes on.
package postgres
