package delivery

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/jobwake"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// TestPulseWakesOnlyWhileBusy: after a job the pulse wakes the producer
// every interval; once the window has passed without one it stops.
func TestPulseWakesOnlyWhileBusy(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC).UnixNano())
	var wakes atomic.Int64
	p := newPulse(func() { wakes.Add(1) }, time.Millisecond, 10*time.Second,
		func() time.Time { return time.Unix(0, clock.Load()) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.run(ctx)

	require.False(t, p.busy(), "no job worked yet")
	time.Sleep(20 * time.Millisecond)
	require.Zero(t, wakes.Load(), "an idle queue is left to River's own poll")

	p.worked()
	require.Eventually(t, func() bool { return wakes.Load() >= 3 }, 5*time.Second, time.Millisecond)

	clock.Add(int64(10 * time.Second)) // the window has passed
	require.False(t, p.busy())
	time.Sleep(5 * time.Millisecond) // a tick that had already checked may still wake once
	n := wakes.Load()
	time.Sleep(20 * time.Millisecond)
	require.Equal(t, n, wakes.Load(), "no wakes once idle")

	p.worked() // busy again: the idle pulse wakes up
	require.Eventually(t, func() bool { return wakes.Load() >= n+3 }, 5*time.Second, time.Millisecond)
}

// TestRunnerWithWakeFindsRetriesWithoutPolling: with a Wake, retries come
// due and are sent although River itself polls only once an hour; and
// once the queue has been idle for the busy window, the runner stops
// waking it.
func TestRunnerWithWakeFindsRetriesWithoutPolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 500, 500, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)

	listener := jobwake.NewListener()
	var wakes atomic.Int64
	cfg := e.testConfig() // retries 10 ms apart
	cfg.Wake = func() { wakes.Add(1); listener.Notify(jobs.QueueDeliveries) }
	cfg.IdlePollInterval = time.Hour
	// Longer than River's completer takes to record a snooze (up to 250 ms)
	// plus the snooze itself.
	cfg.BusyWindow = time.Second
	e.startOn(t, jobwake.Driver(riversqlite.New(e.st.DB()), listener), cfg)

	e.await(t, river.EventKindJobCompleted) // within 5 s: only the pulse wakes the producer
	require.Len(t, rcv.requests(), 3)
	require.Equal(t, store.DeliveryDelivered, e.delivery(t, d.ID).Status)
	require.Positive(t, wakes.Load())

	time.Sleep(1500 * time.Millisecond) // past the busy window
	n := wakes.Load()
	time.Sleep(200 * time.Millisecond)
	require.Equal(t, n, wakes.Load(), "an idle queue is not woken")
}
