package webhookurl

import (
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Timeouts Transport sets when its base leaves them zero.
const (
	// DialTimeout bounds connecting, name lookup included.
	DialTimeout = 10 * time.Second
	// TLSHandshakeTimeout bounds the TLS handshake.
	TLSHandshakeTimeout = 10 * time.Second
	// ResponseHeaderTimeout bounds the wait for the response headers once
	// the request is sent; SNS waits 15 s for an answer.
	ResponseHeaderTimeout = 15 * time.Second
)

// MaxResponseHeaderBytes is the response header limit Transport sets when its
// base leaves it zero.
const MaxResponseHeaderBytes = 64 << 10

// DialControl returns a function for net.Dialer.Control that refuses, with
// an error matching ErrForbiddenAddress, to connect to an address
// IsAllowedIP refuses. It runs on the address actually dialled, after name
// resolution, so a name that resolved to a public address at subscribe time
// cannot be rebound to a private one at delivery time.
func (p Policy) DialControl() func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return forbiddenf("cannot check %s address %q", network, address)
		}
		return p.IsAllowedIP(ap.Addr())
	}
}

// Transport returns a clone of base (nil: http.DefaultTransport) that dials
// through a net.Dialer using DialControl, never uses a proxy (an environment
// proxy would be dialled instead of, and hide, the webhook's address), drops
// any custom Dial/DialTLS functions that would bypass the check, and sets
// DialTimeout, TLSHandshakeTimeout, ResponseHeaderTimeout, a 90 s idle
// timeout and MaxResponseHeaderBytes where base leaves them zero. Use it
// with NoRedirects and a client or request timeout.
func (p Policy) Transport(base *http.Transport) *http.Transport {
	var t *http.Transport
	switch dt, ok := http.DefaultTransport.(*http.Transport); {
	case base != nil:
		t = base.Clone()
	case ok:
		t = dt.Clone()
	default:
		t = &http.Transport{ForceAttemptHTTP2: true, MaxIdleConns: 100}
	}
	d := &net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second, Control: p.DialControl()}
	t.Proxy = nil
	t.DialContext = d.DialContext
	// Custom dialers would bypass DialContext and its Control.
	t.Dial, t.DialTLS, t.DialTLSContext = nil, nil, nil
	if t.TLSHandshakeTimeout == 0 {
		t.TLSHandshakeTimeout = TLSHandshakeTimeout
	}
	if t.ResponseHeaderTimeout == 0 {
		t.ResponseHeaderTimeout = ResponseHeaderTimeout
	}
	if t.IdleConnTimeout == 0 {
		t.IdleConnTimeout = 90 * time.Second
	}
	if t.MaxResponseHeaderBytes == 0 {
		t.MaxResponseHeaderBytes = MaxResponseHeaderBytes
	}
	return t
}

// NoRedirects is an http.Client.CheckRedirect that follows no redirect: the
// 3xx response itself is returned to the caller.
func NoRedirects(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}
