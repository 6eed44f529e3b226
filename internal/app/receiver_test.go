package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// got is one message a test receiver accepted, with what it verified.
type got struct {
	Path    string
	Header  http.Header
	Body    []byte
	SNS     *receiver.SNSMessage
	Inner   *receiver.IvvyMessage // Notifications only
	Confirm string                // the ConfirmSubscriptionResponse, when it confirmed
}

// testReceiver is an integrator's webhook endpoint built on the receiver
// SDK: its Verifier checks every message's SNS signature against the
// certificate at SigningCertURL and every Notification's inner signature
// against the public key at keyBase+SigningPublicKeyPath; its Handler
// confirms subscriptions (when autoConfirm) and suppresses duplicates.
// Every refusal — a duplicate included — fails the test.
type testReceiver struct {
	t       *testing.T
	srv     *httptest.Server
	handler *receiver.Handler

	mu   sync.Mutex
	msgs []got
}

type gotKey struct{}

func newTestReceiver(t *testing.T, keyBase string, autoConfirm bool) *testReceiver {
	r := &testReceiver{t: t}
	v, err := receiver.NewVerifier(receiver.Options{
		CertHostPattern: regexp.MustCompile(`^127\.0\.0\.1$`), AllowHTTP: true, KeyBaseURL: keyBase,
	})
	require.NoError(t, err)
	record := func(ctx context.Context, fill func(*got)) { fill(ctx.Value(gotKey{}).(*got)) }
	r.handler, err = receiver.NewHandler(v, receiver.HandlerOptions{
		DisableAutoConfirm: !autoConfirm,
		OnNotification: func(ctx context.Context, n *receiver.Notification) error {
			record(ctx, func(g *got) { g.SNS, g.Inner = n.Raw, n.Inner })
			return nil
		},
		OnSubscriptionConfirmation: func(ctx context.Context, m *receiver.SNSMessage, resp []byte) {
			record(ctx, func(g *got) { g.SNS, g.Confirm = m, string(resp) })
		},
		OnUnsubscribeConfirmation: func(ctx context.Context, m *receiver.SNSMessage) { record(ctx, func(g *got) { g.SNS = m }) },
		OnError: func(req *http.Request, err error) {
			// A sender that went away mid-request (the server under test
			// shutting down as the test ends) is not a refusal.
			if req.Context().Err() == nil {
				t.Errorf("receiver: %s: %v", req.URL.Path, err)
			}
		},
	})
	require.NoError(t, err)
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the webhook URL for a path on this receiver.
func (r *testReceiver) URL(path string) string { return r.srv.URL + path }

// serve runs the SDK's Handler and records what it accepted, with the raw
// body and headers.
func (r *testReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("receiver: %v", err)
		return
	}
	g := &got{Path: req.URL.Path, Header: req.Header.Clone(), Body: body}
	req = req.WithContext(context.WithValue(req.Context(), gotKey{}, g))
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.handler.ServeHTTP(w, req)
	if g.SNS != nil {
		r.mu.Lock()
		r.msgs = append(r.msgs, *g)
		r.mu.Unlock()
	}
}

// messages returns what arrived so far, filtered by SNS type.
func (r *testReceiver) messages(typ string) []got {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []got
	for _, g := range r.msgs {
		if typ == "" || g.SNS.Type == typ {
			out = append(out, g)
		}
	}
	return out
}

// waitFor waits until n messages of the type have arrived and returns them.
func (r *testReceiver) waitFor(typ string, n int) []got {
	r.t.Helper()
	require.Eventually(r.t, func() bool { return len(r.messages(typ)) >= n }, 20*time.Second, 10*time.Millisecond,
		"want %d %s messages, have %d", n, typ, len(r.messages(typ)))
	return r.messages(typ)
}

func httpGet(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = &httpStatusError{url: url, status: resp.StatusCode, body: strings.TrimSpace(string(b))}
	}
	return b, err
}

type httpStatusError struct {
	url    string
	status int
	body   string
}

func (e *httpStatusError) Error() string {
	return "GET " + e.url + ": HTTP " + http.StatusText(e.status) + ": " + e.body
}
