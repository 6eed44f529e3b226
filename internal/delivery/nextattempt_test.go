package delivery

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// nextAttempt is the delivery's next attempt time as the admin views see it.
func (e *env) nextAttempt(t *testing.T, id int64) *time.Time {
	t.Helper()
	d, err := e.st.DeliveryDetail(e.ctx, id)
	require.NoError(t, err)
	return d.NextAttemptAt
}

// TestNextAttemptOfQueuedRetryIsItsSnooze: a queue worker's retry records
// the time its snooze makes the job due.
func TestNextAttemptOfQueuedRetryIsItsSnooze(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(statusHandler(http.StatusServiceUnavailable))
	t.Cleanup(srv.Close)
	d := e.enqueue(t, e.subscribe(t, srv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)
	require.NotNil(t, e.nextAttempt(t, d.ID), "a new delivery is due")

	before := time.Now()
	wait := snoozedFor(t, e.worker(allowLocal, fixedPlan{Retries: 3, Delay: 100 * time.Second}).Work(e.ctx, deliverJob(d.ID)))
	after := time.Now()
	next := e.nextAttempt(t, d.ID)
	require.NotNil(t, next)
	require.False(t, next.Before(before.Add(wait).Truncate(time.Microsecond)), "next %s, wait %s", next, wait)
	require.False(t, next.After(after.Add(wait)), "next %s, wait %s", next, wait)
}

// TestNextAttemptOfDirectRetryIsItsJob: a direct send's retry records the
// time its queue job is scheduled for.
func TestNextAttemptOfDirectRetryIsItsJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	cfg := e.testConfig()
	cfg.Planner = fixedPlan{Retries: 3, Delay: time.Hour}
	x := e.newDirect(t, cfg)

	d := e.publishDirect(t, x, sub, 1)[0]
	require.Eventually(t, func() bool { return e.delivery(t, d.ID).Attempts == 1 }, 10*time.Second, 5*time.Millisecond)
	settle(t, x)
	jobs := e.jobsOf(t, d.ID)
	require.Len(t, jobs, 1)
	next := e.nextAttempt(t, d.ID)
	require.NotNil(t, next)
	require.WithinDuration(t, jobs[0].scheduledAt, *next, time.Millisecond, "the view's time is the job's")
}
