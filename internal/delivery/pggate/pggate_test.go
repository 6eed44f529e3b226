package pggate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/delivery/pggate"
	"github.com/ivvy-notify/ivvy-notify/internal/store/postgres"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/pgtest"
)

// newStore opens a migrated store in a fresh schema, dropped after the test.
func newStore(t *testing.T) *postgres.Store {
	url := pgtest.URL(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "gate_" + hex.EncodeToString(b)
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = st.Pool().Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		st.Close()
	})
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	return st
}

func TestSlotsHoldAcrossNodes(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	nodeA, nodeB := pggate.New(st.Pool(), time.Minute), pggate.New(st.Pool(), time.Minute)
	var releases []func(time.Duration)
	for i := range 4 {
		g := []*pggate.Gate{nodeA, nodeB}[i%2]
		release, _, ok, err := g.Acquire(ctx, 1, 0, 4, 0)
		require.NoError(t, err)
		require.True(t, ok, "slot %d", i)
		releases = append(releases, release)
	}
	for _, g := range []*pggate.Gate{nodeA, nodeB} {
		_, wait, ok, err := g.Acquire(ctx, 1, 0, 4, 0)
		require.NoError(t, err)
		require.False(t, ok, "the limit is 4 across both nodes")
		require.Positive(t, wait)
	}
	_, _, ok, err := nodeB.Acquire(ctx, 2, 0, 4, 0)
	require.NoError(t, err)
	require.True(t, ok, "another subscription has its own slots")

	releases[0](time.Millisecond)
	_, _, ok, err = nodeB.Acquire(ctx, 1, 0, 4, 0)
	require.NoError(t, err)
	require.True(t, ok, "a slot freed on node A is taken on node B")
}

func TestExpiredLeaseIsReclaimed(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	dying := pggate.New(st.Pool(), 200*time.Millisecond)
	granted(t, dying, 1, 0, 1)
	other := pggate.New(st.Pool(), time.Minute)
	_, _, ok, err := other.Acquire(ctx, 1, 0, 1, 0)
	require.NoError(t, err)
	require.False(t, ok)
	time.Sleep(300 * time.Millisecond)
	_, _, ok, err = other.Acquire(ctx, 1, 0, 1, 0)
	require.NoError(t, err)
	require.True(t, ok, "a dead node's slot is free once its lease expires")
}

func TestThrottleAcrossNodes(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	nodes := []*pggate.Gate{pggate.New(st.Pool(), time.Minute), pggate.New(st.Pool(), time.Minute)}
	granted := 0
	var wait time.Duration
	for i := range 10 {
		release, w, ok, err := nodes[i%2].Acquire(ctx, 7, 0, 0, 5)
		require.NoError(t, err)
		if ok {
			granted++
			release(0)
		} else {
			wait = w
		}
	}
	require.InDelta(t, 5, granted, 1, "5 per second across both nodes (one second of burst)")
	require.Greater(t, wait, time.Duration(0))
	require.LessOrEqual(t, wait, 250*time.Millisecond)
}

// TestConcurrentTakersEachGetASlot: deliveries to one subscription asking
// at the same moment, on two nodes, each get a slot of their own as long
// as there are enough — none is refused for having picked the same slot
// as another.
func TestConcurrentTakersEachGetASlot(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	nodes := []*pggate.Gate{pggate.New(st.Pool(), time.Minute), pggate.New(st.Pool(), time.Minute)}
	const slots = 8
	for round := range 5 {
		sub := int64(100 + round)
		var wg sync.WaitGroup
		granted := make([]bool, slots)
		releases := make([]func(time.Duration), slots)
		errs := make([]error, slots)
		for i := range slots {
			wg.Go(func() {
				releases[i], _, granted[i], errs[i] = nodes[i%2].Acquire(ctx, sub, int64(i), slots, 0)
			})
		}
		wg.Wait()
		for i := range slots {
			require.NoError(t, errs[i])
			require.True(t, granted[i], "round %d: taker %d refused with %d slots for %d takers", round, i, slots, slots)
		}
		_, _, ok, err := nodes[0].Acquire(ctx, sub, 99, slots, 0)
		require.NoError(t, err)
		require.False(t, ok, "round %d: a ninth taker finds every slot held", round)
		var held int
		require.NoError(t, st.Pool().QueryRow(ctx,
			`SELECT count(DISTINCT slot) FROM delivery_slots WHERE subscription_id = $1 AND expires_at >= now()`, sub).Scan(&held))
		require.Equal(t, slots, held)
		for _, release := range releases {
			release(time.Millisecond)
		}
		require.NoError(t, st.Pool().QueryRow(ctx,
			`SELECT count(*) FROM delivery_slots WHERE subscription_id = $1 AND expires_at >= now()`, sub).Scan(&held))
		require.Zero(t, held, "round %d: every slot is free after its release", round)
	}
}

