package delivery

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

var allowLocal = webhookurl.Policy{AllowPrivate: true}

func statusHandler(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "answer "+http.StatusText(code))
	}
}

// retryAfterDate answers 429 with a Retry-After date d from now.
func retryAfterDate(d time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		statusHandler(429, "Retry-After", time.Now().Add(d).UTC().Format(http.TimeFormat))(w, r)
	}
}

// hijack answers by taking over the connection and running fn on it.
func hijack(fn func(c net.Conn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		fn(c)
	}
}

func TestSenderClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		handler    http.Handler
		class      Class
		code       int
		err        string
		retryAfter time.Duration // checked to ±3 s
	}{
		{"200", statusHandler(200), Delivered, 200, "", 0},
		{"204", statusHandler(204), Delivered, 204, "", 0},
		{"301", statusHandler(301, "Location", "/elsewhere"), Fail, 301, "redirect 301 not followed", 0},
		{"302", statusHandler(302, "Location", "/elsewhere"), Fail, 302, "redirect 302 not followed", 0},
		{"400", statusHandler(400), Fail, 400, "HTTP 400", 0},
		{"404", statusHandler(404), Fail, 404, "HTTP 404", 0},
		{"410", statusHandler(410), Fail, 410, "HTTP 410", 0},
		{"408", statusHandler(408), Retry, 408, "HTTP 408", 0},
		{"429RetryAfterSeconds", statusHandler(429, "Retry-After", "120"), Retry, 429, "HTTP 429", 120 * time.Second},
		{"429RetryAfterDate", retryAfterDate(90 * time.Second), Retry, 429, "HTTP 429", 90 * time.Second},
		{"429RetryAfterInvalid", statusHandler(429, "Retry-After", "soon"), Retry, 429, "HTTP 429", 0},
		{"500", statusHandler(500), Retry, 500, "HTTP 500", 0},
		{"502", statusHandler(502), Retry, 502, "HTTP 502", 0},
		{"503RetryAfter", statusHandler(503, "Retry-After", "7"), Retry, 503, "HTTP 503", 7 * time.Second},
		{"Timeout", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client leaving
			select {
			case <-r.Context().Done():
				panic(http.ErrAbortHandler) // not an empty 200 the client might still read
			case <-time.After(5 * time.Second):
			}
		}), Retry, 0, "timeout after 200ms", 0},
		{"Reset", hijack(func(c net.Conn) {
			_ = c.(*net.TCPConn).SetLinger(0) // close with RST
			_ = c.Close()
		}), Retry, 0, "connection reset", 0},
		{"ClosedMidResponse", hijack(func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
			_ = c.Close()
		}), Retry, 0, "connection closed before the response was complete", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			o := NewSender(allowLocal, 200*time.Millisecond).Send(context.Background(),
				Request{URL: srv.URL + "/hook?secret=s3cr3t", Body: []byte(`{}`)})
			require.Equal(t, tt.class, o.Class, o.Err)
			require.Equal(t, tt.code, o.StatusCode)
			require.Equal(t, tt.err, o.Err)
			require.InDelta(t, tt.retryAfter.Seconds(), o.RetryAfter.Seconds(), 3)
			require.Positive(t, o.Duration)
			if tt.code != 0 && tt.code != 204 {
				require.Equal(t, "answer "+http.StatusText(tt.code), o.Excerpt)
			}
		})
	}
}

func TestSenderRequest(t *testing.T) {
	t.Parallel()
	body := []byte("{\n  \"Type\" : \"Notification\",\n  \"Message\" : \"caf\u00e9 \\u00e9\"\n}")
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotBody = r, must(io.ReadAll(r.Body))
	}))
	defer srv.Close()
	h := sns.Headers(&sns.Message{Type: sns.TypeNotification, MessageId: "m-1", TopicArn: "arn:t"}, "arn:t:s")

	o := NewSender(allowLocal, 0).Send(context.Background(), Request{URL: srv.URL + "/a/b?c=d", Body: body, Header: h})
	require.Equal(t, Delivered, o.Class)
	require.Equal(t, http.MethodPost, got.Method)
	require.Equal(t, "/a/b?c=d", got.URL.RequestURI())
	require.Equal(t, body, gotBody, "bytes sent as stored")
	require.EqualValues(t, len(body), got.ContentLength)
	require.Equal(t, "Notification", got.Header.Get(sns.HeaderMessageType))
	require.Equal(t, "m-1", got.Header.Get(sns.HeaderMessageID))
	require.Equal(t, "arn:t", got.Header.Get(sns.HeaderTopicArn))
	require.Equal(t, "arn:t:s", got.Header.Get(sns.HeaderSubscriptionArn))
	require.Equal(t, sns.ContentType, got.Header.Get("Content-Type"))
	require.Equal(t, sns.UserAgent, got.Header.Get("User-Agent"))
}

func TestSenderRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", statusHandler(307, "Location", "/target"))
	mux.HandleFunc("/target", func(http.ResponseWriter, *http.Request) { followed.Add(1) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	o := NewSender(allowLocal, 0).Send(context.Background(), Request{URL: srv.URL + "/hook"})
	require.Equal(t, Fail, o.Class)
	require.Equal(t, "redirect 307 not followed", o.Err)
	require.Zero(t, followed.Load())
}

func TestSenderConnectionRefused(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	o := NewSender(allowLocal, time.Second).Send(context.Background(), Request{URL: "http://" + addr + "/?k=secret"})
	require.Equal(t, Retry, o.Class)
	require.Equal(t, "connection refused", o.Err)
	require.Zero(t, o.StatusCode)
}

func TestSenderForbiddenAddress(t *testing.T) {
	t.Parallel()
	var called atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called.Add(1) }))
	defer srv.Close()
	o := NewSender(webhookurl.Policy{}, time.Second).Send(context.Background(), Request{URL: srv.URL + "/?k=secret"})
	require.Equal(t, Forbidden, o.Class)
	require.Equal(t, "address forbidden: 127.0.0.1 is a loopback address", o.Err)
	require.Zero(t, called.Load())
}

func TestSenderInvalidURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ftp://example.com/x?k=secret", "::not a url", "http:///path"} {
		o := NewSender(allowLocal, time.Second).Send(context.Background(), Request{URL: u})
		require.Equal(t, Fail, o.Class, u)
		require.Equal(t, "invalid webhook URL", o.Err)
	}
}

func TestSenderOversizedBody(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for range 64 { // 2 MiB, more than any socket buffer
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	o := NewSender(allowLocal, 5*time.Second).Send(context.Background(), Request{URL: srv.URL})
	require.Equal(t, Delivered, o.Class)
	require.Len(t, o.Excerpt, ExcerptSize)
}

// countingReader is an endless body that counts what was read from it.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'y'
	}
	c.n += int64(len(p))
	return len(p), nil
}

func (c *countingReader) Close() error { return nil }

func TestReadBounded(t *testing.T) {
	t.Parallel()
	r := &countingReader{}
	excerpt := readBounded(r)
	require.Len(t, excerpt, ExcerptSize)
	require.LessOrEqual(t, r.n, int64(MaxResponseRead))

	require.Equal(t, "short", readBounded(io.NopCloser(strings.NewReader("short"))))
}

func TestSenderTransport(t *testing.T) {
	t.Parallel()
	s := NewSender(webhookurl.Policy{}, 0)
	require.Equal(t, DefaultRequestTimeout, s.Timeout())
	tr := s.client.Transport.(*http.Transport)
	require.Nil(t, tr.Proxy, "never through a proxy")
	require.Equal(t, DefaultRequestTimeout, tr.ResponseHeaderTimeout)
	require.True(t, tr.Protocols.HTTP1())
	require.False(t, tr.Protocols.HTTP2(), "HTTP/1.1 only, like SNS")
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"30":                            30 * time.Second,
		" 5 ":                           5 * time.Second,
		"-1":                            0,
		"1.5":                           0,
		"99999999999999999999":          0, // overflows uint64: invalid
		"9999999999":                    maxRetryAfter,
		"Fri, 02 Jan 2026 03:06:05 GMT": 2 * time.Minute,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0, // past
		"tomorrow":                      0,
	}
	for in, want := range tests {
		require.Equal(t, want, parseRetryAfter(in, now), "%q", in)
	}
}

func TestClassString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "delivered", Delivered.String())
	require.Equal(t, "retry", Retry.String())
	require.Equal(t, "fail", Fail.String())
	require.Equal(t, "forbidden", Forbidden.String())
	require.Equal(t, "Class(0)", Class(0).String())
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSenderKeepsConnectionsOfABurst sends two bursts of concurrent
// deliveries to one host: the second must reuse the first's connections.
// Many subscriptions often share a receiver's host (one integrator's
// endpoint for many accounts), and a connection dialled, accepted and
// closed for every delivery beyond a small idle pool costs both ends.
func TestSenderKeepsConnectionsOfABurst(t *testing.T) {
	t.Parallel()
	const burst = 48
	var conns atomic.Int64
	var release atomic.Pointer[chan struct{}]
	var arrived sync.WaitGroup
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wait := *release.Load()
		arrived.Done()
		<-wait // hold every request until the whole burst is in flight
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s := NewSender(allowLocal, 0)
	for round := range 2 {
		arrived.Add(burst)
		wait := make(chan struct{})
		release.Store(&wait)
		var done sync.WaitGroup
		for range burst {
			done.Go(func() {
				o := s.Send(context.Background(), Request{URL: srv.URL + "/hook", Body: []byte(`{}`)})
				require.Equal(t, Delivered, o.Class, o.Err)
			})
		}
		arrived.Wait()
		close(wait)
		done.Wait()
		require.EqualValues(t, burst, conns.Load(), "connections after burst %d", round+1)
	}
}
