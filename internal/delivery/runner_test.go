package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

func TestRunnerDeliversNotificationOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	sub := e.subscribe(t, rcv.URL+"/hook?token=s3cr3t", store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	e.start(t, e.testConfig())

	e.await(t, river.EventKindJobCompleted)
	got := rcv.requests()
	require.Len(t, got, 1)
	require.Equal(t, notificationBody, got[0].body)
	requireSNSHeaders(t, got[0].header, sns.TypeNotification, subARN)

	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDelivered, d.Status)
	require.Equal(t, 1, d.Attempts)
	require.Empty(t, d.LastError)
	require.NotNil(t, d.CompletedAt)

	logs := e.logs.String()
	require.Contains(t, logs, "delivery_id=1")
	require.Contains(t, logs, "subscription_arn="+subARN)
	require.NotContains(t, logs, "s3cr3t", "the URL's query is never logged")
}

func TestRunnerRetriesUntilDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 500, 500, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	e.start(t, e.testConfig())

	e.await(t, river.EventKindJobCompleted)
	got := rcv.requests()
	require.Len(t, got, 3)
	for _, r := range got {
		require.Equal(t, notificationBody, r.body, "same bytes every time")
		requireSNSHeaders(t, r.header, sns.TypeNotification, subARN)
	}
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDelivered, d.Status)
	require.Equal(t, 3, d.Attempts)
}

func TestRunnerDoesNotRetryClientError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 404, 200)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	e.start(t, e.testConfig())

	e.await(t, river.EventKindJobCompleted)
	time.Sleep(100 * time.Millisecond) // several retry periods of the test policy
	require.Len(t, rcv.requests(), 1)
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDead, d.Status, "a 404 goes straight to the dead letters")
	require.NotNil(t, d.DeadAt)
	require.Equal(t, 1, d.Attempts)
	require.Equal(t, "HTTP 404", d.LastError)
}

func TestRunnerDeadLettersWhenPolicyIsSpent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 503)
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	cfg := e.testConfig()
	cfg.Planner = fixedPlan{Retries: 2, Delay: 10 * time.Millisecond}
	e.start(t, cfg)

	e.await(t, river.EventKindJobCompleted)
	require.Len(t, rcv.requests(), 3, "the first attempt and 2 retries")
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDead, d.Status)
	require.Equal(t, 3, d.Attempts)
	require.Equal(t, "retries exhausted after 3 attempt(s); last: HTTP 503", d.LastError)

	attempts, err := e.st.DeliveryAttemptList(e.ctx, d.ID)
	require.NoError(t, err)
	require.Len(t, attempts, 3)
	for i, a := range attempts {
		require.Equal(t, i+1, a.Number)
		require.Equal(t, 503, a.StatusCode)
		require.Equal(t, "retry", a.Outcome)
		require.Equal(t, "HTTP 503", a.Error)
	}
}

func TestRunnerMessageTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		status    store.SubscriptionStatus
		typ       string
		sent      bool
		subHeader string // expected x-amz-sns-subscription-arn
	}{
		{"NotificationToDeletedIsCancelled", store.SubscriptionDeleted, sns.TypeNotification, false, ""},
		{"NotificationToPendingIsCancelled", store.SubscriptionPending, sns.TypeNotification, false, ""},
		{"SubscriptionConfirmationToDeletedIsCancelled", store.SubscriptionDeleted, sns.TypeSubscriptionConfirmation, false, ""},
		{"SubscriptionConfirmationHasNoSubscriptionArn", store.SubscriptionPending, sns.TypeSubscriptionConfirmation, true, ""},
		{"UnsubscribeConfirmationToDeletedIsSent", store.SubscriptionDeleted, sns.TypeUnsubscribeConfirmation, true, subARN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			rcv := newReceiver(t, 200)
			sub := e.subscribe(t, rcv.URL, tt.status)
			d := e.enqueue(t, sub, tt.typ, []byte(`{"Type":"`+tt.typ+`"}`))
			e.start(t, e.testConfig())

			e.await(t, river.EventKindJobCompleted)
			d = e.delivery(t, d.ID)
			got := rcv.requests()
			if !tt.sent {
				require.Empty(t, got, "receiver never called")
				require.Equal(t, store.DeliveryCancelled, d.Status)
				return
			}
			require.Len(t, got, 1)
			requireSNSHeaders(t, got[0].header, tt.typ, tt.subHeader)
			require.Equal(t, tt.subHeader != "", len(got[0].header.Values(sns.HeaderSubscriptionArn)) == 1)
			require.Equal(t, store.DeliveryDelivered, d.Status)
		})
	}
}

func TestRunnerStopLetsInFlightFinish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	rcv.delay = 300 * time.Millisecond
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	e.start(t, e.testConfig())

	<-rcv.started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, e.runner.Stop(ctx))
	require.Less(t, time.Since(start), 5*time.Second)
	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryDelivered, d.Status)
	require.Equal(t, 1, d.Attempts)
}

func TestRunnerStopBoundCancelsAndRequeues(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rcv := newReceiver(t, 200)
	rcv.delay = 3 * time.Second
	sub := e.subscribe(t, rcv.URL, store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	e.start(t, e.testConfig())

	<-rcv.started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, e.runner.Stop(ctx), context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second, "in-flight requests are cancelled")

	d = e.delivery(t, d.ID)
	require.Equal(t, store.DeliveryPending, d.Status)
	require.Zero(t, d.Attempts, "an interrupted attempt is not counted")
	// Only the deliveries queue: the retention job (maintenance queue,
	// run on start) may or may not have been inserted by now.
	res, err := e.runner.Client().JobList(e.ctx, river.NewJobListParams().Queues(jobs.QueueDeliveries))
	require.NoError(t, err)
	require.Len(t, res.Jobs, 1)
	require.Equal(t, rivertype.JobStateAvailable, res.Jobs[0].State, "requeued for the next start")
}

func TestConfigDefaultsAndValidate(t *testing.T) {
	t.Parallel()
	c := Config{}.WithDefaults()
	require.Equal(t, DefaultMaxWorkers, c.MaxWorkers)
	require.Equal(t, DefaultRequestTimeout, c.RequestTimeout)
	require.Equal(t, DefaultMaxInFlight, c.MaxInFlight)
	require.Equal(t, DefaultRetention, c.Retention)
	require.Equal(t, DefaultFetchPollInterval, c.FetchPollInterval)
	require.Equal(t, DefaultFetchCooldown, c.FetchCooldown)
	require.Equal(t, DefaultBusyWindow, c.BusyWindow)
	require.Equal(t, DefaultIdlePollInterval, c.IdlePollInterval)
	require.NotNil(t, c.Gate)
	require.NotNil(t, c.Logger)
	require.NotNil(t, c.Poster)
	require.ErrorContains(t, c.Validate(), "Planner")
	c.Planner = fixedPlan{}
	require.NoError(t, c.Validate())

	bad := c
	bad.MaxWorkers = 20_000
	require.ErrorContains(t, bad.Validate(), "MaxWorkers")
	bad = c
	bad.FetchCooldown = time.Second
	require.ErrorContains(t, bad.Validate(), "FetchPollInterval")
	bad = c
	bad.IdlePollInterval = time.Millisecond
	require.ErrorContains(t, bad.Validate(), "IdlePollInterval")
}
