package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

func deliverJob(deliveryID int64) *river.Job[jobs.Deliver] {
	return &river.Job[jobs.Deliver]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1}, Args: jobs.Deliver{DeliveryID: deliveryID}}
}

func (e *env) worker(policy webhookurl.Policy, plan Planner) *Worker {
	return NewWorker(e.st, NewSender(policy, time.Second), WorkerConfig{
		Planner: plan, Gate: NewLocalGate(), MaxInFlight: DefaultMaxInFlight, Logger: e.logger(),
	})
}

// snoozedFor returns the snooze a Work error asks for, failing if it is not one.
func snoozedFor(t *testing.T, err error) time.Duration {
	t.Helper()
	var s *rivertype.JobSnoozeError
	require.ErrorAs(t, err, &s)
	return s.Duration
}

func TestWorkerMissingDeliveryIsNothingToDo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.NoError(t, e.worker(allowLocal, fixedPlan{}).Work(e.ctx, deliverJob(999)))
	require.Contains(t, e.logs.String(), "delivery not found")
}

func TestWorkerRerunOfFinishedDeliverySendsNothing(t *testing.T) {
	t.Parallel()
	for _, status := range []store.DeliveryStatus{store.DeliveryDelivered, store.DeliveryCancelled, store.DeliveryDead} {
		e := newEnv(t)
		rcv := newReceiver(t, 200)
		d := e.enqueue(t, e.subscribe(t, rcv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)
		err := e.st.DeliveryRecordAttempt(e.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: status, At: time.Now()})
		require.NoError(t, err)
		require.NoError(t, e.worker(allowLocal, fixedPlan{}).Work(e.ctx, deliverJob(d.ID)))
		require.Empty(t, rcv.requests(), status)
	}
}

func TestWorkerRetryFollowsPlanAndRetryAfter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(statusHandler(http.StatusServiceUnavailable, "Retry-After", "30"))
	t.Cleanup(srv.Close)
	d := e.enqueue(t, e.subscribe(t, srv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)

	wait := snoozedFor(t, e.worker(allowLocal, fixedPlan{Retries: 3, Delay: 2 * time.Second}).Work(e.ctx, deliverJob(d.ID)))
	require.Equal(t, 30*time.Second, wait, "Retry-After beats a shorter policy delay")
	wait = snoozedFor(t, e.worker(allowLocal, fixedPlan{Retries: 3, Delay: 100 * time.Second}).Work(e.ctx, deliverJob(d.ID)))
	require.InDelta(t, 100, wait.Seconds(), 10, "the policy's delay, ±10% jitter, beats a shorter Retry-After")
	d = e.delivery(t, d.ID)
	require.Equal(t, 2, d.Attempts)
	require.Equal(t, "HTTP 503", d.LastError)
	require.Equal(t, store.DeliveryPending, d.Status)
}

func TestWorkerForbiddenAddressIsDeadLetter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	d := e.enqueue(t, e.subscribe(t, rcv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)

	require.NoError(t, e.worker(webhookurl.Policy{}, fixedPlan{Retries: 3}).Work(e.ctx, deliverJob(d.ID)))
	require.Empty(t, rcv.requests())
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDead, d.Status)
	require.Equal(t, "address forbidden: 127.0.0.1 is a loopback address", d.LastError)
}

func TestWorkerPausedSubscriptionWaits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	_, err := e.st.SubscriptionSetPaused(e.ctx, sub.ID, true)
	require.NoError(t, err)

	w := e.worker(allowLocal, fixedPlan{})
	worked := 0
	w.cfg.OnWork = func() { worked++ }
	wait := snoozedFor(t, w.Work(e.ctx, deliverJob(d.ID)))
	require.InDelta(t, PauseRecheck.Seconds(), wait.Seconds(), 1)
	require.Empty(t, rcv.requests())
	require.Zero(t, e.delivery(t, d.ID).Attempts)
	require.Zero(t, worked, "a paused recheck does not keep the queue busy")

	_, err = e.st.SubscriptionSetPaused(e.ctx, sub.ID, false)
	require.NoError(t, err)
	require.NoError(t, w.Work(e.ctx, deliverJob(d.ID)))
	require.Equal(t, 1, worked)
	require.Len(t, rcv.requests(), 1)
}

func TestWorkerInterruptedAttemptIsNotRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	rcv.delay = 5 * time.Second
	d := e.enqueue(t, e.subscribe(t, rcv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)

	ctx, cancel := context.WithCancel(e.ctx)
	go func() { <-rcv.started; cancel() }()
	err := e.worker(allowLocal, fixedPlan{Retries: 1}).Work(ctx, deliverJob(d.ID))
	require.Zero(t, snoozedFor(t, err), "free again at once")
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryPending, d.Status)
	require.Zero(t, d.Attempts)
}

func TestSkipReason(t *testing.T) {
	t.Parallel()
	types := []string{sns.TypeNotification, sns.TypeSubscriptionConfirmation, sns.TypeUnsubscribeConfirmation}
	want := map[store.SubscriptionStatus][3]string{
		store.SubscriptionPending:   {"subscription not confirmed", "", ""},
		store.SubscriptionConfirmed: {"", "", ""},
		store.SubscriptionDeleted:   {"subscription deleted", "subscription deleted", ""},
	}
	for status, reasons := range want {
		for i, typ := range types {
			got := skipReason(&store.Delivery{MessageType: typ}, &store.Subscription{Status: status})
			require.Equal(t, reasons[i], got, "%s to %s", typ, status)
		}
	}
	require.Equal(t, "subscription not found", skipReason(&store.Delivery{}, nil))
}

func TestDecide(t *testing.T) {
	t.Parallel()
	plan := fixedPlan{Retries: 2, Delay: time.Minute}.Plan(nil)
	for name, tc := range map[string]struct {
		n      int
		o      Outcome
		status store.DeliveryStatus
		reason string
	}{
		"delivered":         {1, Outcome{Class: Delivered}, store.DeliveryDelivered, ""},
		"retry":             {1, Outcome{Class: Retry, Err: "HTTP 500"}, store.DeliveryPending, "HTTP 500"},
		"last retry":        {2, Outcome{Class: Retry, Err: "HTTP 500"}, store.DeliveryPending, "HTTP 500"},
		"exhausted":         {3, Outcome{Class: Retry, Err: "HTTP 500"}, store.DeliveryDead, "retries exhausted after 3 attempt(s); last: HTTP 500"},
		"fail is dead":      {1, Outcome{Class: Fail, Err: "HTTP 404"}, store.DeliveryDead, "HTTP 404"},
		"forbidden is dead": {1, Outcome{Class: Forbidden, Err: "address forbidden"}, store.DeliveryDead, "address forbidden"},
	} {
		t.Run(name, func(t *testing.T) {
			status, _, reason := decide(tc.n, plan, tc.o)
			require.Equal(t, tc.status, status)
			require.Equal(t, tc.reason, reason)
		})
	}
}
