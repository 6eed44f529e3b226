package delivery

import (
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// byOperator is the reason the operator's cancels give.
const byOperator = "subscription deleted by the operator"

func TestWorkerDeliveryCancelledInFlightIsNotRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	rcv.delay = 300 * time.Millisecond
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	done := make(chan error, 1)
	go func() {
		done <- e.worker(allowLocal, fixedPlan{Retries: 5, Delay: time.Hour}).Work(e.ctx, deliverJob(d.ID))
	}()
	<-rcv.started
	_, n, err := e.st.SubscriptionDelete(e.ctx, sub.ID, byOperator, time.Now())
	require.NoError(t, err)
	require.Equal(t, 1, n)

	require.NoError(t, <-done, "no snooze: the job is done")
	got := e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryCancelled, got.Status, "the 503 did not make it pending again")
	require.Equal(t, byOperator, got.LastError)
	require.Equal(t, 1, got.Attempts, "the attempt that went out is counted")
	require.Contains(t, e.logs.String(), "cancelled while its attempt was in flight")

	require.NoError(t, e.worker(allowLocal, fixedPlan{}).Work(e.ctx, deliverJob(d.ID)), "a later run does nothing")
	require.Len(t, rcv.requests(), 1)
}

func TestDirectSendCancelledInFlightStaysCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url, started, unblock, count := blockingReceiver(t)
	sub := e.subscribe(t, url, store.SubscriptionConfirmed)
	x := e.newDirect(t, e.testConfig())
	d := e.publishDirect(t, x, sub, 1)[0]
	awaitStarted(t, started)
	_, n, err := e.st.SubscriptionDelete(e.ctx, sub.ID, byOperator, time.Now())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.False(t, e.held(t, d.ID), "the cancel lifted the hold: it never ends into the queue")
	close(unblock)
	settle(t, x)

	got := e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryCancelled, got.Status, "the 200 that came back does not revive it")
	require.Equal(t, 1, got.Attempts)
	require.Zero(t, e.jobCount(t, d.ID), "no job: nothing is retried")
	require.Equal(t, 1, count())
}

func TestConfirmationHasItsOwnRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, http.StatusInternalServerError)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	cfg := e.testConfig() // notifications: 5 retries 10 ms apart
	cfg.ConfirmationRetry = func(n int) (time.Duration, bool) { return 10 * time.Millisecond, n <= 2 }
	e.start(t, cfg)
	conf := e.enqueue(t, sub, sns.TypeSubscriptionConfirmation, []byte(`{"Type":"SubscriptionConfirmation"}`))
	e.await(t, river.EventKindJobCompleted)
	note := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	e.await(t, river.EventKindJobCompleted)

	c := e.delivery(t, conf.ID)
	require.Equal(t, store.DeliveryDead, c.Status, "what the confirmation policy gives up on is a dead letter")
	require.Equal(t, 3, c.Attempts, "the first attempt and the confirmation policy's 2 retries")
	require.Contains(t, c.LastError, "retries exhausted after 3 attempt(s)")
	n := e.delivery(t, note.ID)
	require.Equal(t, store.DeliveryDead, n.Status)
	require.Equal(t, 6, n.Attempts, "a notification keeps the subscription's policy: 5 retries")
}

func TestConfirmationRetryDefaultsToSNS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.worker(allowLocal, fixedPlan{Retries: 40, Delay: time.Hour, Rate: 7})
	sub := e.subscribe(t, "http://127.0.0.1:1/", store.SubscriptionPending)
	for _, typ := range []string{sns.TypeSubscriptionConfirmation, sns.TypeUnsubscribeConfirmation} {
		p := w.plan(&store.Delivery{MessageType: typ}, sub)
		require.Equal(t, 7, p.MaxReceivesPerSecond, "the subscription's throttle still applies")
		for n := 1; n <= 3; n++ {
			delay, ok := p.RetryDelay(n)
			require.True(t, ok, "%s retry %d", typ, n)
			require.Equal(t, 20*time.Second, delay)
		}
		_, ok := p.RetryDelay(4)
		require.False(t, ok, "%s: SNS's 3 retries, then the dead letters", typ)
	}
	delay, ok := w.plan(&store.Delivery{MessageType: sns.TypeNotification}, sub).RetryDelay(40)
	require.True(t, ok)
	require.Equal(t, time.Hour, delay, "a notification follows the subscription's plan")
}
