package app_test

import (
	"io"
	"net/http"
	"net/http/httptest"
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

// testReceiver is an integrator's webhook endpoint: it verifies every
// message's SNS signature against the certificate at SigningCertURL and
// every Notification's inner signature against the public key at
// keyBase+SigningPublicKeyPath, confirms subscriptions by GETting
// SubscribeURL, and records what arrived. Verification failures fail the
// test.
type testReceiver struct {
	t       *testing.T
	srv     *httptest.Server
	keyBase string
	// autoConfirm makes it visit SubscribeURL of SubscriptionConfirmations.
	autoConfirm bool

	mu   sync.Mutex
	msgs []got
}

func newTestReceiver(t *testing.T, keyBase string, autoConfirm bool) *testReceiver {
	r := &testReceiver{t: t, keyBase: keyBase, autoConfirm: autoConfirm}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the webhook URL for a path on this receiver.
func (r *testReceiver) URL(path string) string { return r.srv.URL + path }

func (r *testReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil || req.Method != http.MethodPost {
		r.t.Errorf("receiver: %s %s: %v", req.Method, req.URL, err)
		return
	}
	g := got{Path: req.URL.Path, Header: req.Header.Clone(), Body: body}
	if err := r.verify(&g); err != nil {
		r.t.Errorf("receiver: %s: %v\n%s", req.URL.Path, err, body)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.msgs = append(r.msgs, g)
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// verify checks both signatures, independently of the server's signers.
func (r *testReceiver) verify(g *got) error {
	m, err := receiver.ParseSNSMessage(g.Body)
	if err != nil {
		return err
	}
	g.SNS = m
	certPEM, err := httpGet(m.SigningCertURL)
	if err != nil {
		return err
	}
	cert, err := receiver.ParseCertificatePEM(certPEM)
	if err != nil {
		return err
	}
	if err := receiver.VerifySNSSignature(m, cert.PublicKey); err != nil {
		return err
	}
	switch m.Type {
	case receiver.SNSTypeNotification:
		return r.verifyInner(g)
	case receiver.SNSTypeSubscriptionConfirmation:
		if r.autoConfirm {
			resp, err := httpGet(m.SubscribeURL)
			g.Confirm = string(resp)
			return err
		}
	}
	return nil
}

func (r *testReceiver) verifyInner(g *got) error {
	inner, err := receiver.ParseIvvyMessage([]byte(g.SNS.Message))
	if err != nil {
		return err
	}
	g.Inner = inner
	pemBytes, err := httpGet(r.keyBase + inner.SigningPublicKeyPath)
	if err != nil {
		return err
	}
	pub, err := receiver.ParsePublicKeyPEM(pemBytes)
	if err != nil {
		return err
	}
	return receiver.VerifyIvvySignature(inner, pub)
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
