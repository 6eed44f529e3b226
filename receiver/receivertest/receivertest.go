// Package receivertest fakes the sending side of iVvy notifications, so that
// you can test a receiver.Handler — or any webhook endpoint — without an
// ivvy-notify server or an AWS account.
//
// A Server holds throwaway keys: an SNS signing key, whose certificate it
// serves at its SigningCertURL, and an account signing key, whose public key
// it serves below its key base URL. It builds correctly signed messages
// (Notification, SubscriptionConfirmation, UnsubscribeConfirmation) with the
// very code ivvy-notify sends with, answers SubscribeURL and UnsubscribeURL
// visits like SNS and records them, and gives a receiver.Verifier configured
// to trust it:
//
//	srv := receivertest.NewServer(t)
//	h, _ := receiver.NewHandler(srv.Verifier(), receiver.HandlerOptions{OnNotification: myHandler})
//	rec := httptest.NewRecorder()
//	h.ServeHTTP(rec, srv.Request(srv.Notification("CompanyDeleted", map[string]any{"companyId": 42})))
//	// rec.Code == 200, and myHandler saw a *receiver.Notification
//
// NewServer serves plain http (the Verifier allows it); NewTLSServer serves
// https with a certificate its Client and Verifier trust. Outside a test
// (in an example or a demo), Start and StartTLS do the same and Close
// stops the Server.
//
// Messages are built, signed and laid out by ivvy-notify's own sender code,
// so they are byte-for-byte what the server delivers.
package receivertest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/ivvymsg"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// Defaults of the messages a Server builds.
const (
	// DefaultAccountID is the AccountId of messages built without
	// WithAccountID.
	DefaultAccountID = "14"
	// Region is the Region of every iVvy message and of topic ARNs.
	Region = "local"
	// KeysPath is where the Server serves account public keys: the key base
	// URL is URL() + KeysPath.
	KeysPath = "/keys"
)

// Server is a fake notification sender: an httptest server serving its
// signing certificate, account public keys and SNS's subscription URLs.
// It is safe for concurrent use.
type Server struct {
	srv        *httptest.Server
	tls        bool
	snsKey     *rsa.PrivateKey
	cert       *x509.Certificate
	certPEM    []byte
	certPath   string
	accountKey *rsa.PrivateKey
	keyPEM     []byte
	keyVersion int64

	mu           sync.Mutex
	tokens       map[string]string      // confirmation token → topic ARN
	subs         map[string]string      // topic ARN → subscription ARN
	headers      map[string]http.Header // MessageId → SNS headers
	confirmed    []string               // topic ARNs, in order
	unsubscribed []string               // subscription ARNs, in order
	fetches      map[string]int         // request path → count
}

// NewServer starts a plain-http Server with fresh keys, closed when the test
// ends. Its Verifier sets receiver.Options.AllowHTTP.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// NewTLSServer starts an https Server with fresh keys, closed when the test
// ends. Its Client and Verifier trust its TLS certificate.
func NewTLSServer(t testing.TB) *Server {
	t.Helper()
	s := StartTLS()
	t.Cleanup(s.Close)
	return s
}

// Start starts a plain-http Server with fresh keys, for use outside tests
// (examples, benchmarks, a main package); call Close when done.
func Start() *Server { return start(false) }

// StartTLS is Start with https; see NewTLSServer.
func StartTLS() *Server { return start(true) }

// Close shuts the Server down.
func (s *Server) Close() { s.srv.Close() }

// start generates the keys and starts the httptest server. Only a failing
// random source can make it fail, so it panics then.
func start(useTLS bool) *Server {
	s := &Server{
		tls: useTLS, keyVersion: time.Now().Unix(),
		tokens: map[string]string{}, subs: map[string]string{},
		headers: map[string]http.Header{}, fetches: map[string]int{},
	}
	s.snsKey = must(rsa.GenerateKey(rand.Reader, 2048))
	s.accountKey = must(rsa.GenerateKey(rand.Reader, 2048))
	now := time.Now()
	s.certPEM = must(sns.GenerateCertificate(s.snsKey, "sns.amazonaws.com", now.Add(-time.Hour), now.Add(7*24*time.Hour), rand.Reader))
	block, _ := pem.Decode(s.certPEM)
	s.cert = must(x509.ParseCertificate(block.Bytes))
	s.certPath = "/SimpleNotificationService-" + sns.CertHex(block.Bytes) + ".pem"
	s.keyPEM = must(ivvymsg.MarshalPublicKeyPEM(&s.accountKey.PublicKey))
	if useTLS {
		s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	} else {
		s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	}
	return s
}

