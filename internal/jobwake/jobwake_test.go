package jobwake

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

func TestListenerCoalescesAndWaits(t *testing.T) {
	ctx := context.Background()
	l := NewListener()
	l.Notify("q") // not connected: dropped
	require.NoError(t, l.Connect(ctx))
	require.Error(t, l.Connect(ctx), "a second connect is refused")
	l.Notify("q") // not listening: dropped
	require.NoError(t, l.Listen(ctx, insertTopic))
	l.Notify("a")
	l.Notify("b")
	l.Notify("a") // still pending: coalesced

	for _, want := range []string{`{"queue":"a"}`, `{"queue":"b"}`} {
		n, err := l.WaitForNotification(ctx)
		require.NoError(t, err)
		require.Equal(t, insertTopic, n.Topic)
		require.Equal(t, want, n.Payload)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err := l.WaitForNotification(short)
	require.ErrorIs(t, err, context.DeadlineExceeded, "nothing else is pending")

	got := make(chan string)
	go func() {
		n, err := l.WaitForNotification(ctx)
		if err == nil {
			got <- n.Payload
		}
	}()
	time.Sleep(10 * time.Millisecond)
	l.Notify("c")
	require.Equal(t, `{"queue":"c"}`, <-got, "a waiter wakes on Notify")

	require.NoError(t, l.Close(ctx))
	require.Error(t, l.Listen(ctx, insertTopic), "closed")
	require.NoError(t, l.Connect(ctx), "reconnects after Close")
	l.Notify("d") // the topic was forgotten with the close: dropped
	require.Empty(t, l.pending)
}

type pingArgs struct{}

func (pingArgs) Kind() string { return "ping" }

// TestDriverWakesProducer runs a real River client on SQLite that polls
// every minute: a committed job waits for the next poll until the listener
// is notified, and then runs at once.
func TestDriverWakesProducer(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "q.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	migrator, err := rivermigrate.New(riversqlite.New(db), nil)
	require.NoError(t, err)
	_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	require.NoError(t, err)

	ran := make(chan struct{}, 2)
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[pingArgs]) error {
		ran <- struct{}{}
		return nil
	}))
	wake := NewListener()
	client, err := river.NewClient(Driver(riversqlite.New(db), wake), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}},
		Workers:           workers,
		FetchPollInterval: time.Minute,
		FetchCooldown:     time.Millisecond,
	})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() { _ = client.Stop(context.Background()) })
	require.Eventually(t, func() bool {
		wake.mu.Lock()
		defer wake.mu.Unlock()
		return wake.listening[insertTopic]
	}, 5*time.Second, 5*time.Millisecond, "River listens for inserts")
	time.Sleep(100 * time.Millisecond) // the producer's first fetch is done

	insert := func() {
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		_, err = client.InsertTx(ctx, tx, pingArgs{}, nil)
		require.NoError(t, err)
		require.NoError(t, tx.Commit())
	}
	insert()
	select {
	case <-ran:
		t.Fatal("the job ran without a notification: the test cannot tell the wake from a poll")
	case <-time.After(300 * time.Millisecond):
	}
	start := time.Now()
	wake.Notify(river.QueueDefault)
	select {
	case <-ran:
		t.Logf("ran %s after the notification", time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("the notification did not wake the producer")
	}
	var notes int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_notification`).Scan(&notes))
	require.Zero(t, notes, "River writes no notification rows")
}
