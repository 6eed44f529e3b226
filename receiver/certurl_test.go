package receiver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// withCertURL returns a fixture whose (unsigned) SigningCertURL is u.
func withCertURL(t *testing.T, u string) *receiver.SNSMessage {
	m := parseFixture(t, "notification-signature-v2.json")
	m.SigningCertURL = u
	return m
}

func TestVerifySNS_CertURLRules(t *testing.T) {
	const host = "https://sns.us-west-2.amazonaws.com"
	rs := newRoutedServer(t)
	v := awsVerifier(t, rs, nil)
	for name, u := range map[string]string{
		"host outside the pattern":  "https://sns.us-west-2.amazonaws.com.evil.test" + awsCertPath,
		"pattern host in the path":  "https://evil.test/sns.us-west-2.amazonaws.com.pem",
		"pattern host as user info": "https://sns.us-west-2.amazonaws.com@evil.test" + awsCertPath,
		"global endpoint":           "https://sns.amazonaws.com" + awsCertPath,
		"http":                      "http://sns.us-west-2.amazonaws.com" + awsCertPath,
		"other scheme":              "ftp://sns.us-west-2.amazonaws.com" + awsCertPath,
		"query string":              host + awsCertPath + "?x=1",
		"query ending in .pem":      host + "/cert?x=.pem",
		"empty query":               host + awsCertPath + "?",
		"user info":                 "https://user:pw@sns.us-west-2.amazonaws.com" + awsCertPath,
		"fragment":                  host + awsCertPath + "#x",
		"not .pem":                  host + "/SimpleNotificationService-7506.crt",
		"relative":                  awsCertPath,
		"empty":                     "",
		"unparseable":               "https://sns.us-west-2.amazonaws.com:x/a.pem",
	} {
		err := v.VerifySNS(context.Background(), withCertURL(t, u))
		requireCheck(t, err, receiver.CheckCertHost, name)
		require.ErrorIs(t, err, receiver.ErrCertHost, name)
		requireCheck(t, v.CheckCertURL(u), receiver.CheckCertHost, name)
	}
	require.Equal(t, 0, rs.hitCount(awsCertPath)+rs.hitCount("/cert"), "nothing refused is fetched")

	for name, u := range map[string]string{
		"china":       "https://sns.cn-north-1.amazonaws.com.cn" + awsCertPath,
		"with a port": "https://sns.us-west-2.amazonaws.com:443" + awsCertPath,
	} {
		require.NoError(t, v.CheckCertURL(u), name)
	}
}

func TestVerifySNS_HostPattern(t *testing.T) {
	rs := newRoutedServer(t)
	for _, tt := range []struct {
		pattern, url string
		ok           bool
	}{
		{`sns\.example\.test`, "https://sns.example.test" + awsCertPath, true},
		{`sns\.example\.test`, "https://sns.example.test:8443" + awsCertPath, true},
		{`sns\.example\.test:8443`, "https://sns.example.test:8443" + awsCertPath, true},
		{`sns\.example\.test:8443`, "https://sns.example.test:9443" + awsCertPath, false},
		{`example\.test`, "https://sns.example.test" + awsCertPath, false}, // matched in full
		{`example\.test`, "https://example.test.evil.test" + awsCertPath, false},
		{`a\.test|example\.test`, "https://example.test" + awsCertPath, true},
	} {
		v := awsVerifier(t, rs, func(o *receiver.Options) { o.CertHostPattern = regexp.MustCompile(tt.pattern) })
		err := v.VerifySNS(context.Background(), withCertURL(t, tt.url))
		if tt.ok {
			require.NoError(t, err, "%s on %s", tt.pattern, tt.url)
		} else {
			requireCheck(t, err, receiver.CheckCertHost, "%s on %s", tt.pattern, tt.url)
		}
	}
}

func TestVerifySNS_AllowHTTP(t *testing.T) {
	cert := fixture.Read(t, "aws-sns", awsCert)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(cert) }))
	t.Cleanup(srv.Close)
	m := withCertURL(t, srv.URL+awsCertPath)
	host := regexp.MustCompile(regexp.QuoteMeta(strings.TrimPrefix(srv.URL, "http://")))

	v, err := receiver.NewVerifier(receiver.Options{CertHostPattern: host})
	require.NoError(t, err)
	requireCheck(t, v.VerifySNS(context.Background(), m), receiver.CheckCertHost)

	v, err = receiver.NewVerifier(receiver.Options{CertHostPattern: host, AllowHTTP: true})
	require.NoError(t, err)
	require.NoError(t, v.VerifySNS(context.Background(), m))
}

