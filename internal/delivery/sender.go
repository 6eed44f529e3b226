package delivery

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// Sender limits and defaults.
const (
	// DefaultRequestTimeout bounds one attempt, as SNS waits 15 s.
	DefaultRequestTimeout = 15 * time.Second
	// MaxResponseRead is how much of a response body is read (the rest is
	// discarded unread and the connection dropped).
	MaxResponseRead = 64 << 10
	// ExcerptSize is how much of the response body Outcome.Excerpt keeps.
	ExcerptSize = 4 << 10
)

// Class is the verdict on one delivery attempt.
type Class int

// Attempt classes (SPEC §7).
const (
	// Delivered: the receiver answered 2xx.
	Delivered Class = iota + 1
	// Retry: 408, 429, 5xx, a timeout or a connection error; try again later.
	Retry
	// Fail: any other answer (3xx, 4xx); retrying will not help.
	Fail
	// Forbidden: the address connected to is refused by the SSRF policy.
	// Callers treat it like Fail.
	Forbidden
)

// String names the class for logs.
func (c Class) String() string {
	switch c {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	case Fail:
		return "fail"
	case Forbidden:
		return "forbidden"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Request is one POST to a webhook.
type Request struct {
	// URL is the subscription's endpoint.
	URL string
	// Body is sent byte for byte.
	Body []byte
	// Header holds the SNS headers (sns.Headers); Content-Length is added.
	Header http.Header
}

// Outcome is the classified result of one attempt.
type Outcome struct {
	// Class is the verdict.
	Class Class
	// StatusCode is the HTTP status, 0 when no response arrived.
	StatusCode int
	// Duration is the time from sending to the end of reading the answer.
	Duration time.Duration
	// RetryAfter is the receiver's Retry-After (seconds or HTTP date), 0 if
	// absent, invalid or in the past.
	RetryAfter time.Duration
	// Err is a human-readable reason ("HTTP 503", "timeout after 15s",
	// "connection refused"); empty when delivered. It never contains the
	// URL, whose query may hold secrets.
	Err string
	// Excerpt is the first ExcerptSize bytes of the response body, raw.
	Excerpt string
}

// Sender POSTs deliveries the way SNS does: no redirects followed, no
// proxy, the SSRF policy checked on the address actually dialled, and a
// bounded time and read per attempt. It is safe for concurrent use.
type Sender struct {
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

// NewSender returns a Sender connecting under policy, each attempt bounded
// by timeout (0 means DefaultRequestTimeout).
func NewSender(policy webhookurl.Policy, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	var base *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		base = dt.Clone()
		// The attempt's own deadline governs, not the policy's 15 s default.
		base.ResponseHeaderTimeout = timeout
		// Many subscriptions may share a receiver's host: keep as many
		// of its connections as the pool holds (MaxIdleConns), rather
		// than dial, and close again, all but a few of a burst's.
		base.MaxIdleConnsPerHost = base.MaxIdleConns
		// HTTP/1.1 only, as SNS sends.
		base.ForceAttemptHTTP2 = false
		base.Protocols = new(http.Protocols)
		base.Protocols.SetHTTP1(true)
	}
	return &Sender{
		client: &http.Client{
			Transport:     policy.Transport(base),
			CheckRedirect: webhookurl.NoRedirects,
		},
		timeout: timeout,
		now:     time.Now,
	}
}

// Timeout returns the per-attempt timeout.
func (s *Sender) Timeout() time.Duration { return s.timeout }

// Send makes one attempt and classifies it. It never returns a zero Class.
func (s *Sender) Send(ctx context.Context, r Request) Outcome {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Outcome{Class: Fail, Err: "invalid webhook URL"}
	}
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Outcome{Class: Fail, Err: "invalid webhook URL"}
	}
	for k, v := range r.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	start := s.now()
	resp, err := s.client.Do(req)
	if err != nil {
		o := classifyError(err, rctx, ctx, s.timeout)
		o.Duration = s.now().Sub(start)
		return o
	}
	excerpt := readBounded(resp.Body)
	o := classifyStatus(resp, s.now())
	o.Duration = s.now().Sub(start)
	o.Excerpt = excerpt
	return o
}

// readBounded reads at most MaxResponseRead bytes of body, keeps the first
// ExcerptSize, and closes it. Read errors only shorten the excerpt: the
// status line has already decided the outcome.
func readBounded(body io.ReadCloser) string {
	defer body.Close()
	var b strings.Builder
	n, _ := io.Copy(&b, io.LimitReader(body, ExcerptSize))
	if n == ExcerptSize {
		_, _ = io.Copy(io.Discard, io.LimitReader(body, MaxResponseRead-ExcerptSize))
	}
	return b.String()
}

// classifyStatus turns a response into an Outcome (SPEC §7).
func classifyStatus(resp *http.Response, now time.Time) Outcome {
	code := resp.StatusCode
	o := Outcome{StatusCode: code, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	switch {
	case code >= 200 && code <= 299:
		o.Class = Delivered
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500 && code <= 599:
		o.Class, o.Err = Retry, fmt.Sprintf("HTTP %d", code)
	case isRedirect(resp):
		o.Class, o.Err = Fail, fmt.Sprintf("redirect %d not followed", code)
	default:
		o.Class, o.Err = Fail, fmt.Sprintf("HTTP %d", code)
	}
	return o
}

// isRedirect reports a 3xx that points elsewhere (not, e.g., 304).
func isRedirect(resp *http.Response) bool {
	switch resp.StatusCode {
	case 301, 302, 303, 307, 308:
		return true
	}
	return resp.StatusCode/100 == 3 && resp.Header.Get("Location") != ""
}

// maxRetryAfter caps a parsed Retry-After so that converting it cannot
// overflow; the retry policy applies the real bounds.
const maxRetryAfter = 30 * 24 * time.Hour

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). It returns 0 for an absent, invalid or past value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		if secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return min(d, maxRetryAfter)
}
