package sqlite

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// TestOnJobsCommitted checks that the job queue hears of committed jobs:
// once per commit that enqueued some, after the commit (the jobs are
// visible to another connection by then), and not for transactions that
// enqueued none.
func TestOnJobsCommitted(t *testing.T) {
	ctx := context.Background()
	s, ds := pendingDeliveries(t, 1)
	var calls atomic.Int32
	visible := make(chan int, 4)
	s.OnJobsCommitted(func() {
		calls.Add(1)
		var n int
		// A read-pool connection sees only committed rows.
		require.NoError(t, s.reads.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE queue = 'deliveries'`).Scan(&n))
		visible <- n
	})
	params := store.DeliveryCreateParams{SubscriptionID: ds[0].SubscriptionID, MessageID: "m2",
		MessageType: "Notification", Body: []byte("{}"), CreatedAt: time.Now()}

	_, err := s.DeliveryCreateMany(ctx, []store.DeliveryCreateParams{params, params})
	require.NoError(t, err)
	require.EqualValues(t, 1, calls.Load(), "one call for one commit")
	require.Equal(t, 3, <-visible, "the call comes after the commit")

	err = s.DeliveryRecordAttempt(ctx, delivered(ds[0].ID))
	require.NoError(t, err)
	require.EqualValues(t, 1, calls.Load(), "a commit without jobs is not announced")

	require.Error(t, s.InTx(ctx, func(q store.Queries) error {
		_, err := q.DeliveryCreate(ctx, params)
		require.NoError(t, err)
		return errors.New("roll back")
	}))
	if calls.Load() == 2 { // allowed: the group's commit carried the rolled-back savepoint
		require.Equal(t, 3, <-visible)
	}
	_, err = s.DeliveryCreate(ctx, params)
	require.NoError(t, err)
	require.Equal(t, 4, <-visible)
}
