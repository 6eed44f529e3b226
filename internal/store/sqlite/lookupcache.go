package sqlite

import (
	"database/sql/driver"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
)

// lookupCache keeps the rows that publishing and delivering read on every
// call and that rarely change — accounts, signing keys, topics and
// subscriptions — so that those reads do not go to the database each time
// (four of them per publish call, one per delivery: 5 % of the server's
// CPU at half the signing ceiling).
//
// It is exact, not time-based. The writer connection reports every row
// change in those tables (SQLite's pre-update hook) and every commit that
// carried one (the commit hook); once that commit is visible, the cache's
// generation moves on, which drops everything read before. Two orders make
// it safe: a reader takes the generation before it reads the database and
// keeps what it read only if the generation is still the same; a writer
// moves the generation only after its commit returns. A value kept under
// the current generation was read after every commit that could change it.
//
// Only found rows are kept, never "not found": another process may insert
// accounts and their keys (ivvy-notify account create), but nothing outside
// the server changes or deletes these rows.
type lookupCache struct {
	gen atomic.Uint64
	// dirty is set when a watched table changes; the next commit turns it
	// into committed, and committed moves gen once the commit has returned.
	dirty, committed atomic.Bool

	mu      sync.Mutex
	at      uint64 // the generation entries were read in
	entries map[lookupKey]any
}

// lookupKind says what a lookupKey names.
type lookupKind uint8

const (
	lookupAccount      lookupKind = iota // id: account
	lookupSigningKey                     // id: account; its current key
	lookupTopic                          // id: account, name: endpoint
	lookupSubscription                   // id: subscription
	lookupConfirmed                      // id: topic; its confirmed subscriptions
)

// lookupKey names one cached read.
type lookupKey struct {
	kind lookupKind
	id   int64
	name string
}

// maxLookups bounds the entries; past it the cache starts over.
const maxLookups = 100_000

// watchedTables are the tables whose rows the cache holds, joined ones
// included.
var watchedTables = map[string]bool{"accounts": true, "signing_keys": true, "topics": true, "subscriptions": true}

// watch registers the hooks that report changes on a writer connection.
func (c *lookupCache) watch(conn driver.Conn) bool {
	h, ok := conn.(sqlite.HookRegisterer)
	if !ok {
		return false
	}
	h.RegisterPreUpdateHook(func(d sqlite.SQLitePreUpdateData) {
		if watchedTables[d.TableName] {
			c.dirty.Store(true)
		}
	})
	h.RegisterCommitHook(func() int32 {
		if c.dirty.Swap(false) {
			c.committed.Store(true)
		}
		return 0 // let the commit go ahead
	})
	return true
}

// settle moves the generation on after a commit of watched changes has
// returned: the writer connection calls it after each call that can commit.
// (A change rolled back leaves dirty set: the next commit then drops the
// cache for nothing, which is harmless.)
func (c *lookupCache) settle() {
	if c.committed.Load() && c.committed.Swap(false) {
		c.gen.Add(1)
	}
}

// get returns the entry under key, if it is current.
func (c *lookupCache) get(key lookupKey) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.catchUp(c.gen.Load())
	v, ok := c.entries[key]
	return v, ok
}

// put keeps v, read in generation gen, if gen is still current.
func (c *lookupCache) put(key lookupKey, gen uint64, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen.Load() {
		return
	}
	c.catchUp(gen)
	if len(c.entries) >= maxLookups {
		clear(c.entries)
	}
	c.entries[key] = v
}

// catchUp drops the entries of an older generation. c.mu is held.
func (c *lookupCache) catchUp(gen uint64) {
	if c.entries == nil {
		c.entries = map[lookupKey]any{}
	}
	if c.at != gen {
		clear(c.entries)
		c.at = gen
	}
}

// lookup returns what load reads for key, from the cache when q runs
// outside a transaction (inside one it always reads: a transaction sees
// its own writes). The caller gets a copy (clone), never the cached value.
func lookup[T any](q queries, key lookupKey, load func() (T, error), clone func(T) T) (T, error) {
	c := q.cacheOutsideTx()
	if c == nil {
		return load()
	}
	if v, ok := c.get(key); ok {
		return clone(v.(T)), nil
	}
	gen := c.gen.Load()
	v, err := load()
	if err != nil {
		return v, err
	}
	c.put(key, gen, v)
	return clone(v), nil
}

// cacheOutsideTx is the store's lookup cache for queries outside a
// transaction, else nil. (Store.lookups is the cache itself.)
func (q queries) cacheOutsideTx() *lookupCache {
	if _, ok := q.ex.(routed); !ok || q.db == nil {
		return nil
	}
	return q.db.lookups
}

// copyOf returns a copy of *p: callers may change what they get.
func copyOf[T any](p *T) *T {
	v := *p
	return &v
}

// copyAll returns copies of the structs in list.
func copyAll[T any](list []*T) []*T {
	out := make([]*T, len(list))
	for i, p := range list {
		out[i] = copyOf(p)
	}
	return out
}
