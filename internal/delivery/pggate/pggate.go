// Package pggate is a delivery.Gate shared by every node on one PostgreSQL
// database: a subscription's in-flight limit and throttle hold across the
// cluster, not per node.
//
// A request in flight holds a slot row (subscription, slot number) whose
// lease expires, so a node that dies mid-request frees its slots after the
// lease. The throttle is GCRA: one row per subscription keeps the
// theoretical arrival time, advanced atomically by each request.
//
// Both tables are unlogged: their rows matter only while nodes run, so
// taking and freeing a slot does not wait for the database's WAL to reach
// the disk. A database crash empties them, which frees every slot and
// resets every throttle; the gate then makes the slot rows again.
package pggate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivvy-notify/ivvy-notify/internal/delivery"
)

// Gate is a delivery.Gate on PostgreSQL.
type Gate struct {
	pool     *pgxpool.Pool
	holder   string
	leaseTTL time.Duration
	waits    delivery.WaitEstimator

	mu sync.Mutex
	// made is, per subscription, how many slot rows this gate has made
	// sure of, and when.
	made map[int64]made
	// subs holds the deliveries queued on this node for a slot.
	subs map[int64]*local
}

var _ delivery.Gate = (*Gate)(nil)

// New returns a Gate on pool whose slot leases last leaseTTL: longer than
// any request, by more than handOffFor (the delivery timeout plus a
// margin), since a slot may start its last request handOffFor after it was
// taken.
func New(pool *pgxpool.Pool, leaseTTL time.Duration) *Gate {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Gate{pool: pool, holder: hex.EncodeToString(b), leaseTTL: leaseTTL, made: map[int64]made{}, subs: map[int64]*local{}}
}

// A subscription's slots are rows made once (ensureSlots), free while their
// lease has expired. takeSlot claims the lowest free one; a slot another
// node is claiming at the same moment is skipped, not waited for or lost
// to, so concurrent deliveries to one subscription each get a different
// slot in one round trip.
const takeSlot = `UPDATE delivery_slots d SET holder = $3, expires_at = now() + make_interval(secs => $4)
FROM (SELECT slot FROM delivery_slots
	WHERE subscription_id = $1 AND slot < $2 AND expires_at < now()
	ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) free
WHERE d.subscription_id = $1 AND d.slot = free.slot
RETURNING d.slot`

// ensureSlots makes slots 0 … $2-1 of subscription $1, free.
const ensureSlots = `INSERT INTO delivery_slots (subscription_id, slot, holder, expires_at)
SELECT $1, s, '', '-infinity' FROM generate_series(0, $2::int - 1) s
ON CONFLICT (subscription_id, slot) DO NOTHING`

// freeSlot ends a lease, unless it expired and another holder took it.
const freeSlot = `UPDATE delivery_slots SET holder = '', expires_at = '-infinity'
WHERE subscription_id = $1 AND slot = $2 AND holder = $3`

// takeToken advances the subscription's GCRA arrival time by 1/rate if it
// is within the burst (one second's worth) of now.
const takeToken = `INSERT INTO delivery_throttle (subscription_id, tat) VALUES ($1, now() + make_interval(secs => $2))
ON CONFLICT (subscription_id) DO UPDATE SET tat = greatest(delivery_throttle.tat, now()) + make_interval(secs => $2)
	WHERE delivery_throttle.tat <= now() + make_interval(secs => $3)
RETURNING tat`

// Acquire implements delivery.Gate.
func (g *Gate) Acquire(ctx context.Context, sub, d int64, maxInFlight, perSecond int) (func(time.Duration), time.Duration, bool, error) {
	l := noLease
	if maxInFlight > 0 {
		var err error
		// Deliveries already queued on this node mean the slots are held:
		// join the queue rather than ask the database.
		if perSecond > 0 || !g.queued(sub) {
			l, err = g.take(ctx, sub, maxInFlight)
		}
		if err == nil && l.slot < 0 && perSecond <= 0 {
			l, err = g.await(ctx, sub, maxInFlight)
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("pggate: slot: %w", err)
		}
		if l.slot < 0 {
			return nil, g.waits.Refused(sub, d, maxInFlight), false, nil
		}
	}
	if wait, err := g.throttle(ctx, sub, perSecond); err != nil || wait > 0 {
		g.release(sub, l)
		return nil, wait, false, err
	}
	g.waits.Acquired(sub, d)
	return func(took time.Duration) {
		g.release(sub, l)
		g.waits.Done(sub, took)
	}, 0, true, nil
}

