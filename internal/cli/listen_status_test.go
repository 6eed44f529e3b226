package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver/receivertest"
)

// fakeListen runs listen trusting a receivertest sender, with args.
func fakeListen(t *testing.T, args ...string) (fake *receivertest.Server, hook string, out, errOut *syncBuffer) {
	t.Helper()
	fake = receivertest.NewServer(t)
	u, err := url.Parse(fake.URL())
	require.NoError(t, err)
	hook, out, errOut = startListenIO(t, append([]string{"--cert-host", "^" + regexp.QuoteMeta(u.Host) + "$",
		"--key-base-url", fake.KeyBaseURL(), "--insecure-http-cert"}, args...)...)
	return fake, hook, out, errOut
}

// deliver POSTs a message as SNS would and returns the answer's status.
func deliver(t *testing.T, fake *receivertest.Server, endpoint string, body []byte) int {
	t.Helper()
	resp, err := fake.Deliver(endpoint, body)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// jsonReport is one line of listen --json.
type jsonReport struct {
	Type          string
	Status        int
	Path          string
	Subject       string
	IvvySignature *struct{ OK bool }
	Confirmed     string
	Forward       *struct {
		URL    string
		Status int
		Error  string
	}
}

// jsonLines waits for n lines on out, each of them a JSON report.
func jsonLines(t *testing.T, out *syncBuffer, n int) []jsonReport {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") >= n }, 5*time.Second, 10*time.Millisecond, out.String())
	var reports []jsonReport
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var r jsonReport
		require.NoError(t, json.Unmarshal([]byte(line), &r), "stdout holds only JSON lines: %q", line)
		reports = append(reports, r)
	}
	return reports
}

func TestListenJSONOnlyOnStdout(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer app.Close()
	fake, hook, out, errOut := fakeListen(t, "--json", "--forward-to", app.URL)
	require.Contains(t, errOut.String(), "listening on "+hook+"/", "the banner goes to stderr")

	require.Equal(t, 200, deliver(t, fake, hook+"/hooks/companies?x=1", fake.Notification("CompanyDeleted", map[string]any{"companyId": 42})))
	r := jsonLines(t, out, 1)[0]
	require.Equal(t, "Notification", r.Type)
	require.Equal(t, 200, r.Status)
	require.Equal(t, "/hooks/companies?x=1", r.Path)
	require.Equal(t, app.URL, r.Forward.URL)
	require.Equal(t, 204, r.Forward.Status)
	require.Empty(t, r.Forward.Error)
	require.Regexp(t, `"forward":\{"url":"`+regexp.QuoteMeta(app.URL)+`","status":204\}`, out.String(), "forward is an object")

	fake2, hook2, out2, _ := fakeListen(t, "--json", "--forward-to", "http://127.0.0.1:1/hook")
	require.Equal(t, 200, deliver(t, fake2, hook2+"/", fake2.Notification("CompanyDeleted", map[string]any{"companyId": 1})))
	r = jsonLines(t, out2, 1)[0]
	require.Equal(t, "http://127.0.0.1:1/hook", r.Forward.URL)
	require.Zero(t, r.Forward.Status)
	require.Contains(t, r.Forward.Error, "connection refused")
}

