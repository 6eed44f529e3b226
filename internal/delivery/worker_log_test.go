package delivery

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// TestWorkerLogsAttemptsAndDeadLetter: each attempt has a line (a retry at
// info, the last at warn as the dead letter, with the URL's query
// redacted and the reason); a delivered attempt logs at debug.
func TestWorkerLogsAttemptsAndDeadLetter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := httptest.NewServer(statusHandler(http.StatusServiceUnavailable))
	t.Cleanup(srv.Close)
	sub := e.subscribe(t, srv.URL+"/hook?token=s3cret", store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	w := e.worker(allowLocal, fixedPlan{Retries: 1})

	_ = w.Work(e.ctx, deliverJob(d.ID))
	require.NoError(t, w.Work(e.ctx, deliverJob(d.ID)))
	logs := e.logs.String()
	require.Regexp(t, `level=INFO msg="delivery: failed, will retry" delivery_id=\d+ attempt=1 subscription_arn=\S+ host=127.0.0.1:\d+ outcome=retry status=503 duration=\S+ error="HTTP 503" next_in=`, logs)
	require.Regexp(t, `level=WARN msg="delivery: moved to dead letters" delivery_id=\d+ attempt=2 subscription_arn=`+sub.ARN+` .* url=`+srv.URL+`/hook\?… reason="retries exhausted after 2 attempt\(s\); last: HTTP 503"`, logs)
	require.NotContains(t, logs, "s3cret")

	ok := httptest.NewServer(statusHandler(http.StatusOK))
	t.Cleanup(ok.Close)
	e = newEnv(t)
	d = e.enqueue(t, e.subscribe(t, ok.URL, store.SubscriptionConfirmed), sns.TypeNotification, notificationBody)
	require.NoError(t, e.worker(allowLocal, fixedPlan{}).Work(e.ctx, deliverJob(d.ID)))
	require.Regexp(t, `level=DEBUG msg="delivery: delivered" delivery_id=\d+ attempt=1 .* outcome=delivered status=200 duration=`, e.logs.String())
}