// TestSlotsMadeAgainAfterTheTableIsEmptied: a database crash empties the
// unlogged slot table; a running node must not be left without slots.
func TestSlotsMadeAgainAfterTheTableIsEmptied(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	g := pggate.New(st.Pool(), time.Minute)
	granted(t, g, 1, 0, 2)(time.Millisecond)

	_, err := st.Pool().Exec(ctx, `TRUNCATE delivery_slots`)
	require.NoError(t, err)
	emptied := time.Now()
	require.Eventually(t, func() bool {
		_, _, ok, err := g.Acquire(ctx, 1, 1, 2, 0)
		return err == nil && ok
	}, 3*time.Second, 50*time.Millisecond, "a slot within a second or so of the table being emptied")
	require.Less(t, time.Since(emptied), 2*time.Second)
	granted(t, g, 1, 2, 2) // the second slot too
	_, _, ok, err := g.Acquire(ctx, 1, 3, 2, 0)
	require.NoError(t, err)
	require.False(t, ok, "still only 2")
}

// TestGateTablesAreUnlogged: taking and freeing slots writes no WAL.
func TestGateTablesAreUnlogged(t *testing.T) {
	st := newStore(t)
	for _, table := range []string{"delivery_slots", "delivery_throttle"} {
		var persistence string
		require.NoError(t, st.Pool().QueryRow(context.Background(),
			`SELECT relpersistence FROM pg_class WHERE oid = $1::regclass`, table).Scan(&persistence))
		require.Equal(t, "u", persistence, table)
	}
}

// slotLease returns a slot's lease expiry as text, and whether it is held.
func slotLease(t *testing.T, st *postgres.Store, sub int64, slot int) (string, bool) {
	var expires string
	var held bool
	require.NoError(t, st.Pool().QueryRow(context.Background(),
		`SELECT expires_at::text, expires_at >= now() FROM delivery_slots WHERE subscription_id = $1 AND slot = $2`,
		sub, slot).Scan(&expires, &held))
	return expires, held
}

// acquireAsync starts an Acquire and returns a channel with its result.
func acquireAsync(ctx context.Context, g *pggate.Gate, sub, d int64, maxInFlight int) chan func(time.Duration) {
	got := make(chan func(time.Duration), 1)
	go func() {
		release, _, ok, err := g.Acquire(ctx, sub, d, maxInFlight, 0)
		if err != nil || !ok {
			release = nil
		}
		got <- release
	}()
	return got
}

// granted takes a slot of sub for delivery d that must be free, and
// returns its release.
func granted(t *testing.T, g *pggate.Gate, sub, d int64, maxInFlight int) func(time.Duration) {
	t.Helper()
	release, _, ok, err := g.Acquire(context.Background(), sub, d, maxInFlight, 0)
	require.NoError(t, err)
	require.True(t, ok)
	return release
}

// warm takes and releases a slot of sub, so the gate has seen a slot freed
// lately and lets deliveries queue.
func warm(t *testing.T, g *pggate.Gate, sub int64, maxInFlight int) {
	granted(t, g, sub, 0, maxInFlight)(time.Millisecond)
}

