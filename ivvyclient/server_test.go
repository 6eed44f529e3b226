package ivvyclient_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/iws"
)

const (
	testKey    = "TESTKEY0123456789abcdef"
	testSecret = "test-secret-2f7a9c1e5b3d"
)

// seen is what the fake server recorded of one request.
type seen struct {
	Header     http.Header
	RequestURI string
	Body       []byte
}

// fakeServer is an iVvy API that verifies IWS signatures with internal/iws
// and answers with reply.
type fakeServer struct {
	*httptest.Server
	mu    sync.Mutex
	last  seen
	reply func(namespace, action string, body []byte) (int, any)
}

// newFakeServer starts a fake iVvy API that knows testKey and replies with
// reply once a request verifies.
func newFakeServer(t *testing.T, reply func(namespace, action string, body []byte) (int, any)) *fakeServer {
	t.Helper()
	f := &fakeServer{reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// serve verifies a request the way the real server does and replies.
func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.last = seen{Header: r.Header.Clone(), RequestURI: r.RequestURI, Body: body}
	f.mu.Unlock()
	s, err := iws.Parse(r, body)
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errorCode": 401, "message": err.Error()})
		return
	}
	if err := s.CheckTime(time.Now(), iws.DefaultWindow); err != nil {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"errorCode": 401, "message": "Request is stale", "specificCode": 23005,
		})
		return
	}
	if s.Key != testKey || !s.Verify(testSecret) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errorCode": 401, "message": "Invalid signature"})
		return
	}
	status, out := f.reply(pathNamespace(r.URL.Path), r.URL.Query().Get("action"), body)
	if raw, ok := out.(string); ok {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, raw)
		return
	}
	writeJSON(w, status, out)
}

// lastRequest returns what the server saw of the latest request.
func (f *fakeServer) lastRequest() seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// pathNamespace returns the namespace of an /api/1.0/{namespace} path.
func pathNamespace(path string) string {
	const prefix = "/api/1.0/"
	if len(path) <= len(prefix) {
		return ""
	}
	return path[len(prefix):]
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// pingReply answers ping with a fixed ack.
func pingReply(namespace, action string, _ []byte) (int, any) {
	if namespace == "test" && action == "ping" {
		return http.StatusOK, map[string]string{"ack": "2026-11-23 10:15:30 UTC"}
	}
	return http.StatusNotFound, map[string]any{"errorCode": 404, "message": "Unknown action"}
}
