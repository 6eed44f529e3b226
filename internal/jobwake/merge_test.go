package jobwake

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/stretchr/testify/require"
)

// dbListener stands in for the database's listener: its wait returns what
// the test sends on notes, or the context's error.
type dbListener struct {
	riverdriver.Listener // nil: only the methods below are used
	notes                chan *riverdriver.Notification
	listening            map[string]bool
	connected            bool
	waits, interrupted   atomic.Int64
}

func (d *dbListener) Connect(context.Context) error { d.connected = true; return nil }
func (d *dbListener) Close(context.Context) error   { d.connected = false; return nil }
func (d *dbListener) Listen(_ context.Context, topic string) error {
	d.listening[topic] = true
	return nil
}
func (d *dbListener) Unlisten(_ context.Context, topic string) error {
	delete(d.listening, topic)
	return nil
}
func (d *dbListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	d.waits.Add(1)
	select {
	case n := <-d.notes:
		return n, nil
	case <-ctx.Done():
		d.interrupted.Add(1)
		return nil, ctx.Err()
	}
}

// TestMergedListener: the database's notifications come through as they
// are; a local Notify ends a database wait in progress and is returned;
// connecting, listening and closing reach both listeners.
func TestMergedListener(t *testing.T) {
	ctx := context.Background()
	db := &dbListener{notes: make(chan *riverdriver.Notification), listening: map[string]bool{}}
	local := NewListener()
	m := &mergedListener{Listener: db, local: local}

	require.NoError(t, m.Connect(ctx))
	require.NoError(t, m.Listen(ctx, insertTopic))
	require.True(t, db.connected)
	require.True(t, db.listening[insertTopic])

	// From the database.
	fromDB := &riverdriver.Notification{Topic: insertTopic, Payload: `{"queue":"other-node"}`}
	go func() { db.notes <- fromDB }()
	n, err := m.WaitForNotification(ctx)
	require.NoError(t, err)
	require.Same(t, fromDB, n)

	// A local wake while the database wait is blocked.
	got := make(chan *riverdriver.Notification)
	go func() {
		n, _ := m.WaitForNotification(ctx) // nil on an error: the check below fails
		got <- n
	}()
	require.Eventually(t, func() bool { return db.waits.Load() == 2 }, 5*time.Second, time.Millisecond)
	local.Notify("deliveries")
	select {
	case n := <-got:
		require.NotNil(t, n)
		require.Equal(t, `{"queue":"deliveries"}`, n.Payload)
	case <-time.After(5 * time.Second):
		t.Fatal("a local notification did not end the database wait")
	}
	require.Equal(t, int64(1), db.interrupted.Load(), "the database wait was cancelled, not left running")

	// A local notification already pending is returned without waiting.
	local.Notify("deliveries")
	n, err = m.WaitForNotification(ctx)
	require.NoError(t, err)
	require.Equal(t, `{"queue":"deliveries"}`, n.Payload)
	require.Equal(t, int64(2), db.waits.Load())

	// The caller's own cancellation ends the wait with its error.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = m.WaitForNotification(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	require.NoError(t, m.Unlisten(ctx, insertTopic))
	require.False(t, db.listening[insertTopic])
	local.Notify("deliveries") // not listening: dropped
	require.NoError(t, m.Close(ctx))
	require.False(t, db.connected)
	require.NoError(t, m.Connect(ctx), "connects again after Close")
}
