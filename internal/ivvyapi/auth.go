package ivvyapi

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/iws"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// KeyLookup finds an API key and its secret by key id; accounts.Service
// implements it.
type KeyLookup interface {
	LookupKey(ctx context.Context, key string) (*store.APIKey, string, error)
}

// Caller is the authenticated API key making a request.
type Caller struct {
	Key *store.APIKey
}

// MayManageSubscriptions reports whether the caller may subscribe and
// unsubscribe: account-level keys and keys of the primary user may.
func (c *Caller) MayManageSubscriptions() bool {
	return c.Key.UserID == nil || c.Key.Primary
}

// authenticate verifies the request's IWS signature against the key's
// secret, then its date, then that the key is not revoked. Only a correctly
// signed request learns that its date is stale or its key revoked.
// The key id the request claims is kept in ex for the logs.
func (h *Handler) authenticate(r *http.Request, body []byte, ex *exchange) (*Caller, *Error) {
	signed, err := iws.Parse(r, body)
	if err != nil {
		return nil, parseError(err)
	}
	ex.key = signed.Key
	key, secret, err := h.keys.LookupKey(r.Context(), signed.Key)
	if errors.Is(err, accounts.ErrUnknownKey) {
		return nil, NewError(http.StatusUnauthorized, CodeUnknownKey, "Unauthorized", "unknown API key")
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "api key lookup failed", "key", signed.Key, "err", err)
		return nil, internalError()
	}
	if !signed.Verify(secret) {
		return nil, NewError(http.StatusUnauthorized, CodeBadSignature, "Unauthorized",
			"the signature does not match the request; sign the exact body, path and query sent")
	}
	if err := signed.CheckTime(h.now(), iws.DefaultWindow); err != nil {
		ex.detail = err.Error()
		return nil, NewError(http.StatusUnauthorized, CodeStale, "Request is stale",
			"the request date must be within 5 minutes of the server time ("+h.now().UTC().Format(ackLayout)+")")
	}
	if key.RevokedAt != nil {
		return nil, NewError(StatusKeyRevoked, CodeKeyRevoked, "API key has been revoked")
	}
	return &Caller{Key: key}, nil
}

// parseError maps an IWS parsing failure to its iVvy error.
func parseError(err error) *Error {
	code := CodeBadAuthorization
	switch {
	case errors.Is(err, iws.ErrMissingHeader):
		code = CodeMissingHeader
	case errors.Is(err, iws.ErrContentMD5Mismatch):
		code = CodeContentMD5
	case errors.Is(err, iws.ErrMalformedDate):
		code = CodeBadDate
	}
	return NewError(http.StatusUnauthorized, code, "Unauthorized", err.Error())
}

func internalError() *Error {
	return NewError(http.StatusInternalServerError, CodeInternal, "Internal error")
}

// limiter holds one token bucket per API key. The map grows only with keys
// that authenticated, so it is bounded by the keys issued.
type limiter struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	keys  map[string]*rate.Limiter
}

func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{limit: rate.Limit(perSecond), burst: burst, keys: map[string]*rate.Limiter{}}
}

// allow takes a token for key, or returns how long until one is free.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	lim, ok := l.keys[key]
	if !ok {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.keys[key] = lim
	}
	l.mu.Unlock()
	res := lim.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		return false, delay
	}
	return true, 0
}

// rateLimited is the 429 error with a Retry-After of at least one second.
func rateLimited(wait time.Duration) *Error {
	e := NewError(http.StatusTooManyRequests, CodeRateLimited, "Too many requests",
		"this API key is over its request rate; retry after the Retry-After seconds")
	e.RetryAfter = int(math.Max(1, math.Ceil(wait.Seconds())))
	return e
}