func TestVerifySNS_CertFetchFailures(t *testing.T) {
	cert := fixture.Read(t, "aws-sns", awsCert)
	for _, tt := range []struct {
		name  string
		resp  response
		check receiver.Check
	}{
		{"404", response{status: 404, body: []byte("no")}, receiver.CheckCertFetch},
		{"500", response{status: 500}, receiver.CheckCertFetch},
		{"redirect not followed", response{status: 302, header: http.Header{"Location": {awsCertPath}}}, receiver.CheckCertFetch},
		{"oversize", response{status: 200, body: append(cert, make([]byte, 64<<10)...)}, receiver.CheckCertFetch},
		{"timeout", response{status: 200, body: cert, delay: 2 * time.Second}, receiver.CheckCertFetch},
		{"not a certificate", response{status: 200, body: []byte("hello")}, receiver.CheckCertificate},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := newRoutedServer(t)
			rs.set("/bad.pem", tt.resp)
			v := awsVerifier(t, rs, func(o *receiver.Options) { o.FetchTimeout = 200 * time.Millisecond })
			m := withCertURL(t, "https://sns.us-west-2.amazonaws.com/bad.pem")
			err := v.VerifySNS(context.Background(), m)
			requireCheck(t, err, tt.check)

			rs.set("/bad.pem", response{status: 200, body: cert})
			require.NoError(t, v.VerifySNS(context.Background(), m), "failures are not cached")
		})
	}
}

func TestVerifySNS_MaxCertBytes(t *testing.T) {
	rs := newRoutedServer(t)
	v := awsVerifier(t, rs, func(o *receiver.Options) { o.MaxCertBytes = 100 })
	err := v.VerifySNS(context.Background(), parseFixture(t, "notification-no-subject.json"))
	requireCheck(t, err, receiver.CheckCertFetch)
	require.ErrorIs(t, err, receiver.ErrCertFetch)
	require.Contains(t, err.Error(), "larger than 100 bytes")
}

func TestVerifySNS_CertCache(t *testing.T) {
	rs := newRoutedServer(t)
	rs.set(awsCertPath, response{status: 200, body: fixture.Read(t, "aws-sns", awsCert), delay: 50 * time.Millisecond})
	v := awsVerifier(t, rs, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			assert := v.VerifySNS(context.Background(), parseFixture(t, "notification-no-subject.json"))
			if assert != nil {
				t.Error(assert)
			}
		})
	}
	wg.Wait()
	require.NoError(t, v.VerifySNS(context.Background(), parseFixture(t, "unsubscribe-confirmation.json")))
	require.Equal(t, 1, rs.hitCount(awsCertPath), "concurrent misses share one fetch; hits are cached")

	// A canceled caller stops waiting; the fetch still fills the cache.
	rs2 := newRoutedServer(t)
	rs2.set(awsCertPath, response{status: 200, body: fixture.Read(t, "aws-sns", awsCert), delay: 100 * time.Millisecond})
	v2 := awsVerifier(t, rs2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	requireCheck(t, v2.VerifySNS(ctx, parseFixture(t, "unsubscribe-confirmation.json")), receiver.CheckCertFetch)
	require.Eventually(t, func() bool {
		return v2.VerifySNS(context.Background(), parseFixture(t, "unsubscribe-confirmation.json")) == nil
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 1, rs2.hitCount(awsCertPath))
}

func TestVerifySNS_CacheIsBounded(t *testing.T) {
	rs := newRoutedServer(t)
	cert := fixture.Read(t, "aws-sns", awsCert)
	rs.set("/a.pem", response{status: 200, body: cert})
	rs.set("/b.pem", response{status: 200, body: cert})
	v := awsVerifier(t, rs, func(o *receiver.Options) { o.CacheSize = 1 })
	for _, p := range []string{"/a.pem", "/a.pem", "/b.pem", "/a.pem"} {
		require.NoError(t, v.VerifySNS(context.Background(), withCertURL(t, "https://sns.us-west-2.amazonaws.com"+p)))
	}
	require.Equal(t, 2, rs.hitCount("/a.pem"), "a was evicted by b")
	require.Equal(t, 1, rs.hitCount("/b.pem"))
}

func TestNewVerifier_Options(t *testing.T) {
	for name, o := range map[string]receiver.Options{
		"key base ftp":       {KeyBaseURL: "ftp://keys.example.test"},
		"key base http":      {KeyBaseURL: "http://keys.example.test"},
		"key base relative":  {KeyBaseURL: "/keys"},
		"key base query":     {KeyBaseURL: "https://keys.example.test/?a=b"},
		"key base fragment":  {KeyBaseURL: "https://keys.example.test/#a"},
		"key base user":      {KeyBaseURL: "https://u@keys.example.test/"},
		"negative timeout":   {FetchTimeout: -1},
		"negative cache":     {CacheSize: -1},
		"negative body size": {MaxBodyBytes: -1},
	} {
		_, err := receiver.NewVerifier(o)
		require.Error(t, err, name)
	}
	for name, o := range map[string]receiver.Options{
		"zero":             {},
		"key base https":   {KeyBaseURL: "https://keys.example.test/keys/"},
		"key base http ok": {KeyBaseURL: "http://127.0.0.1:1/keys", AllowHTTP: true},
	} {
		_, err := receiver.NewVerifier(o)
		require.NoError(t, err, name)
	}
}
