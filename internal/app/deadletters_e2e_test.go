package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// routeReceiver answers 404 to Notifications until fixed, confirming
// subscriptions meanwhile; it records the MessageIds it accepted.
type routeReceiver struct {
	srv   *httptest.Server
	fixed atomic.Bool
	mu    sync.Mutex
	ids   []string
}

func newRouteReceiver(t *testing.T) *routeReceiver {
	r := &routeReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		m, err := receiver.ParseSNSMessage(body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		if m.Type == receiver.SNSTypeSubscriptionConfirmation {
			_, _ = httpGet(m.SubscribeURL)
			return
		}
		if !r.fixed.Load() {
			http.NotFound(w, req)
			return
		}
		r.mu.Lock()
		r.ids = append(r.ids, m.MessageId)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *routeReceiver) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

type deliveryList struct {
	Deliveries []struct {
		ID        int64
		MessageID string
		Status    string
		LastError string
		Attempts  int
	}
}

func TestDeadLettersAndRedrive(t *testing.T) {
	srv := notifyServer(t, "1")
	acct, key := newAccountKey(t, srv)
	rcv := newRouteReceiver(t)
	_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(),
		ivvyclient.Endpoints{Companies: rcv.srv.URL + "/hook"})
	require.NoError(t, err)
	var subs SubscriptionsOut
	require.Eventually(t, func() bool {
		adminCall(t, srv, "GET", "/v1/accounts/"+acct+"/subscriptions", "", &subs)
		return len(subs.Topics) == 1 && subs.Topics[0].Subscriptions[0].Status == "Confirmed"
	}, 10*time.Second, 20*time.Millisecond)
	subARN := subs.Topics[0].Subscriptions[0].ARN

	for i := range 3 {
		publish(t, srv, acct, "CompanyAdded", []byte(`{"data":{"id":`+strconv.Itoa(i)+`}}`))
	}
	var dead deliveryList
	require.Eventually(t, func() bool {
		adminCall(t, srv, "GET", "/v1/deadletters?subscription="+subARN, "", &dead)
		return len(dead.Deliveries) == 3
	}, 10*time.Second, 20*time.Millisecond, "a 404 is a dead letter at once")
	for _, d := range dead.Deliveries {
		require.Equal(t, "dead", d.Status)
		require.Equal(t, "HTTP 404", d.LastError)
		require.Equal(t, 1, d.Attempts, "not retried")
	}

	var one struct {
		Body       string
		AttemptLog []struct {
			StatusCode      int
			Outcome         string
			ResponseExcerpt string
		}
	}
	require.Equal(t, 200, adminCall(t, srv, "GET", "/v1/deadletters/"+itoa(dead.Deliveries[0].ID), "", &one))
	require.Contains(t, one.Body, `"Type" : "Notification"`)
	require.Len(t, one.AttemptLog, 1)
	require.Equal(t, 404, one.AttemptLog[0].StatusCode)
	require.Equal(t, "fail", one.AttemptLog[0].Outcome)
	require.Contains(t, one.AttemptLog[0].ResponseExcerpt, "404 page not found")

	rcv.fixed.Store(true)
	var out struct {
		Redriven []struct{ DeadLetter, Delivery int64 }
	}
	require.Equal(t, 202, adminCall(t, srv, "POST", "/v1/deadletters/"+itoa(dead.Deliveries[0].ID)+"/redrive", "", &out))
	require.Len(t, out.Redriven, 1)
	require.Equal(t, 202, adminCall(t, srv, "POST", "/v1/deadletters/redrive", `{"subscription":"`+subARN+`"}`, &out))
	require.Len(t, out.Redriven, 2, "the other two")
	require.Equal(t, 409, adminCallRaw(t, srv, "POST", "/v1/deadletters/"+itoa(dead.Deliveries[0].ID)+"/redrive", "", &map[string]any{}))

	require.Eventually(t, func() bool { return len(rcv.received()) == 3 }, 10*time.Second, 20*time.Millisecond)
	got := map[string]bool{}
	for _, id := range rcv.received() {
		got[id] = true
	}
	for _, d := range dead.Deliveries {
		require.True(t, got[d.MessageID], "redrive re-sends the same MessageId %s", d.MessageID)
	}
	adminCall(t, srv, "GET", "/v1/deadletters", "", &dead)
	require.Empty(t, dead.Deliveries)

	t.Run("Metrics", func(t *testing.T) {
		// The receiver sees a message before the server records the
		// attempt: wait for the last one to be counted. The queue's
		// gauges are read from the store while the scrape gathers, so one
		// scrape can count the attempt and still see its delivery
		// pending: wait for both.
		var m string
		require.Eventually(t, func() bool {
			body, err := httpGet(srv.AdminURL() + "/metrics")
			m = string(body)
			return err == nil && strings.Contains(m, `ivvy_notify_delivery_attempts_total{outcome="delivered",result="delivered"} 4`) &&
				strings.Contains(m, "ivvy_notify_deliveries_pending 0")
		}, 5*time.Second, 20*time.Millisecond)
		for _, want := range []string{
			"ivvy_notify_events_published_total 3",
			`ivvy_notify_delivery_attempts_total{outcome="fail",result="dead"} 3`,
			`ivvy_notify_delivery_attempts_total{outcome="delivered",result="delivered"} 4`,
			`ivvy_notify_direct_sends_total{result="sent"} 3`, // the published events' first attempts; the redrives are queued
			"ivvy_notify_dead_letters 0",
			"ivvy_notify_deliveries_pending 0",
			"ivvy_notify_oldest_pending_delivery_age_seconds 0",
			"ivvy_notify_delivery_attempt_duration_seconds_bucket",
		} {
			require.Contains(t, m, want)
		}
		require.NotContains(t, m, rcv.srv.URL, "no URL labels")
	})
}