// TestQueuedDeliveryGetsTheSlotHandedOver: a delivery that finds the slots
// taken waits for one on its node, and the slot passes to it without going
// back to the database.
func TestQueuedDeliveryGetsTheSlotHandedOver(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	g := pggate.New(st.Pool(), time.Minute)
	warm(t, g, 1, 1)
	first := granted(t, g, 1, 1, 1)
	leased, _ := slotLease(t, st, 1, 0)

	second := acquireAsync(ctx, g, 1, 2, 1)
	time.Sleep(50 * time.Millisecond)
	first(time.Millisecond)
	var release func(time.Duration)
	select {
	case release = <-second:
		require.NotNil(t, release, "the queued delivery got the slot")
	case <-time.After(2 * time.Second):
		t.Fatal("the queued delivery is still waiting")
	}
	still, held := slotLease(t, st, 1, 0)
	require.True(t, held)
	require.Equal(t, leased, still, "handed over: the lease in the database is the same one")
	release(time.Millisecond)
	_, held = slotLease(t, st, 1, 0)
	require.False(t, held, "with nobody queued the slot goes back to the database")
}

// TestOldLeaseGoesBackToTheDatabase: a slot held longer than the hand-over
// window is freed in the database even with a delivery queued, which then
// takes it with a fresh lease.
func TestOldLeaseGoesBackToTheDatabase(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	g := pggate.New(st.Pool(), time.Minute)
	old := granted(t, g, 1, 1, 2)
	leased, _ := slotLease(t, st, 1, 0)
	time.Sleep(1100 * time.Millisecond)
	warm(t, g, 1, 2) // slot 1: a slot released lately, so deliveries queue
	young := granted(t, g, 1, 2, 2)

	queued := acquireAsync(ctx, g, 1, 3, 2)
	time.Sleep(20 * time.Millisecond)
	require.Empty(t, queued, "both slots held: the delivery waits")
	old(time.Millisecond)
	release := <-queued
	require.NotNil(t, release, "the queued delivery got the slot through the database")
	renewed, held := slotLease(t, st, 1, 0)
	require.True(t, held)
	require.NotEqual(t, leased, renewed, "a fresh lease")
	release(time.Millisecond)
	young(time.Millisecond)
}

// TestCancelledWaitLosesNoSlot: a queued delivery whose context ends while
// a slot is being handed to it passes the slot on; none leaks.
func TestCancelledWaitLosesNoSlot(t *testing.T) {
	st := newStore(t)
	g := pggate.New(st.Pool(), time.Minute)
	for range 20 {
		warm(t, g, 1, 1)
		first, _, ok, err := g.Acquire(context.Background(), 1, 1, 1, 0)
		require.NoError(t, err)
		require.True(t, ok)
		ctx, cancel := context.WithCancel(context.Background())
		second := acquireAsync(ctx, g, 1, 2, 1)
		time.Sleep(5 * time.Millisecond)
		go cancel()
		first(time.Millisecond)
		if release := <-second; release != nil {
			release(time.Millisecond)
		}
		cancel()
		var held int
		require.NoError(t, st.Pool().QueryRow(context.Background(),
			`SELECT count(*) FROM delivery_slots WHERE subscription_id = 1 AND expires_at >= now()`).Scan(&held))
		require.Zero(t, held, "every slot free again")
	}
}

// TestQueuedDeliveryTakesASlotFreedByAnotherNode: slots freed elsewhere are
// not signalled, but a queued delivery polls for them.
func TestQueuedDeliveryTakesASlotFreedByAnotherNode(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	nodeA, nodeB := pggate.New(st.Pool(), time.Minute), pggate.New(st.Pool(), time.Minute)
	warm(t, nodeB, 1, 1)
	held := granted(t, nodeA, 1, 1, 1)
	waiting := acquireAsync(ctx, nodeB, 1, 2, 1)
	time.Sleep(50 * time.Millisecond)
	held(time.Millisecond)
	release := <-waiting
	require.NotNil(t, release, "node B's queued delivery got the slot node A freed")
	release(time.Millisecond)
}