// URL is the Server's base URL, e.g. "http://127.0.0.1:40123".
func (s *Server) URL() string { return s.srv.URL }

// Client is an HTTP client that trusts the Server (for NewTLSServer).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CertURL is the SigningCertURL of the Server's messages.
func (s *Server) CertURL() string { return s.srv.URL + s.certPath }

// KeyBaseURL is the key base URL: URL() + KeysPath.
func (s *Server) KeyBaseURL() string { return s.srv.URL + KeysPath }

// Certificate is the SNS signing certificate served at CertURL.
func (s *Server) Certificate() *x509.Certificate { return s.cert }

// AccountPublicKey is the public half of the key that signs iVvy messages
// (every account shares it).
func (s *Server) AccountPublicKey() *rsa.PublicKey { return &s.accountKey.PublicKey }

// KeyPath is the SigningPublicKeyPath of accountID's messages:
// /accounts/{accountID}/{version}/notifcert.txt.
func (s *Server) KeyPath(accountID string) string {
	return ivvymsg.PublicKeyPath(accountID, s.keyVersion)
}

// Options returns receiver.Options that trust this Server and nothing else:
// its host as CertHostPattern, its key base URL, its Client, AllowHTTP for
// NewServer, and CheckCertDates.
func (s *Server) Options() receiver.Options {
	u, _ := url.Parse(s.srv.URL) // httptest URLs always parse
	return receiver.Options{
		CertHostPattern: regexp.MustCompile(regexp.QuoteMeta(u.Host)),
		AllowHTTP:       !s.tls,
		KeyBaseURL:      s.KeyBaseURL(),
		HTTPClient:      s.srv.Client(),
		CheckCertDates:  true,
	}
}

// Verifier returns a new receiver.Verifier built from Options.
func (s *Server) Verifier() *receiver.Verifier {
	v, err := receiver.NewVerifier(s.Options())
	if err != nil {
		panic("receivertest: " + err.Error()) // Options are always valid
	}
	return v
}

// TopicArn returns the topic ARN of accountID's endpoint for subject, in
// ivvy-notify's form (SPEC §2):
// arn:aws:sns:local:000000000000:iVvy_Account_{id}_{40 hex}_Notif{Endpoint}.
// A subject outside the built-in catalog goes to the Events endpoint.
func (s *Server) TopicArn(accountID, subject string) string {
	suffix := "Events"
	if sub, ok := catalog.Default().Subject(subject); ok {
		suffix = sub.Endpoint.TopicSuffix()
	}
	sum := sha1.Sum([]byte("receivertest:" + accountID))
	return "arn:aws:sns:" + Region + ":000000000000:iVvy_Account_" + accountID + "_" +
		hex.EncodeToString(sum[:]) + "_Notif" + suffix
}

// SubscriptionArn returns the ARN of the Server's one subscription to
// topicArn: the topic ARN, ":" and a UUID fixed per topic.
func (s *Server) SubscriptionArn(topicArn string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if arn, ok := s.subs[topicArn]; ok {
		return arn
	}
	id, err := sns.NewMessageID(rand.Reader)
	if err != nil {
		panic("receivertest: " + err.Error())
	}
	s.subs[topicArn] = topicArn + ":" + id
	return s.subs[topicArn]
}

// Confirmed returns the topic ARNs whose SubscribeURL was visited with a
// valid token, in order.
func (s *Server) Confirmed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.confirmed...)
}

// Unsubscribed returns the subscription ARNs whose UnsubscribeURL was
// visited, in order.
func (s *Server) Unsubscribed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unsubscribed...)
}

// CertFetches returns how many times the signing certificate was fetched.
func (s *Server) CertFetches() int { return s.fetchCount(s.certPath) }

// KeyFetches returns how many times accountID's public key was fetched.
func (s *Server) KeyFetches(accountID string) int {
	return s.fetchCount(KeysPath + s.KeyPath(accountID))
}

func (s *Server) fetchCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches[path]
}
