package delivery

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// newDirect builds a Runner on e's store, its queue never started, and
// returns its direct sender, stopped when the test ends.
func (e *env) newDirect(t *testing.T, cfg Config) *Direct {
	t.Helper()
	r, err := New(riversqlite.New(e.st.DB()), e.st, cfg)
	require.NoError(t, err)
	x := r.Direct()
	require.NotNil(t, x)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = x.Stop(ctx)
	})
	return x
}

// createHeld stores n notifications to sub as a publish with a direct
// reservation does: held until until, without jobs.
func (e *env) createHeld(t *testing.T, sub *store.Subscription, until time.Time, n int) []*store.Delivery {
	t.Helper()
	ps := make([]store.DeliveryCreateParams, n)
	for i := range ps {
		ps[i] = store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m-1", MessageType: sns.TypeNotification,
			Body: notificationBody, CreatedAt: time.Now(), HoldUntil: until}
	}
	ds, err := e.st.DeliveryCreateMany(e.ctx, ps)
	require.NoError(t, err)
	require.Len(t, ds, n)
	for _, d := range ds {
		require.Equal(t, until, d.HeldUntil)
	}
	return ds
}

// publishDirect does what a publish of n notifications to sub does with
// x: reserve, create the deliveries held, and send them.
func (e *env) publishDirect(t *testing.T, x *Direct, sub *store.Subscription, n int) []*store.Delivery {
	t.Helper()
	k, until := x.Reserve(n)
	require.Equal(t, n, k)
	ds := e.createHeld(t, sub, until, n)
	x.Send(ds, k)
	return ds
}

// queueJob is a delivery's row in River's job table.
type queueJob struct {
	id          int64
	state       string
	scheduledAt time.Time
}

// jobsOf returns the delivery's queue jobs, by ID.
func (e *env) jobsOf(t *testing.T, deliveryID int64) []queueJob {
	t.Helper()
	// scheduled_at is cast so that the driver does not parse it itself.
	rows, err := e.st.DB().QueryContext(e.ctx, `SELECT id, state, CAST(scheduled_at AS TEXT)
		FROM river_job WHERE json_extract(args, '$.deliveryId') = ? ORDER BY id`, deliveryID)
	require.NoError(t, err)
	defer rows.Close()
	var out []queueJob
	for rows.Next() {
		var j queueJob
		var at string
		require.NoError(t, rows.Scan(&j.id, &j.state, &at))
		j.scheduledAt, err = time.ParseInLocation("2006-01-02 15:04:05.999", at, time.UTC)
		require.NoError(t, err)
		out = append(out, j)
	}
	require.NoError(t, rows.Err())
	return out
}

// held reports whether the delivery is still held for a direct send.
func (e *env) held(t *testing.T, deliveryID int64) bool {
	t.Helper()
	var held bool
	require.NoError(t, e.st.DB().QueryRowContext(e.ctx,
		`SELECT held_until IS NOT NULL FROM deliveries WHERE id = ?`, deliveryID).Scan(&held))
	return held
}

// jobCount counts the delivery's rows in River's job table.
func (e *env) jobCount(t *testing.T, deliveryID int64) int {
	t.Helper()
	var n int
	require.NoError(t, e.st.DB().QueryRowContext(e.ctx,
		`SELECT count(*) FROM river_job WHERE json_extract(args, '$.deliveryId') = ?`, deliveryID).Scan(&n))
	return n
}

// settle waits for x's sends to end (Stop), so that what they did is all
// there is to see.
func settle(t *testing.T, x *Direct) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, x.Stop(ctx))
}

// stopping reports whether x refuses new reservations.
func stopping(x *Direct) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.closed
}

// blockingReceiver answers 200 to every request once unblock is closed;
// started gets a value when a request arrives.
func blockingReceiver(t *testing.T) (url string, started <-chan struct{}, unblock chan struct{}, count func() int) {
	t.Helper()
	st := make(chan struct{}, 10)
	unblock = make(chan struct{})
	n := make(chan int, 1)
	n <- 0
	quit := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read to the end: only then does the server notice that the
		// client gave up and end r's context.
		_, _ = io.Copy(io.Discard, r.Body)
		n <- <-n + 1
		st <- struct{}{}
		select {
		case <-unblock:
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
			panic(http.ErrAbortHandler) // not an empty 200 the client might still read
		case <-quit:
		}
	}))
	t.Cleanup(func() { close(quit); srv.Close() })
	return srv.URL, st, unblock, func() int { c := <-n; n <- c; return c }
}

func TestDirectDeliversWithoutQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	x := e.newDirect(t, e.testConfig()) // the queue is never started

	k, until := x.Reserve(1)
	require.Equal(t, 1, k)
	ds := e.createHeld(t, sub, until, 1)
	d := ds[0]
	require.Zero(t, e.jobCount(t, d.ID), "a held delivery has no job")
	require.True(t, e.held(t, d.ID))

	x.Send(ds, k)
	require.Eventually(t, func() bool { return e.delivery(t, d.ID).Status == store.DeliveryDelivered },
		10*time.Second, 5*time.Millisecond)
	settle(t, x)

	got := rcv.requests()
	require.Len(t, got, 1)
	require.Equal(t, notificationBody, got[0].body, "the stored bytes, unchanged")
	requireSNSHeaders(t, got[0].header, sns.TypeNotification, subARN)
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDelivered, d.Status)
	require.Equal(t, 1, d.Attempts)
	require.Empty(t, d.LastError)
	require.NotNil(t, d.CompletedAt)
	attempts, err := e.st.DeliveryAttemptList(e.ctx, d.ID)
	require.NoError(t, err)
	require.Len(t, attempts, 1)
	require.Equal(t, 200, attempts[0].StatusCode)
	require.Zero(t, e.jobCount(t, d.ID), "no job was ever needed")
	require.False(t, e.held(t, d.ID), "the record lifted the hold")
}

func TestDirectRetryIsQueued(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	cfg := e.testConfig()
	cfg.Planner = fixedPlan{Retries: 3, Delay: time.Hour}
	x := e.newDirect(t, cfg)

	d := e.publishDirect(t, x, sub, 1)[0]
	require.Eventually(t, func() bool { return e.delivery(t, d.ID).Attempts == 1 }, 10*time.Second, 5*time.Millisecond)
	recorded := time.Now()
	settle(t, x)

	require.Len(t, rcv.requests(), 1)
	got := e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryPending, got.Status)
	require.Equal(t, 1, got.Attempts)
	require.Equal(t, "HTTP 503", got.LastError)
	jobs := e.jobsOf(t, d.ID)
	require.Len(t, jobs, 1, "the retry's job")
	j := jobs[0]
	require.Equal(t, "scheduled", j.state)
	require.False(t, e.held(t, d.ID), "the record lifted the hold")
	require.WithinDuration(t, recorded.Add(time.Hour), j.scheduledAt, 7*time.Minute, "the policy's delay, ±10% jitter")
}

func TestDirectPausedSubscriptionGoesToQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	_, err := e.st.SubscriptionSetPaused(e.ctx, sub.ID, true)
	require.NoError(t, err)
	x := e.newDirect(t, e.testConfig())

	d := e.publishDirect(t, x, sub, 1)[0]
	released := time.Now()
	require.Eventually(t, func() bool { return e.jobCount(t, d.ID) == 1 }, 10*time.Second, 5*time.Millisecond,
		"released to the queue")
	settle(t, x)

	jobs := e.jobsOf(t, d.ID)
	require.Len(t, jobs, 1)
	require.False(t, e.held(t, d.ID))
	require.WithinDuration(t, released.Add(PauseRecheck), jobs[0].scheduledAt, time.Second,
		"due at the pause's recheck, as the queue's worker would look again, not at the hold's end")
	require.Empty(t, rcv.requests())
	got := e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryPending, got.Status)
	require.Zero(t, got.Attempts)
}

func TestDirectCancelsWhenSubscriptionCannotReceive(t *testing.T) {
	t.Parallel()
	for status, reason := range map[store.SubscriptionStatus]string{
		store.SubscriptionPending: "subscription not confirmed",
		store.SubscriptionDeleted: "subscription deleted",
	} {
		t.Run(string(status), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rcv := newReceiver(t, 200)
			sub := e.subscribe(t, rcv.URL, status)
			x := e.newDirect(t, e.testConfig())

			d := e.publishDirect(t, x, sub, 1)[0]
			require.Eventually(t, func() bool { return e.delivery(t, d.ID).Status == store.DeliveryCancelled },
				10*time.Second, 5*time.Millisecond)
			settle(t, x)

			require.Empty(t, rcv.requests(), "receiver never called")
			got := e.delivery(t, d.ID)
			require.Equal(t, store.DeliveryCancelled, got.Status)
			require.Equal(t, reason, got.LastError)
			require.Zero(t, got.Attempts)
			require.Zero(t, e.jobCount(t, d.ID))
			require.False(t, e.held(t, d.ID), "the record lifted the hold")
		})
	}
}

func TestDirectCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	cfg := e.testConfig()
	cfg.DirectSends = 2
	x := e.newDirect(t, cfg)

	k, until := x.Reserve(5)
	require.Equal(t, 2, k, "no more than the capacity")
	require.WithinDuration(t, time.Now().Add(DefaultRequestTimeout+jobTimeoutMargin), until, time.Second,
		"held as long as the queue lets a job run")
	k, _ = x.Reserve(1)
	require.Zero(t, k, "all taken")
	x.Send(nil, 2) // the publish failed
	k, _ = x.Reserve(5)
	require.Equal(t, 2, k, "a failed publish gives its reservation back")

	// One held delivery for a reservation of two: the other is
	// given back at once, the first when its send is over.
	ds := e.createHeld(t, sub, until, 1)
	x.Send(ds, 2)
	require.Eventually(t, func() bool { return e.delivery(t, ds[0].ID).Status == store.DeliveryDelivered },
		10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		k, _ := x.Reserve(2)
		x.Send(nil, k)
		return k == 2
	}, 10*time.Second, 5*time.Millisecond)

	settle(t, x)
	k, until = x.Reserve(1)
	require.Zero(t, k, "stopped")
	require.True(t, until.IsZero())
	require.Len(t, rcv.requests(), 1)

	cfg.DirectSends = -1
	r, err := New(riversqlite.New(e.st.DB()), e.st, cfg)
	require.NoError(t, err)
	require.Nil(t, r.Direct(), "turned off")
	cfg.DirectSends = 0
	r, err = New(riversqlite.New(e.st.DB()), e.st, cfg)
	require.NoError(t, err)
	require.Equal(t, DefaultDirectSends, r.Direct().free, "on by default")
}

// awaitStarted waits for a blocking receiver's first request.
func awaitStarted(t *testing.T, started <-chan struct{}) {
	t.Helper()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("no request within 10s")
	}
}

func TestDirectStopWaitsForSendInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url, started, unblock, count := blockingReceiver(t)
	sub := e.subscribe(t, url, store.SubscriptionConfirmed)
	x := e.newDirect(t, e.testConfig())

	d := e.publishDirect(t, x, sub, 1)[0]
	awaitStarted(t, started)
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- x.Stop(ctx)
	}()
	require.Eventually(t, func() bool { return stopping(x) }, 10*time.Second, time.Millisecond)
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a send was in flight", err)
	default:
	}
	k, _ := x.Reserve(1)
	require.Zero(t, k, "no new sends while stopping")

	close(unblock)
	select {
	case err := <-stopped:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return within 10s of the send's end")
	}
	got := e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDelivered, got.Status, "recorded before Stop returned")
	require.Equal(t, 1, got.Attempts)
	require.Zero(t, e.jobCount(t, d.ID))
	require.False(t, e.held(t, d.ID))
	require.Equal(t, 1, count())
}

func TestDirectStopBoundReleasesToQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url, started, _, count := blockingReceiver(t) // never unblocked: answers only when the sender gives up
	sub := e.subscribe(t, url, store.SubscriptionConfirmed)
	x := e.newDirect(t, e.testConfig())

	d := e.publishDirect(t, x, sub, 1)[0]
	awaitStarted(t, started)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, x.Stop(ctx), context.DeadlineExceeded)
	require.Less(t, time.Since(start), hardStopGrace, "the send in flight is cut short")

	got := e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryPending, got.Status)
	require.Zero(t, got.Attempts, "an interrupted send is not an attempt")
	attempts, err := e.st.DeliveryAttemptList(e.ctx, d.ID)
	require.NoError(t, err)
	require.Empty(t, attempts)
	jobs := e.jobsOf(t, d.ID)
	require.Len(t, jobs, 1)
	require.False(t, e.held(t, d.ID))
	require.Equal(t, "available", jobs[0].state, "released to the queue")
	require.LessOrEqual(t, jobs[0].scheduledAt, time.Now().Add(time.Second), "due at once")
	require.Equal(t, 1, count())
}

func TestDirectCrashedBeforeSendQueueDelivers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	// The publish committed, and the process died before its direct send.
	d := e.createHeld(t, sub, time.Now().Add(DefaultRequestTimeout+jobTimeoutMargin), 1)[0]
	require.NoError(t, e.st.ReleaseOrphanedJobs(e.ctx), "as the SQLite backend does at start-up")
	e.start(t, e.testConfig())

	e.await(t, river.EventKindJobCompleted)
	got := rcv.requests()
	require.Len(t, got, 1)
	require.Equal(t, notificationBody, got[0].body)
	requireSNSHeaders(t, got[0].header, sns.TypeNotification, subARN)
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDelivered, d.Status)
	require.Equal(t, 1, d.Attempts)
	jobs := e.jobsOf(t, d.ID)
	require.Len(t, jobs, 1)
	require.Equal(t, "completed", jobs[0].state)
}