func TestListenStatus(t *testing.T) {
	fake, hook, out, _ := fakeListen(t, "--json", "--status", "503")
	topic := fake.TopicArn(receivertest.DefaultAccountID, "CompanyDeleted")
	require.Equal(t, 200, deliver(t, fake, hook+"/c", fake.SubscriptionConfirmation(topic)), "confirmations still confirm")
	require.Equal(t, []string{topic}, fake.Confirmed())

	note := fake.Notification("CompanyDeleted", map[string]any{"companyId": 42})
	require.Equal(t, 503, deliver(t, fake, hook+"/c", note))
	require.Equal(t, 503, deliver(t, fake, hook+"/c", note), "a retry is answered the same, not taken as a duplicate")
	tampered := strings.Replace(string(note), `42`, `43`, 1)
	require.Equal(t, 400, deliver(t, fake, hook+"/c", []byte(tampered)), "a message that fails verification is refused as before")
	reports := jsonLines(t, out, 4)
	require.Equal(t, "SubscriptionConfirmation", reports[0].Type)
	require.NotEmpty(t, reports[0].Confirmed)
	for _, r := range reports[1:3] {
		require.Equal(t, 503, r.Status)
		require.True(t, r.IvvySignature.OK)
		require.Empty(t, r.Confirmed, "shown verified again, not as a duplicate")
	}
	require.Equal(t, 400, reports[3].Status)

	fake, hook, out, _ = fakeListen(t, "--status", "204")
	note = fake.Notification("CompanyDeleted", map[string]any{"companyId": 42})
	require.Equal(t, 204, deliver(t, fake, hook+"/c", note))
	require.Equal(t, 204, deliver(t, fake, hook+"/c", note), "a duplicate of a handled message gets --status too")
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "duplicate MessageId") }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 2, strings.Count(out.String(), "→ HTTP 204"))
}

func TestListenForwardStatus(t *testing.T) {
	var status atomic.Int64
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(status.Load())) }))
	defer app.Close()
	fake, hook, out, _ := fakeListen(t, "--forward-to", app.URL, "--forward-status")
	for i, code := range []int{500, 201, 200} {
		status.Store(int64(code))
		require.Equal(t, code, deliver(t, fake, hook+"/", fake.Notification("CompanyDeleted", map[string]any{"companyId": i})))
	}
	require.Eventually(t, func() bool { return strings.Count(out.String(), "── Notification") == 3 }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, out.String(), "→ HTTP 500\n")
	require.Contains(t, out.String(), "forwarded        ✗ "+app.URL+" → 500 Internal Server Error")
	require.Contains(t, out.String(), "forwarded        ✓ "+app.URL+" → 201 Created")

	fake, hook, _, _ = fakeListen(t, "--forward-to", "http://127.0.0.1:1/", "--forward-status")
	require.Equal(t, 502, deliver(t, fake, hook+"/", fake.Notification("CompanyDeleted", map[string]any{"companyId": 1})), "an app that cannot be reached → 502")
	topic := fake.TopicArn(receivertest.DefaultAccountID, "CompanyDeleted")
	require.Equal(t, 200, deliver(t, fake, hook+"/", fake.SubscriptionConfirmation(topic)), "confirmations still confirm")
	require.Equal(t, []string{topic}, fake.Confirmed())
}

func TestListenChecksServer(t *testing.T) {
	answer := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	notFound, unavailable := answer(404), answer(503)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--server", "http://127.0.0.1:1"}, "no ivvy-notify server answers at http://127.0.0.1:1 (Get \"http://127.0.0.1:1/healthz\": "},
		{[]string{"--server", "http://127.0.0.1:1"}, "): start one (ivvy-notify serve), or set --server to its public URL\n"},
		{[]string{"--server", notFound}, "GET " + notFound + "/healthz answered HTTP 404: is --server " + notFound + " an ivvy-notify server's public URL"},
		{[]string{"--server", unavailable + "/"}, "the ivvy-notify server at " + unavailable + "/ answers, but its database does not"},
		{[]string{"--status", "99", "--key-base-url", "http://x"}, "--status 99: want an HTTP status from 200 to 599"},
		{[]string{"--forward-status", "--key-base-url", "http://x"}, "--forward-status passes on --forward-to's status: give --forward-to too"},
		{[]string{"--forward-status", "--status", "500", "--forward-to", "http://x", "--key-base-url", "http://x"}, "give one of them"},
	} {
		start := time.Now()
		code, out, errOut := runCLI(t, nil, append([]string{"listen", "--listen", "127.0.0.1:0"}, tc.args...)...)
		require.Equal(t, 1, code, tc.args)
		require.Empty(t, out, tc.args)
		require.Contains(t, errOut, tc.want, tc.args)
		require.Less(t, time.Since(start), 5*time.Second)
	}
}
