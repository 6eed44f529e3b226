// Package pggate is a delivery.Gate shared by every node on one PostgreSQL
// database: a subscription's in-flight limit and throttle hold across the
// cluster, not per node.
//
// A request in flight holds a slot row (subscription, slot number) whose
// lease expires, so a node that dies mid-request frees its slots after the
// lease. The throttle is GCRA: one row per subscription keeps the
// theoretical arrival time, advanced atomically by each request.
package pggate

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ivvy-notify/ivvy-notify/internal/delivery"
)

// raceWait is how long to wait after losing a race for the last free slot.
const raceWait = 50 * time.Millisecond

// Gate is a delivery.Gate on PostgreSQL.
type Gate struct {
	pool     *pgxpool.Pool
	holder   string
	leaseTTL time.Duration
	waits    delivery.WaitEstimator
}

var _ delivery.Gate = (*Gate)(nil)

// New returns a Gate on pool whose slot leases last leaseTTL (longer than
// any request: the delivery timeout plus a margin).
func New(pool *pgxpool.Pool, leaseTTL time.Duration) *Gate {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Gate{pool: pool, holder: hex.EncodeToString(b), leaseTTL: leaseTTL}
}

// takeSlot claims the lowest free (or expired) slot in one statement; a
// concurrent claim of the same slot makes the loser's insert return no row.
const takeSlot = `WITH free AS (
	SELECT s FROM generate_series(0, $2::int - 1) s
	WHERE NOT EXISTS (SELECT 1 FROM delivery_slots d WHERE d.subscription_id = $1 AND d.slot = s AND d.expires_at >= now())
	ORDER BY s LIMIT 1)
INSERT INTO delivery_slots (subscription_id, slot, holder, expires_at)
SELECT $1, s, $3, now() + make_interval(secs => $4) FROM free
ON CONFLICT (subscription_id, slot) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
	WHERE delivery_slots.expires_at < now()
RETURNING slot`

// takeToken advances the subscription's GCRA arrival time by 1/rate if it
// is within the burst (one second's worth) of now.
const takeToken = `INSERT INTO delivery_throttle (subscription_id, tat) VALUES ($1, now() + make_interval(secs => $2))
ON CONFLICT (subscription_id) DO UPDATE SET tat = greatest(delivery_throttle.tat, now()) + make_interval(secs => $2)
	WHERE delivery_throttle.tat <= now() + make_interval(secs => $3)
RETURNING tat`

// Acquire implements delivery.Gate.
func (g *Gate) Acquire(ctx context.Context, sub, d int64, maxInFlight, perSecond int) (func(time.Duration), time.Duration, bool, error) {
	slot := -1
	if maxInFlight > 0 {
		err := g.pool.QueryRow(ctx, takeSlot, sub, maxInFlight, g.holder, g.leaseTTL.Seconds()).Scan(&slot)
		if err == pgx.ErrNoRows {
			return nil, g.refusedWait(ctx, sub, d, maxInFlight), false, nil
		}
		if err != nil {
			return nil, 0, false, fmt.Errorf("pggate: slot: %w", err)
		}
	}
	if wait, err := g.throttle(ctx, sub, perSecond); err != nil || wait > 0 {
		g.free(sub, slot)
		return nil, wait, false, err
	}
	g.waits.Acquired(sub, d)
	return func(took time.Duration) {
		g.free(sub, slot)
		g.waits.Done(sub, took)
	}, 0, true, nil
}

// refusedWait is the wait after finding every slot taken; a lost race for
// the last free slot retries soon.
func (g *Gate) refusedWait(ctx context.Context, sub, d int64, maxInFlight int) time.Duration {
	var taken int
	err := g.pool.QueryRow(ctx, `SELECT count(*) FROM delivery_slots WHERE subscription_id = $1 AND expires_at >= now()`, sub).Scan(&taken)
	if err == nil && taken < maxInFlight {
		return raceWait
	}
	return g.waits.Refused(sub, d, maxInFlight)
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

// free releases a slot; it runs after the request, whatever its context.
func (g *Gate) free(sub int64, slot int) {
	if slot < 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = g.pool.Exec(ctx, `DELETE FROM delivery_slots WHERE subscription_id = $1 AND slot = $2 AND holder = $3`, sub, slot, g.holder)
}