// TestDirectEndedHoldQueueDelivers: a delivery whose hold ended with
// nobody recording its direct send (its node died; on PostgreSQL the
// others go on) is handed to the queue by the periodic release, without a
// restart of this node's store.
func TestDirectEndedHoldQueueDelivers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	ended := e.createHeld(t, sub, time.Now().Add(-time.Second), 1)[0]
	later := e.createHeld(t, sub, time.Now().Add(time.Hour), 1)[0]
	e.start(t, e.testConfig())

	require.Eventually(t, func() bool { return e.delivery(t, ended.ID).Status == store.DeliveryDelivered },
		10*time.Second, 10*time.Millisecond)
	require.Len(t, rcv.requests(), 1)
	require.False(t, e.held(t, ended.ID))
	require.True(t, e.held(t, later.ID), "a hold that has not ended stays")
	require.Zero(t, e.jobCount(t, later.ID))
}

func TestDirectFailureRetriedByQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, http.StatusServiceUnavailable, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	e.start(t, e.testConfig())
	x := e.runner.Direct()
	require.NotNil(t, x)

	d := e.publishDirect(t, x, sub, 1)[0]
	// The retry is inserted scheduled: River's scheduler, every 5 s, makes
	// it available, hence a longer wait than e.await's.
	var ev *river.Event
	timeout := time.After(10 * time.Second)
	for ev == nil {
		select {
		case got := <-e.events:
			if got.Kind == river.EventKindJobCompleted && got.Job.Kind == (jobs.Deliver{}).Kind() {
				ev = got
			}
		case <-timeout:
			t.Fatal("no completed delivery job within 10s")
		}
	}
	got := rcv.requests()
	require.Len(t, got, 2, "the direct attempt and the queue's retry")
	for _, r := range got {
		require.Equal(t, notificationBody, r.body)
		requireSNSHeaders(t, r.header, sns.TypeNotification, subARN)
	}
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDelivered, d.Status)
	require.Equal(t, 2, d.Attempts)
	attempts, err := e.st.DeliveryAttemptList(e.ctx, d.ID)
	require.NoError(t, err)
	require.Len(t, attempts, 2)
	require.Equal(t, 503, attempts[0].StatusCode)
	require.Equal(t, 200, attempts[1].StatusCode)
	left := e.jobsOf(t, d.ID)
	require.Len(t, left, 1, "only the retry's job")
	require.Equal(t, ev.Job.ID, left[0].id)
}

// busyGate refuses every slot, asking to look again after wait.
type busyGate struct{ wait time.Duration }

func (g busyGate) Acquire(context.Context, int64, int64, int, int) (func(time.Duration), time.Duration, bool, error) {
	return nil, g.wait, false, nil
}

func TestDirectBusyGateGoesToQueue(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	cfg := e.testConfig()
	cfg.Gate = busyGate{wait: 2 * directGateWait}
	x := e.newDirect(t, cfg)

	d := e.publishDirect(t, x, sub, 1)[0]
	start := time.Now()
	require.Eventually(t, func() bool { return e.jobCount(t, d.ID) == 1 }, 10*time.Second, 5*time.Millisecond,
		"released to the queue")
	require.False(t, e.held(t, d.ID))
	require.Less(t, time.Since(start), directGateWait, "without waiting for a slot that comes too late")
	settle(t, x)
	jobs := e.jobsOf(t, d.ID)
	require.WithinDuration(t, start.Add(2*directGateWait), jobs[0].scheduledAt, time.Second,
		"due when the gate said, as the queue's worker would have snoozed it")

	require.Empty(t, rcv.requests())
	got := e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryPending, got.Status)
	require.Zero(t, got.Attempts)
}

// TestDirectObserved checks what Config.OnDirect is told: deliveries
// offered without room, sent directly, and released to the queue.
func TestDirectObserved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	var mu sync.Mutex
	seen := map[string]int{}
	cfg := e.testConfig()
	cfg.DirectSends = 2
	cfg.OnDirect = func(result string, n int) {
		mu.Lock()
		defer mu.Unlock()
		seen[result] += n
	}
	x := e.newDirect(t, cfg)

	k, until := x.Reserve(3)
	require.Equal(t, 2, k)
	x.Send(e.createHeld(t, sub, until, 1), k)
	require.Eventually(t, func() bool { return len(rcv.requests()) == 1 }, 10*time.Second, 5*time.Millisecond)

	_, err := e.st.SubscriptionSetPaused(e.ctx, sub.ID, true)
	require.NoError(t, err)
	e.publishDirect(t, x, sub, 1)
	settle(t, x)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, map[string]int{DirectNoRoom: 1, DirectSent: 1, DirectReleased: 1}, seen)
}
