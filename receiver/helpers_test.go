package receiver_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// awsCertPath is the path of the fixtures' SigningCertURL.
const awsCertPath = "/" + awsCert

// fixtureTime is a moment inside the fixture certificate's validity, the
// day after the fixtures were signed.
var fixtureTime = time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)

// response is what a routedServer answers for one path.
type response struct {
	status int
	body   []byte
	delay  time.Duration
	header http.Header
}

// routedServer is a loopback TLS server that receives every request its
// client makes, whatever the URL's host: it stands in for
// sns.us-west-2.amazonaws.com so that tests never leave the machine.
type routedServer struct {
	srv *httptest.Server

	mu    sync.Mutex
	files map[string]response
	hits  map[string]int
}

// newRoutedServer starts a routedServer serving the AWS fixture certificate
// at its AWS path.
func newRoutedServer(t testing.TB) *routedServer {
	t.Helper()
	rs := &routedServer{files: map[string]response{}, hits: map[string]int{}}
	rs.srv = httptest.NewTLSServer(http.HandlerFunc(rs.serve))
	t.Cleanup(rs.srv.Close)
	rs.set(awsCertPath, response{status: http.StatusOK, body: fixture.Read(t, "aws-sns", awsCert)})
	return rs
}

func (rs *routedServer) serve(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	rs.hits[r.URL.Path]++
	resp, ok := rs.files[r.URL.Path]
	rs.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if resp.delay > 0 {
		select {
		case <-time.After(resp.delay):
		case <-r.Context().Done():
			// The client gave up. Returning would answer its request with
			// an empty 200, which a transport racing its own cancellation
			// can still hand back as the response; abort the connection
			// instead, as a server that never answered would.
			panic(http.ErrAbortHandler)
		}
	}
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// set makes the server answer path with resp.
func (rs *routedServer) set(path string, resp response) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.files[path] = resp
}

// hitCount returns how many requests path received.
func (rs *routedServer) hitCount(path string) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.hits[path]
}

// client returns a client that dials the server for every host and trusts
// its certificate (httptest's, issued for example.com).
func (rs *routedServer) client() *http.Client {
	tr := rs.srv.Client().Transport.(*http.Transport).Clone()
	addr := rs.srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig.ServerName = "example.com"
	return &http.Client{Transport: tr}
}

// awsVerifier returns a Verifier with the default (AWS) host pattern whose
// requests go to rs, its clock at fixtureTime and CheckCertDates on; mod,
// if set, adjusts the options first.
func awsVerifier(t testing.TB, rs *routedServer, mod func(*receiver.Options)) *receiver.Verifier {
	t.Helper()
	o := receiver.Options{
		HTTPClient:     rs.client(),
		Now:            func() time.Time { return fixtureTime },
		CheckCertDates: true,
	}
	if mod != nil {
		mod(&o)
	}
	v, err := receiver.NewVerifier(o)
	require.NoError(t, err)
	return v
}

// requireCheck asserts that err is a *CheckError for check c.
func requireCheck(t testing.TB, err error, c receiver.Check, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	got, ok := receiver.CheckOf(err)
	require.True(t, ok, "not a CheckError: %v", err)
	require.Equal(t, c, got, "error: %v", err)
	require.Contains(t, err.Error(), "receiver: "+string(c)+": ")
}
