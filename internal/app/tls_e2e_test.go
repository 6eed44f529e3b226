package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// writeTLSCert writes a self-signed ECDSA certificate for localhost and
// 127.0.0.1, and its key, as PEM files into a temp dir.
func writeTLSCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		// Self-signed and used as its own trust anchor (Go pool, Node
		// NODE_EXTRA_CA_CERTS), so it is marked as a CA.
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls-cert.pem"), filepath.Join(dir, "tls-key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

// tlsNotifyServer starts a server whose public listener serves HTTPS with a
// fresh self-signed certificate and whose PublicURL is derived from the
// bound port. It returns the server, an HTTP client trusting only that
// certificate, and the certificate's PEM file.
func tlsNotifyServer(t *testing.T, signatureVersion string) (*app.Server, *http.Client, string) {
	certFile, keyFile := writeTLSCert(t)
	cfg := testConfig(t)
	cfg.AllowPrivateEndpoints = true
	cfg.SignatureVersion = signatureVersion
	cfg.TLSCert, cfg.TLSKey = certFile, keyFile
	cfg.PublicURL = "" // derived once the port is bound: https://127.0.0.1:PORT
	srv := startServer(t, cfg)

	certPEM, err := os.ReadFile(certFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(certPEM))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return srv, hc, certFile
}

// rawMsg is one webhook POST a rawReceiver recorded: its exact bytes, parsed.
type rawMsg struct {
	Body []byte
	SNS  *receiver.SNSMessage
}

// rawReceiver is a plain-HTTP webhook endpoint that only records the raw
// bodies it is sent; unlike testReceiver it verifies nothing itself, so
// tests can fetch and confirm with their own (TLS-trusting) client.
type rawReceiver struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []rawMsg
}

func newRawReceiver(t *testing.T) *rawReceiver {
	r := &rawReceiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		m, perr := receiver.ParseSNSMessage(body)
		if err != nil || perr != nil {
			r.t.Errorf("raw receiver: %v %v\n%s", err, perr, body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.msgs = append(r.msgs, rawMsg{Body: body, SNS: m})
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// waitFor waits until n messages of SNS type typ have arrived.
func (r *rawReceiver) waitFor(typ string, n int) []rawMsg {
	r.t.Helper()
	of := func() []rawMsg {
		r.mu.Lock()
		defer r.mu.Unlock()
		var out []rawMsg
		for _, m := range r.msgs {
			if m.SNS.Type == typ {
				out = append(out, m)
			}
		}
		return out
	}
	require.Eventually(r.t, func() bool { return len(of()) >= n }, 20*time.Second, 10*time.Millisecond, "want %d %s", n, typ)
	return of()
}

// getWith GETs url with hc and requires a 200.
func getWith(t *testing.T, hc *http.Client, url string) []byte {
	t.Helper()
	resp, err := hc.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", url, b)
	return b
}

// verifySNSOverTLS fetches m's signing certificate over HTTPS and checks
// m's signature with it.
func verifySNSOverTLS(t *testing.T, hc *http.Client, m *receiver.SNSMessage) {
	t.Helper()
	require.True(t, strings.HasPrefix(m.SigningCertURL, "https://"), m.SigningCertURL)
	cert, err := receiver.ParseCertificatePEM(getWith(t, hc, m.SigningCertURL))
	require.NoError(t, err)
	require.NoError(t, receiver.VerifySNSSignature(m, cert.PublicKey))
}

// subscribeOverTLS subscribes a new account's companies endpoint to rcv,
// checks the SubscriptionConfirmation's URLs are https, and confirms it
// over HTTPS. It returns the account and the confirmation.
func subscribeOverTLS(t *testing.T, srv *app.Server, hc *http.Client, rcv *rawReceiver) (string, rawMsg) {
	acct, key := newAccountKey(t, srv)
	api := ivvyclient.New(srv.PublicURL, key.Key, key.Secret, ivvyclient.WithHTTPClient(hc))
	_, err := api.Ping(context.Background())
	require.NoError(t, err, "iVvy API over HTTPS")
	_, err = api.SubscribeToNotifications(context.Background(), ivvyclient.Endpoints{Companies: rcv.srv.URL + "/companies"})
	require.NoError(t, err)

	conf := rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 1)[0]
	require.True(t, strings.HasPrefix(conf.SNS.SubscribeURL, srv.PublicURL+"/"), conf.SNS.SubscribeURL)
	verifySNSOverTLS(t, hc, conf.SNS)
	require.Contains(t, string(getWith(t, hc, conf.SNS.SubscribeURL)), "<ConfirmSubscriptionResponse")
	return acct, conf
}

// publishOverTLS publishes the first n companies subjects and returns the
// Notifications once they arrive, each SNS and iVvy signature verified
// with keys fetched over HTTPS.
func publishOverTLS(t *testing.T, srv *app.Server, hc *http.Client, rcv *rawReceiver, acct string, n int) []rawMsg {
	subjects := srv.Notify.Catalog().SubjectsFor(catalog.Companies)
	require.GreaterOrEqual(t, len(subjects), n)
	for _, s := range subjects[:n] {
		require.EqualValues(t, 1, publish(t, srv, acct, s.Name, s.ExampleBody())["deliveries"], s.Name)
	}
	notes := rcv.waitFor(receiver.SNSTypeNotification, n)
	for _, m := range notes {
		verifySNSOverTLS(t, hc, m.SNS)
		require.True(t, strings.HasPrefix(m.SNS.UnsubscribeURL, "https://"), m.SNS.UnsubscribeURL)
		inner, err := receiver.ParseIvvyMessage([]byte(m.SNS.Message))
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(srv.KeyBaseURL, "https://"), srv.KeyBaseURL)
		pub, err := receiver.ParsePublicKeyPEM(getWith(t, hc, srv.KeyBaseURL+inner.SigningPublicKeyPath))
		require.NoError(t, err)
		require.NoError(t, receiver.VerifyIvvySignature(inner, pub))
	}
	return notes
}

// TestTLSEndToEnd runs the whole subscribe/confirm/publish flow with the
// public listener on HTTPS and its URL derived from the bound port.
func TestTLSEndToEnd(t *testing.T) {
	srv, hc, _ := tlsNotifyServer(t, "1")
	require.True(t, strings.HasPrefix(srv.PublicURL, "https://127.0.0.1:"), srv.PublicURL)

	_, err := http.Get(srv.PublicURL + "/healthz")
	require.Error(t, err, "the default client must not trust the self-signed certificate")
	getWith(t, hc, srv.PublicURL+"/healthz")

	rcv := newRawReceiver(t)
	acct, _ := subscribeOverTLS(t, srv, hc, rcv)
	notes := publishOverTLS(t, srv, hc, rcv, acct, 1)
	require.Len(t, notes, 1)
}
