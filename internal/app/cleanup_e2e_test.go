package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// quickRetries retries n times, 1 s apart.
func quickRetries(n string) string {
	return `{"healthyRetryPolicy":{"numRetries":` + n + `,"minDelayTarget":1,"maxDelayTarget":1}}`
}

// failingReceiver answers 500 to everything, except that on /confirms it
// confirms subscriptions; it counts the requests of each path and type.
type failingReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got map[string]int // "path type" → requests
}

func newFailingReceiver(t *testing.T) *failingReceiver {
	r := &failingReceiver{got: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		m, err := receiver.ParseSNSMessage(body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		r.mu.Lock()
		r.got[req.URL.Path+" "+m.Type]++
		r.mu.Unlock()
		if req.URL.Path == "/confirms" && m.Type == receiver.SNSTypeSubscriptionConfirmation {
			_, _ = httpGet(m.SubscribeURL)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *failingReceiver) count(path, typ string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[path+" "+typ]
}

// subscriptionView is the part of an admin subscription view the tests read.
type subscriptionView struct {
	ARN                 string `json:"arn"`
	URL                 string `json:"url"`
	Status              string `json:"status"`
	PreviousStatus      string `json:"previousStatus"`
	CancelledDeliveries int    `json:"cancelledDeliveries"`
}

// subscriptionFor returns the account's subscription of url.
func subscriptionFor(t *testing.T, srv *app.Server, acct, url string) subscriptionView {
	t.Helper()
	var out struct {
		Topics []struct{ Subscriptions []subscriptionView }
	}
	require.Equal(t, 200, adminCall(t, srv, "GET", "/v1/accounts/"+acct+"/subscriptions", "", &out))
	for _, topic := range out.Topics {
		for _, s := range topic.Subscriptions {
			if s.URL == url {
				return s
			}
		}
	}
	t.Fatalf("no subscription of %s", url)
	return subscriptionView{}
}

func TestDeletePendingSubscriptionStopsItsRetries(t *testing.T) {
	cfg := testConfig(t)
	cfg.AllowPrivateEndpoints = true
	cfg.ConfirmationDeliveryPolicy = quickRetries("50")
	srv := startServer(t, cfg)
	acct, key := newAccountKey(t, srv)
	rcv := newFailingReceiver(t)
	hook := rcv.srv.URL + "/typo"
	_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(),
		ivvyclient.Endpoints{Companies: hook})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return rcv.count("/typo", receiver.SNSTypeSubscriptionConfirmation) >= 2 },
		10*time.Second, 20*time.Millisecond, "the confirmation is retried")
	sub := subscriptionFor(t, srv, acct, hook)
	require.Equal(t, "PendingConfirmation", sub.Status)

	var deleted subscriptionView
	require.Equal(t, 200, adminCall(t, srv, "DELETE", "/v1/subscriptions/"+sub.ARN, "", &deleted))
	require.Equal(t, "Deleted", deleted.Status)
	require.Equal(t, "PendingConfirmation", deleted.PreviousStatus)
	require.Equal(t, 1, deleted.CancelledDeliveries)
	time.Sleep(200 * time.Millisecond) // an attempt already on its way may still land
	before := rcv.count("/typo", receiver.SNSTypeSubscriptionConfirmation)
	time.Sleep(2500 * time.Millisecond) // past the next retry, 1 s ±10 % after the last
	require.Equal(t, before, rcv.count("/typo", receiver.SNSTypeSubscriptionConfirmation), "no attempt after the delete")

	var list deliveryList
	require.Equal(t, 200, adminCall(t, srv, "GET", "/v1/deliveries?subscription="+url.QueryEscape(sub.ARN), "", &list))
	require.Len(t, list.Deliveries, 1)
	require.Equal(t, "cancelled", list.Deliveries[0].Status)
	require.Equal(t, "subscription deleted by the operator", list.Deliveries[0].LastError)
	require.Equal(t, 200, adminCall(t, srv, "GET", "/v1/deadletters", "", &list))
	require.Empty(t, list.Deliveries, "nothing is dead-lettered")
}

