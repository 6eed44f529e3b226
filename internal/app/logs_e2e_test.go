package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// logReceiver confirms /sdk through the AWS SDK (a Query API POST) and
// /gone by GETting its SubscribeURL; /gone answers 410 to notifications,
// so they become dead letters at once.
type logReceiver struct {
	t    *testing.T
	srv  *httptest.Server
	sdk  *awssns.Client
	mu   sync.Mutex
	arns map[string]string // path -> SubscriptionArn once confirmed
}

func newLogReceiver(t *testing.T, publicURL string) *logReceiver {
	r := &logReceiver{t: t, arns: map[string]string{}, sdk: awssns.New(awssns.Options{
		BaseEndpoint: aws.String(publicURL), Region: "local", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "unused", ""),
	})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *logReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	m, err := receiver.ParseSNSMessage(body)
	if err != nil {
		r.t.Errorf("log receiver: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch {
	case m.Type == receiver.SNSTypeSubscriptionConfirmation:
		r.confirm(req.Context(), req.URL.Path, m)
	case m.Type == receiver.SNSTypeNotification && req.URL.Path == "/gone":
		w.WriteHeader(http.StatusGone)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (r *logReceiver) confirm(ctx context.Context, path string, m *receiver.SNSMessage) {
	var arn string
	if path == "/sdk" {
		out, err := r.sdk.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{
			TopicArn: aws.String(m.TopicArn), Token: aws.String(m.Token)})
		if err != nil {
			r.t.Errorf("log receiver: SDK confirm: %v", err)
			return
		}
		arn = aws.ToString(out.SubscriptionArn)
	} else {
		b, err := httpGet(m.SubscribeURL)
		if err != nil {
			r.t.Errorf("log receiver: confirm: %v", err)
			return
		}
		arn = arnIn(r.t, b)
	}
	r.mu.Lock()
	r.arns[path] = arn
	r.mu.Unlock()
}

func (r *logReceiver) arn(path string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.arns[path]
}

// childLogs decodes the child's JSON log lines.
func childLogs(t *testing.T, c *childServer) []map[string]any {
	var out []map[string]any
	for line := range strings.Lines(c.stderr.tail(1 << 30)) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// findLog returns the first line with msg whose fields include want.
func findLog(lines []map[string]any, msg string, want map[string]any) map[string]any {
next:
	for _, l := range lines {
		if l["msg"] != msg {
			continue
		}
		for k, v := range want {
			if l[k] != v {
				continue next
			}
		}
		return l
	}
	return nil
}

// childAccount creates an account and key on the child and subscribes url
// to its companies endpoint.
func childAccount(t *testing.T, c *childServer, url string) (string, createdKey) {
	var acct struct{ ID string }
	c.mustAdmin(201, "POST", "/v1/accounts", `{"name":"Acme"}`, &acct)
	var key createdKey
	c.mustAdmin(201, "POST", "/v1/accounts/"+acct.ID+"/keys", `{}`, &key)
	_, err := ivvyclient.New(c.publicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(),
		ivvyclient.Endpoints{Companies: url})
	require.NoError(t, err)
	return acct.ID, key
}

const companyAdded = `{"subject":"CompanyAdded","body":{"data":{"id":1}},"txnId":"0123456789abcdef0123456789abcdef"}`

// TestLogsTellTheStory runs the real binary at --log-level debug with JSON
// logs and checks, on its stderr, one line per iVvy API request, auth
// failure, confirm (POST and GET), publish, delivery attempt, dead letter
// and unsubscribe (Query API POST and iVvy API), with their fields; River's
// chatter is there, demoted to debug; no secret is.
func TestLogsTellTheStory(t *testing.T) {
	ctx := context.Background()
	c := childStart(t, childBinary(t), t.TempDir(), "--log-format", "json", "--log-level", "debug")
	rcv := newLogReceiver(t, c.publicURL)
	acctA, keyA := childAccount(t, c, rcv.srv.URL+"/sdk")
	acctB, keyB := childAccount(t, c, rcv.srv.URL+"/gone")
	require.Eventually(t, func() bool { return rcv.arn("/sdk") != "" && rcv.arn("/gone") != "" }, 20*time.Second, 20*time.Millisecond)
	arnA, arnB := rcv.arn("/sdk"), rcv.arn("/gone")

	_, err := ivvyclient.New(c.publicURL, keyA.Key, "not-the-secret").Ping(ctx)
	require.Error(t, err)
	c.mustAdmin(202, "POST", "/v1/accounts/"+acctA+"/events", companyAdded, nil)
	c.mustAdmin(202, "POST", "/v1/accounts/"+acctB+"/events", companyAdded, nil)
	var expect = func(msg string, want map[string]any) map[string]any {
		t.Helper()
		var l map[string]any
		require.Eventually(t, func() bool { l = findLog(childLogs(t, c), msg, want); return l != nil },
			20*time.Second, 20*time.Millisecond, "no %q line with %v in:\n%s", msg, want, c.stderr.tail(8<<10))
		return l
	}
	dead := expect("delivery: moved to dead letters", map[string]any{"level": "WARN", "subscription_arn": arnB})
	require.Equal(t, rcv.srv.URL+"/gone", dead["url"])
	require.Contains(t, dead["reason"], "HTTP 410")
	require.Contains(t, dead, "delivery_id")

	_, err = rcv.sdk.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(arnA)})
	require.NoError(t, err)
	_, err = ivvyclient.New(c.publicURL, keyB.Key, keyB.Secret).UnsubscribeFromNotifications(ctx,
		ivvyclient.Endpoints{Companies: rcv.srv.URL + "/gone"})
	require.NoError(t, err)

	req := expect("ivvy api: request", map[string]any{"action": "account/subscribeToNotifications", "key": keyA.Key})
	require.Equal(t, "POST", req["method"])
	require.EqualValues(t, 200, req["status"])
	require.Contains(t, req, "duration")
	expect("ivvy api: request", map[string]any{"action": "test/ping", "key": keyA.Key, "status": float64(401)})
	expect("ivvy api: authentication failed", map[string]any{"level": "WARN", "reason": "bad signature", "key": keyA.Key})
	expect("sns: ConfirmSubscription", map[string]any{"method": "POST", "subscription_arn": arnA, "outcome": "confirmed"})
	expect("sns: ConfirmSubscription", map[string]any{"method": "GET", "subscription_arn": arnB, "outcome": "confirmed"})
	pub := expect("notify: published", map[string]any{"account": float64(mustInt(t, acctA))})
	require.Equal(t, []any{"CompanyAdded"}, pub["subjects"])
	require.EqualValues(t, 1, pub["deliveries"])
	require.Equal(t, "0123456789abcdef0123456789abcdef", pub["txn_id"])
	attempt := expect("delivery: delivered", map[string]any{"level": "DEBUG", "subscription_arn": arnA, "outcome": "delivered"})
	require.EqualValues(t, 1, attempt["attempt"])
	require.EqualValues(t, 200, attempt["status"])
	require.Contains(t, attempt, "duration")
	require.Contains(t, attempt, "delivery_id")
	expect("sns: Unsubscribe", map[string]any{"method": "POST", "subscription_arn": arnA, "outcome": "unsubscribed"})
	expect("notify: unsubscribeFromNotifications", map[string]any{"subscription_arn": arnB, "outcome": "unsubscribed"})
	expect("River client started", map[string]any{"level": "DEBUG"})

	stderr := c.stderr.tail(1 << 30)
	for _, secret := range []string{keyA.Secret, keyB.Secret, childToken} {
		require.NotContains(t, stderr, secret)
	}
}

func mustInt(t *testing.T, s string) int {
	var n int
	require.NoError(t, json.Unmarshal([]byte(s), &n))
	return n
}

// TestIdleServerIsQuiet: at the default info level an idle
// server prints nothing of River's producers, elector or scheduler.
func TestIdleServerIsQuiet(t *testing.T) {
	c := childStart(t, childBinary(t), t.TempDir())
	// River's producers report their job counts every 5 s.
	time.Sleep(6 * time.Second)
	stderr := c.stderr.tail(1 << 30)
	require.Contains(t, stderr, "level=INFO msg=serving")
	require.NotRegexp(t, riverChatter, stderr)
}

// riverChatter matches what River logs of its client, producers, leader
// election and periodic job scheduler.
var riverChatter = regexp.MustCompile(`(?i)river|producer|elector|leader|scheduler|periodic|queue=`)
