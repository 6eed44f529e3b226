package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// classifyError turns a failed round trip into an Outcome. reqCtx is the
// attempt's context (with its timeout), parent the caller's: when the
// caller's context ended first, the attempt was interrupted, not timed out.
func classifyError(err error, reqCtx, parent context.Context, timeout time.Duration) Outcome {
	if errors.Is(err, webhookurl.ErrForbiddenAddress) {
		return Outcome{Class: Forbidden, Err: "address forbidden: " + forbiddenReason(err)}
	}
	if parent.Err() != nil {
		return Outcome{Class: Retry, Err: "interrupted: " + parent.Err().Error()}
	}
	if errors.Is(reqCtx.Err(), context.DeadlineExceeded) || isTimeout(err) {
		return Outcome{Class: Retry, Err: "timeout after " + timeout.String()}
	}
	return Outcome{Class: Retry, Err: networkReason(err)}
}

// isTimeout reports a network-level timeout (dial, TLS, response headers).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// forbiddenReason digs out the policy's own message ("10.0.0.1 is a
// private address"): the deepest error on the chain that still matches
// ErrForbiddenAddress.
func forbiddenReason(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil || !errors.Is(next, webhookurl.ErrForbiddenAddress) {
			return err.Error()
		}
		err = next
	}
}

// networkReason names a connection-level failure briefly, never quoting
// the URL (url.Error's message would).
func networkReason(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before the response was complete"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &dnsErr):
		return "cannot resolve host " + dnsErr.Name + ": " + dnsErr.Err
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return "TLS certificate not accepted: " + unwrapURLError(err).Error()
	}
	return unwrapURLError(err).Error()
}

// unwrapURLError drops the *url.Error wrapper, whose message holds the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
