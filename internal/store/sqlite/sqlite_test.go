package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
	"github.com/ivvy-notify/ivvy-notify/internal/store/storetest"
)

func newStore(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	_, err = s.Migrate(context.Background())
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, newStore)
	storetest.RunHolds(t, newStore, sqliteJobs{})
}

// sqliteJobs reads River's jobs for the conformance suite.
type sqliteJobs struct{}

func (sqliteJobs) ForDelivery(t *testing.T, s store.Store, deliveryID int64) []storetest.Job {
	t.Helper()
	// scheduled_at is cast so that the driver does not parse the
	// timestamp column itself.
	rows, err := s.(*sqlite.Store).DB().QueryContext(context.Background(), `SELECT id, state, CAST(scheduled_at AS TEXT)
		FROM river_job WHERE kind = 'deliver' AND json_extract(args, '$.deliveryId') = ? ORDER BY id`, deliveryID)
	require.NoError(t, err)
	defer rows.Close()
	var out []storetest.Job
	for rows.Next() {
		var j storetest.Job
		var at string
		require.NoError(t, rows.Scan(&j.ID, &j.State, &at))
		j.ScheduledAt, err = time.ParseInLocation("2006-01-02 15:04:05.999", at, time.UTC)
		require.NoError(t, err)
		out = append(out, j)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlite.FileName)

	t.Run("AppliesAllThenNothing", func(t *testing.T) {
		s, err := sqlite.Open(ctx, path)
		require.NoError(t, err)
		defer s.Close()
		applied, known, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Zero(t, applied)
		require.Positive(t, known)

		versions, err := s.Migrate(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, versions[0])
		require.Equal(t, known, versions[len(versions)-1])

		versions, err = s.Migrate(ctx)
		require.NoError(t, err)
		require.Empty(t, versions)
	})
	t.Run("SchemaSurvivesReopen", func(t *testing.T) {
		s, err := sqlite.Open(ctx, path)
		require.NoError(t, err)
		defer s.Close()
		applied, known, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, known, applied)
	})
}

func TestPragmas(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	defer s.Close()

	var mode string
	require.NoError(t, s.DB().QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", mode)
	var fk int
	require.NoError(t, s.DB().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk))
	require.Equal(t, 1, fk)
	var sync int
	require.NoError(t, s.DB().QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync))
	require.Equal(t, 1, sync, "synchronous=NORMAL for the job queue's own commits")
	require.NoError(t, s.InSQLTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync)
	}))
	require.Equal(t, 2, sync, "synchronous=FULL for the store's")
	require.NoError(t, s.DB().QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync))
	require.Equal(t, 1, sync, "and back to NORMAL after")
	var temp int
	require.NoError(t, s.DB().QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&temp))
	require.Equal(t, 2, temp, "savepoints' statement journals kept in memory, not spilled to temporary files")
}

func TestOpenBadPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	_, err := sqlite.Open(context.Background(), filepath.Join(dir, "sub", "x.db"))
	require.Error(t, err)
}

// newSubscription makes an account, a topic and a subscription in s.
func newSubscription(t *testing.T, s store.Store) *store.Subscription {
	t.Helper()
	ctx := context.Background()
	a, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "A"})
	require.NoError(t, err)
	topic, err := s.TopicGetOrCreate(ctx, store.TopicCreateParams{AccountID: a.ID, Endpoint: "companies", ARN: "arn:t"})
	require.NoError(t, err)
	sub, err := s.SubscriptionCreate(ctx, store.SubscriptionCreateParams{TopicID: topic.ID, ARN: "arn:s", URL: "https://x", APIKey: "k"})
	require.NoError(t, err)
	return sub
}

// TestDeliveryJobInSameTransaction checks that a delivery's queue job is
// written with the row, and vanishes with it on rollback.
func TestDeliveryJobInSameTransaction(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*sqlite.Store)
	defer s.Close()
	sub := newSubscription(t, s)
	create := func(q store.Queries) (*store.Delivery, error) {
		return q.DeliveryCreate(ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m", MessageType: "Notification", Body: []byte("{}")})
	}
	jobs := func() (n int, args string) {
		require.NoError(t, s.DB().QueryRowContext(ctx,
			`SELECT COUNT(*), COALESCE(json(MAX(args)), '') FROM river_job WHERE kind = 'deliver' AND queue = 'deliveries'`).Scan(&n, &args))
		return n, args
	}

	require.Error(t, s.InTx(ctx, func(q store.Queries) error {
		_, err := create(q)
		require.NoError(t, err)
		return errors.New("roll back")
	}))
	n, _ := jobs()
	require.Zero(t, n, "a rolled-back delivery leaves no job")

	d, err := create(s)
	require.NoError(t, err)
	n, args := jobs()
	require.Equal(t, 1, n)
	require.JSONEq(t, fmt.Sprintf(`{"deliveryId":%d}`, d.ID), args)
}

func TestReleaseOrphanedJobs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*sqlite.Store)
	defer s.Close()
	sub := newSubscription(t, s)
	_, err := s.DeliveryCreate(ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m", MessageType: "Notification", Body: []byte("{}")})
	require.NoError(t, err)
	_, err = s.DB().ExecContext(ctx, `UPDATE river_job SET state = 'running'`)
	require.NoError(t, err)

	require.NoError(t, s.ReleaseOrphanedJobs(ctx))
	var state string
	require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT state FROM river_job WHERE kind = 'deliver'`).Scan(&state))
	require.Equal(t, "available", state)
}

// TestReleaseOrphanedHolds: at start-up every delivery still held for a
// direct send goes to the queue, due now, while an ordinary retry
// scheduled later stays so.
func TestReleaseOrphanedHolds(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*sqlite.Store)
	defer s.Close()
	sub := newSubscription(t, s)
	p := store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m", MessageType: "Notification", Body: []byte("{}"),
		HoldUntil: time.Now().Add(time.Hour)}
	ds, err := s.DeliveryCreateMany(ctx, []store.DeliveryCreateParams{p, p, p})
	require.NoError(t, err)
	held, retried := ds[:2], ds[2]
	retryAt := time.Now().Add(time.Hour)
	err = s.DeliveryRecordAttempt(ctx, store.DeliveryAttemptParams{ID: retried.ID, Status: store.DeliveryPending, At: time.Now(),
		Held: true, RetryAt: retryAt})
	require.NoError(t, err)
	jobs := func(d *store.Delivery) []storetest.Job { return sqliteJobs{}.ForDelivery(t, s, d.ID) }
	require.Empty(t, jobs(held[0]))

	require.NoError(t, s.ReleaseOrphanedJobs(ctx))
	for _, d := range held {
		js := jobs(d)
		require.Len(t, js, 1, "a held delivery is queued")
		require.Equal(t, "available", js[0].State)
		require.LessOrEqual(t, js[0].ScheduledAt, time.Now().Add(time.Second))
	}
	js := jobs(retried)
	require.Len(t, js, 1)
	require.Equal(t, "scheduled", js[0].State, "a retry keeps its time")
	require.WithinDuration(t, retryAt, js[0].ScheduledAt, time.Second)
	n, err := s.DeliveryReleaseExpiredHolds(ctx, time.Now().Add(24*time.Hour), 10)
	require.NoError(t, err)
	require.Zero(t, n, "no hold left")
}
