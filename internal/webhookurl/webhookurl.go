// Package webhookurl decides what a webhook URL may be: Parse applies the
// syntactic rules when an integrator subscribes, Policy.Check refuses hosts
// that are (or resolve to) loopback, private, link-local, metadata and other
// non-public addresses (SPEC §9), and Policy.Transport / Policy.DialControl
// check the address actually connected to at delivery time, which defeats
// DNS rebinding. NoRedirects keeps an http.Client from following redirects.
//
// Every error's message is a bare reason ("must be an absolute http or https
// URL", "127.0.0.1 is a loopback address") fit for the additionalMessages of
// a 400/23016 answer. Syntax errors match ErrInvalidURL, address refusals
// match ErrForbiddenAddress and a host that does not resolve matches
// ErrUnresolvable (and ErrInvalidURL), so callers map them with errors.Is.
package webhookurl

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidURL is matched (errors.Is) by every error that rejects a URL
	// for its syntax, and by ErrUnresolvable.
	ErrInvalidURL = errors.New("invalid webhook URL")

	// ErrForbiddenAddress is matched by every error that refuses a URL or a
	// connection because of the address it names or resolves to.
	ErrForbiddenAddress = errors.New("forbidden webhook address")

	// ErrPrivateAddress is matched, besides ErrForbiddenAddress, by the
	// refusals that Policy.AllowPrivate lifts: loopback, private and the
	// other local ranges, and loopback names.
	ErrPrivateAddress = errors.New("private webhook address")

	// ErrUnresolvable is matched by Policy.Check's error for a host name that
	// does not resolve; it also matches ErrInvalidURL, as the URL is unusable.
	ErrUnresolvable = fmt.Errorf("%w: host does not resolve", ErrInvalidURL)
)

// reasonError is a refusal whose message is the bare reason and which
// matches its sentinel and, if any, its cause.
type reasonError struct {
	msg  string
	errs []error
}

func (e *reasonError) Error() string   { return e.msg }
func (e *reasonError) Unwrap() []error { return e.errs }

func newError(sentinel, cause error, format string, args ...any) error {
	errs := []error{sentinel}
	if cause != nil {
		errs = append(errs, cause)
	}
	return &reasonError{msg: fmt.Sprintf(format, args...), errs: errs}
}

func invalidf(format string, args ...any) error {
	return newError(ErrInvalidURL, nil, format, args...)
}

func forbiddenf(format string, args ...any) error {
	return newError(ErrForbiddenAddress, nil, format, args...)
}

// privatef is a refusal that Policy.AllowPrivate would lift.
func privatef(format string, args ...any) error {
	return &reasonError{msg: fmt.Sprintf(format, args...), errs: []error{ErrForbiddenAddress, ErrPrivateAddress}}
}
