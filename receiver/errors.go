package receiver

import (
	"errors"
	"net/http"
	"strings"
)

// Check names one of the checks a message must pass. Every error returned by
// a Verifier or reported by a Handler is a *CheckError naming the check that
// failed; its Error text starts with "receiver: <check>: ".
type Check string

// The checks, in the order a Handler runs them.
const (
	// CheckMalformed: the request or a message in it is not well formed
	// (bad JSON, a missing key, a header that contradicts the body, a body
	// over the size limit, an iVvy message that does not parse).
	CheckMalformed Check = "malformed message"
	// CheckCertHost: the SigningCertURL is refused before any fetch: not
	// https, host outside the pattern, a query, user info, a fragment, or
	// a path not ending in ".pem".
	CheckCertHost Check = "cert host"
	// CheckCertFetch: the signing certificate could not be fetched
	// (network error, timeout, non-200 status, larger than the limit).
	CheckCertFetch Check = "cert fetch"
	// CheckCertificate: the fetched certificate is unusable: not a PEM
	// certificate, not RSA, or (with Options.CheckCertDates) outside its
	// validity period.
	CheckCertificate Check = "certificate"
	// CheckSNSSignature: the SNS signature does not verify.
	CheckSNSSignature Check = "SNS signature"
	// CheckStale: the SNS Timestamp is further from now than
	// Options.MaxMessageAge.
	CheckStale Check = "stale message"
	// CheckUnknownTopic: HandlerOptions.AllowTopic refused the TopicArn.
	CheckUnknownTopic Check = "unknown topic"
	// CheckKeyFetch: the account's public key could not be fetched or
	// parsed.
	CheckKeyFetch Check = "key fetch"
	// CheckInnerSignature: the iVvy message's signature does not verify,
	// or its SigningPublicKeyPath is refused.
	CheckInnerSignature Check = "inner signature"
	// CheckConfirm: visiting the SubscribeURL failed or was refused.
	CheckConfirm Check = "subscription confirmation"
	// CheckDuplicate: the MessageId was already handled. A Handler answers
	// duplicates with 200 and reports them to HandlerOptions.OnError.
	CheckDuplicate Check = "duplicate"
)

// Sentinel errors for the checks that have no sentinel in the lower-level
// functions. errors.Is(err, ErrStale) is true for a *CheckError with
// CheckStale, and likewise for each check (see CheckError.Is).
var (
	ErrCertHost     = errors.New("receiver: signing certificate URL refused")
	ErrCertFetch    = errors.New("receiver: signing certificate fetch failed")
	ErrStale        = errors.New("receiver: stale message")
	ErrUnknownTopic = errors.New("receiver: unknown topic")
	ErrKeyFetch     = errors.New("receiver: public key fetch failed")
	ErrConfirm      = errors.New("receiver: subscription confirmation failed")
	ErrDuplicate    = errors.New("receiver: duplicate message")
)

// sentinels maps each check to the sentinel error errors.Is matches.
var sentinels = map[Check]error{
	CheckMalformed:      ErrMalformedMessage,
	CheckCertHost:       ErrCertHost,
	CheckCertFetch:      ErrCertFetch,
	CheckCertificate:    ErrCertificate,
	CheckSNSSignature:   ErrSNSSignature,
	CheckStale:          ErrStale,
	CheckUnknownTopic:   ErrUnknownTopic,
	CheckKeyFetch:       ErrKeyFetch,
	CheckInnerSignature: ErrIvvySignature,
	CheckConfirm:        ErrConfirm,
	CheckDuplicate:      ErrDuplicate,
}

// CheckError reports which check a message failed, and why.
type CheckError struct {
	// Check is the check that failed.
	Check Check
	// Err is the reason; it may wrap the lower-level sentinels
	// (ErrMalformedIvvyMessage, ErrUnsupportedSignatureVersion, …).
	Err error
}

// Error returns "receiver: <check>: <reason>".
func (e *CheckError) Error() string {
	reason := "failed"
	if e.Err != nil {
		reason = strings.TrimPrefix(e.Err.Error(), "receiver: ")
	}
	return "receiver: " + string(e.Check) + ": " + reason
}

// Unwrap returns Err.
func (e *CheckError) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e.Check (ErrSNSSignature for
// CheckSNSSignature, ErrStale for CheckStale, …).
func (e *CheckError) Is(target error) bool {
	s, ok := sentinels[e.Check]
	return ok && s == target
}

// CheckOf returns the check err failed, if err is or wraps a *CheckError.
func CheckOf(err error) (Check, bool) {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce.Check, true
	}
	return "", false
}

// HTTPStatus is the status a Handler answers a failed check with: 403 for
// CheckUnknownTopic; 503 for CheckCertFetch and CheckKeyFetch and 502 for
// CheckConfirm, so that the sender retries a transient failure; 200 for
// CheckDuplicate; 400 for every other check.
func (c Check) HTTPStatus() int {
	switch c {
	case CheckUnknownTopic:
		return http.StatusForbidden
	case CheckCertFetch, CheckKeyFetch:
		return http.StatusServiceUnavailable
	case CheckConfirm:
		return http.StatusBadGateway
	case CheckDuplicate:
		return http.StatusOK
	}
	return http.StatusBadRequest
}

// fail returns a *CheckError for check c with reason err.
func fail(c Check, err error) error {
	return &CheckError{Check: c, Err: err}
}