func TestConfirmationPolicyGivesUpWhileNotificationsKeepRetrying(t *testing.T) {
	cfg := testConfig(t)
	cfg.AllowPrivateEndpoints = true
	cfg.ConfirmationDeliveryPolicy = quickRetries("2")
	cfg.DeliveryPolicy = quickRetries("20")
	srv := startServer(t, cfg)
	acct, key := newAccountKey(t, srv)
	rcv := newFailingReceiver(t)
	_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(),
		ivvyclient.Endpoints{Companies: rcv.srv.URL + "/typo", Contacts: rcv.srv.URL + "/confirms"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return subscriptionFor(t, srv, acct, rcv.srv.URL+"/confirms").Status == "Confirmed" },
		10*time.Second, 20*time.Millisecond)
	publish(t, srv, acct, "ContactAdded", []byte(`{"data":{"id":1}}`))

	var dead deliveryList
	require.Eventually(t, func() bool {
		adminCall(t, srv, "GET", "/v1/deadletters", "", &dead)
		return len(dead.Deliveries) == 1
	}, 10*time.Second, 50*time.Millisecond, "the confirmation to the typo'd URL gives up")
	require.Equal(t, 3, dead.Deliveries[0].Attempts, "the first attempt and the confirmation policy's 2 retries")
	require.Contains(t, dead.Deliveries[0].LastError, "retries exhausted after 3 attempt(s)")
	require.Eventually(t, func() bool { return rcv.count("/confirms", receiver.SNSTypeNotification) >= 5 },
		15*time.Second, 50*time.Millisecond, "the notification keeps the server's policy: 20 retries")
	time.Sleep(1500 * time.Millisecond)
	require.Equal(t, 3, rcv.count("/typo", receiver.SNSTypeSubscriptionConfirmation), "and the confirmation stays given up")
}

// TestDeletePendingSubscriptionWithTheBinary runs the real binary, its
// --confirmation-delivery-policy flag and its subscriptions delete command.
func TestDeletePendingSubscriptionWithTheBinary(t *testing.T) {
	bin := childBinary(t)
	c := childStart(t, bin, filepath.Join(t.TempDir(), "data"), "--confirmation-delivery-policy", quickRetries("50"))
	rcv := newFailingReceiver(t)
	hook := rcv.srv.URL + "/typo"
	acct := c.subscribe(hook)
	require.Eventually(t, func() bool { return rcv.count("/typo", receiver.SNSTypeSubscriptionConfirmation) >= 2 },
		10*time.Second, 20*time.Millisecond)
	var subs struct {
		Topics []struct{ Subscriptions []subscriptionView }
	}
	c.mustAdmin(200, "GET", "/v1/accounts/"+acct+"/subscriptions", "", &subs)
	arn := subs.Topics[0].Subscriptions[0].ARN

	cmd := exec.Command(bin, "subscriptions", "delete", arn, "--admin-url", c.adminURL)
	cmd.Env = append(cmd.Environ(), "IVVY_NOTIFY_ADMIN_TOKEN="+childToken)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "deleted subscription "+arn+" (was PendingConfirmation); 1 pending delivery cancelled\n", string(out))
	time.Sleep(200 * time.Millisecond)
	before := rcv.count("/typo", receiver.SNSTypeSubscriptionConfirmation)
	time.Sleep(2500 * time.Millisecond)
	require.Equal(t, before, rcv.count("/typo", receiver.SNSTypeSubscriptionConfirmation), "no attempt after the delete")
	n, err := c.pending()
	require.NoError(t, err)
	require.Zero(t, n)
	require.False(t, strings.Contains(c.stderr.tail(64<<10), "level=ERROR"), c.stderr.tail(4<<10))
}