// take claims a free slot of sub, or returns noLease when all maxInFlight
// are held. The slot rows are made the first time this gate sees the
// subscription (or a higher limit), and again, at most every remakeEvery,
// when none is free: a crash empties the unlogged table, and that must not
// leave the subscription without slots.
func (g *Gate) take(ctx context.Context, sub int64, maxInFlight int) (lease, error) {
	if g.dueToMake(sub, maxInFlight) {
		if _, err := g.ensure(ctx, sub, maxInFlight); err != nil {
			return noLease, err
		}
	}
	for range 2 {
		var slot int
		err := g.pool.QueryRow(ctx, takeSlot, sub, maxInFlight, g.holder, g.leaseTTL.Seconds()).Scan(&slot)
		if err == nil {
			g.took(sub)
			return lease{slot: slot, taken: time.Now()}, nil
		}
		if err != pgx.ErrNoRows || !g.dueToRemake(sub) {
			return noLease, ignoreNoRows(err)
		}
		if added, err := g.ensure(ctx, sub, maxInFlight); err != nil || !added {
			return noLease, err
		}
	}
	return noLease, nil
}

// remakeEvery is how often a subscription whose slots are all held looks
// for missing slot rows.
const remakeEvery = time.Second

// made is what a gate has done for a subscription's slot rows.
type made struct {
	slots int
	at    time.Time
}

// dueToMake reports whether sub's first maxInFlight slots are yet to be
// made by this gate.
func (g *Gate) dueToMake(sub int64, maxInFlight int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.made[sub].slots < maxInFlight
}

// dueToRemake reports whether sub's slot rows were last made more than
// remakeEvery ago.
func (g *Gate) dueToRemake(sub int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return time.Since(g.made[sub].at) > remakeEvery
}

// ensure makes sub's first maxInFlight slots and reports whether any was
// missing.
func (g *Gate) ensure(ctx context.Context, sub int64, maxInFlight int) (bool, error) {
	tag, err := g.pool.Exec(ctx, ensureSlots, sub, maxInFlight)
	if err != nil {
		return false, err
	}
	g.mu.Lock()
	g.made[sub] = made{slots: max(g.made[sub].slots, maxInFlight), at: time.Now()}
	g.mu.Unlock()
	return tag.RowsAffected() > 0, nil
}

// ignoreNoRows is err, or nil for pgx.ErrNoRows.
func ignoreNoRows(err error) error {
	if err == pgx.ErrNoRows {
		return nil
	}
	return err
}

// throttle takes a token, or returns the wait for the next one.
func (g *Gate) throttle(ctx context.Context, sub int64, perSecond int) (time.Duration, error) {
	if perSecond <= 0 {
		return 0, nil
	}
	interval := 1 / float64(perSecond)
	var tat time.Time
	err := g.pool.QueryRow(ctx, takeToken, sub, interval, 1-interval).Scan(&tat)
	if err == nil {
		return 0, nil
	}
	if err != pgx.ErrNoRows {
		return 0, fmt.Errorf("pggate: throttle: %w", err)
	}
	var wait float64
	err = g.pool.QueryRow(ctx, `SELECT extract(epoch FROM tat - now()) - $2 FROM delivery_throttle WHERE subscription_id = $1`,
		sub, 1-interval).Scan(&wait)
	if err != nil {
		return 0, fmt.Errorf("pggate: throttle: %w", err)
	}
	return max(time.Duration(wait*float64(time.Second)), time.Millisecond), nil
}

// release passes a slot to the next delivery queued for it on this node
// (handOff), or frees it in the database. It runs after the request,
// whatever its context.
func (g *Gate) release(sub int64, l lease) {
	if l.slot < 0 || g.handOff(sub, l) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = g.pool.Exec(ctx, freeSlot, sub, l.slot, g.holder)
	g.freed(sub)
}
