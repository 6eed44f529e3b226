package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// pendingDeliveries opens a migrated store with n pending deliveries.
func pendingDeliveries(t *testing.T, n int) (*Store, []*store.Delivery) {
	t.Helper()
	s := migratedStore(t)
	return s, pendingDeliveriesIn(t, s, n)
}

// pendingDeliveriesIn creates n pending deliveries in s.
func pendingDeliveriesIn(t *testing.T, s *Store, n int) []*store.Delivery {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	a, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Acme", CreatedAt: now})
	require.NoError(t, err)
	topic, err := s.TopicGetOrCreate(ctx, store.TopicCreateParams{AccountID: a.ID, Endpoint: "companies", ARN: "arn:t", CreatedAt: now})
	require.NoError(t, err)
	sub, err := s.SubscriptionCreate(ctx, store.SubscriptionCreateParams{TopicID: topic.ID, ARN: "arn:s", URL: "https://a.example/", APIKey: "k", CreatedAt: now})
	require.NoError(t, err)
	ds := make([]*store.Delivery, n)
	for i := range ds {
		ds[i], err = s.DeliveryCreate(ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m",
			MessageType: "Notification", Body: []byte("{}"), CreatedAt: now})
		require.NoError(t, err)
	}
	return ds
}

// holdWriter holds the writer connection in a transaction of its own,
// bypassing the group committer, until release is closed.
func holdWriter(t *testing.T, s *Store) (release chan struct{}) {
	t.Helper()
	hold, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.InSQLTx(context.Background(), func(*sql.Tx) error {
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	return release
}

func delivered(id int64) store.DeliveryAttemptParams {
	return store.DeliveryAttemptParams{ID: id, Status: store.DeliveryDelivered, At: time.Now(),
		Attempt: &store.Attempt{StartedAt: time.Now(), Duration: time.Millisecond, StatusCode: 200, Outcome: "delivered"}}
}

// TestGroupCommitSharesCommits holds the writer while records queue, then
// lets go: they are committed together, and a record that fails is rolled
// back alone.
func TestGroupCommitSharesCommits(t *testing.T) {
	const n = 40
	s, ds := pendingDeliveries(t, n)
	ctx := context.Background()

	release := holdWriter(t, s)
	before := s.group.commits
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := range n + 1 {
		wg.Go(func() {
			id := int64(999_999) // no such delivery
			if i < n {
				id = ds[i].ID
			}
			errs[i] = s.DeliveryRecordAttempt(ctx, delivered(id))
		})
	}
	time.Sleep(200 * time.Millisecond) // let every record queue behind the held writer
	close(release)
	wg.Wait()

	for i := range n {
		require.NoError(t, errs[i])
	}
	require.ErrorIs(t, errs[n], store.ErrNotFound)
	require.LessOrEqual(t, s.group.commits-before, 3, "%d records, few commits", n+1)
	for _, d := range ds {
		got, err := s.DeliveryGet(ctx, d.ID)
		require.NoError(t, err)
		require.Equal(t, store.DeliveryDelivered, got.Status)
		require.Equal(t, 1, got.Attempts)
		attempts, err := s.DeliveryAttemptList(ctx, d.ID)
		require.NoError(t, err)
		require.Len(t, attempts, 1)
	}
}

// TestGroupCommitFailedRecordLeavesNoTrace checks that a record rolled back
// to its savepoint leaves neither its attempt row nor a status change.
func TestGroupCommitFailedRecordLeavesNoTrace(t *testing.T) {
	s, ds := pendingDeliveries(t, 1)
	ctx := context.Background()
	// A trigger fails the status update, after the attempt row is in.
	_, err := s.db.ExecContext(ctx, `CREATE TEMP TRIGGER boom BEFORE UPDATE ON deliveries
		WHEN NEW.last_error = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END`)
	require.NoError(t, err)
	p := delivered(ds[0].ID)
	p.Error = "boom"
	err = s.DeliveryRecordAttempt(ctx, p)
	require.ErrorContains(t, err, "boom")
	got, err := s.DeliveryGet(ctx, ds[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.DeliveryPending, got.Status)
	require.Zero(t, got.Attempts)
	attempts, err := s.DeliveryAttemptList(ctx, ds[0].ID)
	require.NoError(t, err)
	require.Empty(t, attempts, "the attempt row went with the savepoint")

	err = s.DeliveryRecordAttempt(ctx, delivered(ds[0].ID))
	require.NoError(t, err, "the store records on after a failed record")
}

// TestGroupCommitPanicReachesCaller checks that a transaction that panics
// is rolled back alone and its panic raised in its caller.
func TestGroupCommitPanicReachesCaller(t *testing.T) {
	s, ds := pendingDeliveries(t, 1)
	ctx := context.Background()
	require.PanicsWithValue(t, "boom", func() {
		_ = s.InTx(ctx, func(q store.Queries) error {
			err := q.DeliveryRecordAttempt(ctx, delivered(ds[0].ID))
			require.NoError(t, err)
			panic("boom")
		})
	})
	got, err := s.DeliveryGet(ctx, ds[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.DeliveryPending, got.Status, "the panicking transaction's write is rolled back")
	err = s.DeliveryRecordAttempt(ctx, delivered(ds[0].ID))
	require.NoError(t, err, "the committer lives on")
}

// TestGroupCommitCancelledCallerSparesOthers holds the writer while two
// transactions queue, one of which cancels its own context: only its work
// is lost.
func TestGroupCommitCancelledCallerSparesOthers(t *testing.T) {
	s, ds := pendingDeliveries(t, 2)
	ctx := context.Background()
	release := holdWriter(t, s)
	cctx, cancel := context.WithCancel(ctx)
	errs := make(chan error, 2)
	go func() {
		errs <- s.InTx(cctx, func(q store.Queries) error {
			cancel()
			err := q.DeliveryRecordAttempt(cctx, delivered(ds[0].ID))
			return err
		})
	}()
	time.Sleep(100 * time.Millisecond)
	go func() {
		err := s.DeliveryRecordAttempt(ctx, delivered(ds[1].ID))
		errs <- err
	}()
	time.Sleep(100 * time.Millisecond)
	close(release)
	first, second := <-errs, <-errs
	require.True(t, errors.Is(first, context.Canceled) != errors.Is(second, context.Canceled),
		"exactly one failed, with the cancellation: %v, %v", first, second)
	got0, err := s.DeliveryGet(ctx, ds[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.DeliveryPending, got0.Status)
	got1, err := s.DeliveryGet(ctx, ds[1].ID)
	require.NoError(t, err)
	require.Equal(t, store.DeliveryDelivered, got1.Status, "the other transaction of the group is committed")
}

func TestGroupCommitAfterClose(t *testing.T) {
	s, ds := pendingDeliveries(t, 1)
	require.NoError(t, s.Close())
	err := s.DeliveryRecordAttempt(context.Background(), delivered(ds[0].ID))
	require.Error(t, err)
}

// sent is a direct send's record of a delivery.
func sent(id int64) store.DeliveryAttemptParams {
	p := delivered(id)
	p.Held = true
	return p
}

// TestGroupCommitGathersRecords checks that direct sends' records arriving
// one after another within the gather wait share one commit, that a
// transaction that may not wait ends the wait at once, that neither a
// queue worker's record nor a record after a quiet spell waits, and that
// closing the store commits a gathering group rather than dropping it.
func TestGroupCommitGathersRecords(t *testing.T) {
	ctx := context.Background()
	t.Run("records share a commit", func(t *testing.T) {
		s, ds := pendingDeliveries(t, 4)
		s.group.gatherWait = 500 * time.Millisecond
		before := s.group.commits
		var wg sync.WaitGroup
		for i, d := range ds {
			wg.Go(func() {
				time.Sleep(time.Duration(i) * 20 * time.Millisecond)
				require.NoError(t, s.DeliveryRecordAttempt(ctx, sent(d.ID)))
			})
		}
		wg.Wait()
		require.Equal(t, 1, s.group.commits-before, "4 records 20 ms apart")
		for _, d := range ds {
			got, err := s.DeliveryGet(ctx, d.ID)
			require.NoError(t, err)
			require.Equal(t, store.DeliveryDelivered, got.Status)
		}
	})
	t.Run("a transaction that may not wait ends the wait", func(t *testing.T) {
		s, ds := pendingDeliveries(t, 1)
		s.group.gatherWait = time.Hour
		before := s.group.commits
		start := time.Now()
		recorded := make(chan error, 1)
		go func() { recorded <- s.DeliveryRecordAttempt(ctx, sent(ds[0].ID)) }()
		time.Sleep(20 * time.Millisecond)
		_, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Other", CreatedAt: time.Now()})
		require.NoError(t, err)
		require.NoError(t, <-recorded)
		require.Less(t, time.Since(start), 10*time.Second)
		require.Equal(t, 1, s.group.commits-before, "the record and the insert in one commit")
	})
	t.Run("records that do not wait", func(t *testing.T) {
		s, ds := pendingDeliveries(t, 2)
		s.group.gatherWait = time.Hour
		promptly := func(p store.DeliveryAttemptParams, what string) {
			recorded := make(chan error, 1)
			go func() { recorded <- s.DeliveryRecordAttempt(ctx, p) }()
			select {
			case err := <-recorded:
				require.NoError(t, err, what)
			case <-time.After(5 * time.Second):
				require.FailNow(t, "the record waited to gather", what)
			}
		}
		promptly(delivered(ds[0].ID), "a queue worker's record")
		s.group.lastCommit = time.Time{} // a quiet spell
		promptly(sent(ds[1].ID), "a direct send's record after a quiet spell")
	})
	t.Run("close commits a gathering group", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		s := migratedStoreAt(t, path)
		ds := pendingDeliveriesIn(t, s, 1)
		s.group.gatherWait = time.Hour
		start := time.Now()
		recorded := make(chan error, 1)
		go func() { recorded <- s.DeliveryRecordAttempt(ctx, sent(ds[0].ID)) }()
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, s.Close())
		require.NoError(t, <-recorded)
		require.Less(t, time.Since(start), 10*time.Second)
		got, err := migratedStoreAt(t, path).DeliveryGet(ctx, ds[0].ID)
		require.NoError(t, err)
		require.Equal(t, store.DeliveryDelivered, got.Status, "the record was committed, not dropped")
	})
}
