package pggate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/delivery/pggate"
	"github.com/ivvy-notify/ivvy-notify/internal/store/postgres"
)

// newStore opens a migrated store in a fresh schema, dropped after the test.
func newStore(t *testing.T) *postgres.Store {
	url := os.Getenv("IVVY_NOTIFY_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but IVVY_NOTIFY_TEST_DATABASE_URL is not set")
		}
		t.Skip("IVVY_NOTIFY_TEST_DATABASE_URL is not set; skipping PostgreSQL tests")
	}
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
	_, _, ok, err := dying.Acquire(ctx, 1, 0, 1, 0)
	require.NoError(t, err)
	require.True(t, ok)
	other := pggate.New(st.Pool(), time.Minute)
	_, _, ok, err = other.Acquire(ctx, 1, 0, 1, 0)
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
