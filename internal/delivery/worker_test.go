package delivery

import (
	"context"
	"errors"
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

func deliverJob(jobID, deliveryID int64, attempt int) *river.Job[jobs.Deliver] {
	return &river.Job[jobs.Deliver]{
		JobRow: &rivertype.JobRow{ID: jobID, Attempt: attempt, MaxAttempts: DefaultMaxAttempts},
		Args:   jobs.Deliver{DeliveryID: deliveryID},
	}
}

func (e *env) worker(policy webhookurl.Policy, retry RetryPolicy) *Worker {
	return NewWorker(e.st, NewSender(policy, time.Second), WorkerConfig{Retry: retry, Logger: e.logger()})
}

func isJobCancel(err error) bool {
	var c *rivertype.JobCancelError
	return errors.As(err, &c)
}

func TestWorkerMissingDeliveryIsNothingToDo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.NoError(t, e.worker(allowLocal, nil).Work(e.ctx, deliverJob(1, 999, 1)))
	require.Contains(t, e.logs.String(), "delivery not found")
}

func TestWorkerRerunOfFinishedDeliverySendsNothing(t *testing.T) {
	t.Parallel()
	for _, status := range []store.DeliveryStatus{store.DeliveryDelivered, store.DeliveryCancelled} {
		e := newEnv(t)
		rcv := newReceiver(t, 200)
		d := e.enqueue(t, e.subscribe(t, rcv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)
		_, err := e.st.DeliveryRecordAttempt(e.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: status, At: time.Now()})
		require.NoError(t, err)

		require.NoError(t, e.worker(allowLocal, nil).Work(e.ctx, deliverJob(1, d.ID, 2)))
		require.Empty(t, rcv.requests(), status)
		require.Equal(t, 1, e.delivery(t, d.ID).Attempts)
	}
}

func TestWorkerPassesRetryAfterToPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(statusHandler(http.StatusServiceUnavailable, "Retry-After", "30"))
	t.Cleanup(srv.Close)
	d := e.enqueue(t, e.subscribe(t, srv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)
	policy := fixedPolicy(0.5)

	job := deliverJob(77, d.ID, 1)
	err := e.worker(allowLocal, policy).Work(e.ctx, job)
	require.EqualError(t, err, "delivery 1: HTTP 503")
	require.False(t, isJobCancel(err), "retried")
	require.Equal(t, 30*time.Second, policy.NextRetry(job.JobRow).Sub(epoch))
	require.Equal(t, "HTTP 503", e.delivery(t, d.ID).LastError)
}

func TestWorkerLastAttemptLeavesItToRiver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(statusHandler(http.StatusServiceUnavailable, "Retry-After", "30"))
	t.Cleanup(srv.Close)
	d := e.enqueue(t, e.subscribe(t, srv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)
	policy := fixedPolicy(0.5)

	err := e.worker(allowLocal, policy).Work(e.ctx, deliverJob(5, d.ID, DefaultMaxAttempts))
	require.Error(t, err)
	require.False(t, isJobCancel(err), "River discards it at its MaxAttempts")
	require.Empty(t, policy.hints, "no hint for a job that will not run again")
	require.Contains(t, e.logs.String(), "attempts exhausted")
}

func TestWorkerForbiddenAddressStops(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	d := e.enqueue(t, e.subscribe(t, rcv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)

	err := e.worker(webhookurl.Policy{}, nil).Work(e.ctx, deliverJob(1, d.ID, 1))
	require.True(t, isJobCancel(err))
	require.Empty(t, rcv.requests())
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryPending, d.Status)
	require.Equal(t, "address forbidden: 127.0.0.1 is a loopback address", d.LastError)
}

func TestWorkerInterruptedAttemptIsNotRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	rcv.delay = 5 * time.Second
	d := e.enqueue(t, e.subscribe(t, rcv.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)

	ctx, cancel := context.WithCancel(e.ctx)
	go func() { <-rcv.started; cancel() }()
	err := e.worker(allowLocal, nil).Work(ctx, deliverJob(1, d.ID, 1))
	require.ErrorIs(t, err, context.Canceled)
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