func TestPauseAndResume(t *testing.T) {
	s := newSubscribed(t)
	arn := s.subscriptions(t)[0]["arn"].(string)
	var view map[string]any
	require.Equal(t, 200, adminCall(t, s.srv, "POST", "/v1/subscriptions/"+arn+"/pause", "", &view))
	require.Equal(t, true, view["paused"])

	publish(t, s.srv, s.acct, "CompanyAdded", []byte(`{"data":{"id":1}}`))
	time.Sleep(300 * time.Millisecond)
	require.Empty(t, s.rcv.messages(receiver.SNSTypeNotification), "a paused subscription's deliveries wait")
	var pending deliveryList
	adminCall(t, s.srv, "GET", "/v1/deliveries?status=pending&subscription="+arn, "", &pending)
	require.Len(t, pending.Deliveries, 1)

	require.Equal(t, 200, adminCall(t, s.srv, "POST", "/v1/subscriptions/"+arn+"/resume", "", &view))
	require.Equal(t, false, view["paused"])
	s.rcv.waitFor(receiver.SNSTypeNotification, 1)
}

func TestDeliveryPolicyOverrides(t *testing.T) {
	s := newSubscribed(t)
	arn := s.subscriptions(t)[0]["arn"].(string)
	policy := `{"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":5,"numRetries":2,"numNoDelayRetries":0,
		"numMinDelayRetries":0,"numMaxDelayRetries":0,"backoffFunction":"linear"},"throttlePolicy":{"maxReceivesPerSecond":3}}`
	var view struct {
		DeliveryPolicy          map[string]any
		EffectiveDeliveryPolicy struct {
			HealthyRetryPolicy struct{ NumRetries int }
			ThrottlePolicy     struct{ MaxReceivesPerSecond int }
		}
	}
	require.Equal(t, 200, adminCall(t, s.srv, "PUT", "/v1/subscriptions/"+arn+"/delivery-policy", policy, &view))
	require.Equal(t, 2, view.EffectiveDeliveryPolicy.HealthyRetryPolicy.NumRetries)
	require.Equal(t, 3, view.EffectiveDeliveryPolicy.ThrottlePolicy.MaxReceivesPerSecond)

	var e map[string]any
	tooLong := strings.Replace(policy, `"numRetries":2`, `"numRetries":101`, 1)
	require.Equal(t, 400, adminCallRaw(t, s.srv, "PUT", "/v1/subscriptions/"+arn+"/delivery-policy", tooLong, &e))
	require.Contains(t, e["message"], "numRetries must be less than or equal to 100")

	require.Equal(t, 200, adminCall(t, s.srv, "PUT", "/v1/accounts/"+s.acct+"/delivery-policy",
		`{"throttlePolicy":{"maxReceivesPerSecond":7}}`, &map[string]any{}))
	require.Equal(t, 200, adminCall(t, s.srv, "DELETE", "/v1/subscriptions/"+arn+"/delivery-policy", "", &view))
	require.Nil(t, view.DeliveryPolicy)
	require.Equal(t, 7, view.EffectiveDeliveryPolicy.ThrottlePolicy.MaxReceivesPerSecond, "the account's override now applies")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// SubscriptionsOut mirrors GET /v1/accounts/{id}/subscriptions.
type SubscriptionsOut struct {
	Topics []struct {
		Subscriptions []struct{ ARN, Status string }
	}
}
