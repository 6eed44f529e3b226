// Package ivvyclient is a Go client for the iVvy API as served by iVvy and
// by ivvy-notify, its self-hostable, wire-compatible implementation.
//
// Every call is a signed POST of a JSON body to
// {baseURL}/api/1.0/{namespace}?action={action}. Requests are signed with
// IWS (HMAC-SHA1 over the method, Content-MD5, Content-Type, date, request
// URI and IVVY headers) using the API key and secret given to [New].
//
//	c := ivvyclient.New("https://notify.example.com", key, secret)
//	ack, err := c.Ping(ctx)
//
// Typed helpers cover the notification API: [Client.Ping],
// [Client.SubscribeToNotifications] and
// [Client.UnsubscribeFromNotifications]; [Client.Call] reaches any other
// action. A non-2xx response is returned as an [*APIError] carrying iVvy's
// error code, message and specific code:
//
//	var apiErr *ivvyclient.APIError
//	if errors.As(err, &apiErr) && apiErr.SpecificCode == ivvyclient.SpecificCodeStale {
//		// the client's clock is more than 5 minutes off
//	}
package ivvyclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/iws"
)

// MaxResponseBytes bounds how much of a response body the client reads.
const MaxResponseBytes = 4 << 20

// DefaultTimeout is the overall timeout of the default HTTP client.
const DefaultTimeout = 30 * time.Second

// userAgent identifies this client to the server.
const userAgent = "ivvy-notify-ivvyclient/1"

// Dialect selects which iVvy SDK the client imitates when signing; the
// server accepts both.
type Dialect = iws.Dialect

const (
	// DialectJS signs like iVvy's JS SDK (Content-Type application/json,
	// X-Api-Version 1.0, IVVY-Date without zone). It is the default.
	DialectJS = iws.DialectJS
	// DialectDotNet signs like iVvy's .NET SDK (Content-Type
	// application/json; charset=utf-8, no X-Api-Version, IVVY-Date with
	// " UTC").
	DialectDotNet = iws.DialectDotNet
)

// Client calls the iVvy API with one API key. It is safe for concurrent use.
type Client struct {
	baseURL string
	key     string
	secret  string
	http    *http.Client
	dialect Dialect
	now     func() time.Time
}

// Option configures a [Client].
type Option func(*Client)

// WithHTTPClient makes the client send requests through hc instead of an
// http.Client with a [DefaultTimeout] timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// WithDialect makes the client sign as the given iVvy SDK does.
func WithDialect(d Dialect) Option {
	return func(c *Client) { c.dialect = d }
}

// WithClock makes the client date its requests with now instead of
// time.Now. Requests more than 5 minutes off the server's clock are
// rejected as stale.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// New returns a client for the API at baseURL (scheme, host and port, e.g.
// "https://api.ivvy.com"; a trailing slash is ignored) that signs with the
// API key and secret.
func New(baseURL, key, secret string, opts ...Option) *Client {
	c := &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		key:     key,
		secret:  secret,
		http:    &http.Client{Timeout: DefaultTimeout},
		now:     time.Now,
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Call invokes action in namespace: it POSTs in as JSON (a nil in sends an
// empty body) to {baseURL}/api/1.0/{namespace}?action={action}, and decodes
// a 2xx JSON response into out unless out is nil. A non-2xx response is
// returned as an [*APIError].
func (c *Client) Call(ctx context.Context, namespace, action string, in, out any) error {
	data, status, err := c.do(ctx, namespace, action, in)
	if err != nil {
		return fmt.Errorf("ivvy %s?action=%s: %w", namespace, action, err)
	}
	if status < 200 || status > 299 {
		return newAPIError(status, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("ivvy %s?action=%s: decoding response: %w", namespace, action, err)
	}
	return nil
}

// do sends one signed request and returns the response status and body.
func (c *Client) do(ctx context.Context, namespace, action string, in any) ([]byte, int, error) {
	body, err := encode(in)
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint(namespace, action), bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if err := iws.SignRequest(req, body, c.key, c.secret, c.now(), c.dialect); err != nil {
		return nil, 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("reading response: %w", err)
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if len(data) > MaxResponseBytes && ok {
		return nil, 0, fmt.Errorf("response body exceeds %d bytes", MaxResponseBytes)
	}
	return data, resp.StatusCode, nil
}

// endpoint returns the URL of an action.
func (c *Client) endpoint(namespace, action string) string {
	return c.baseURL + "/api/" + iws.APIVersion1 + "/" + url.PathEscape(namespace) +
		"?action=" + url.QueryEscape(action)
}

// encode marshals a request body; nil is the empty body.
func encode(in any) ([]byte, error) {
	if in == nil {
		return nil, nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encoding request: %w", err)
	}
	return b, nil
}
