package iws

import (
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultWindow is how far a request's date may be from the server's clock,
// in the past or the future, before the request is stale (SPEC §1.1).
const DefaultWindow = 5 * time.Minute

// Header names used by IWS.
const (
	// HeaderAuthorization carries "IWS {key}:{signature}".
	HeaderAuthorization = "X-Api-Authorization"
	// HeaderContentMD5 carries the lowercase hex MD5 of the body.
	HeaderContentMD5 = "Content-MD5"
	// HeaderContentType carries the body's media type; it is signed as sent.
	HeaderContentType = "Content-Type"
	// HeaderIvvyDate carries the request time as "yyyy-mm-dd HH:MM:SS"
	// (optionally followed by " UTC"); it is signed as an IVVY header.
	HeaderIvvyDate = "IVVY-Date"
	// HeaderDate carries the request time as an HTTP date; it is signed
	// only when there is no IVVY-Date.
	HeaderDate = "Date"
	// HeaderAPIVersion optionally carries "1.0"; it is not signed.
	HeaderAPIVersion = "X-Api-Version"
)

// Errors returned by [Parse] and [Signed.CheckTime]. They are wrapped with
// detail; test for them with errors.Is.
var (
	// ErrMissingHeader means a required header is absent or empty; the
	// wrapping error names it.
	ErrMissingHeader = errors.New("missing required header")
	// ErrDuplicateHeader means a signed header that must appear once was
	// sent several times; the wrapping error names it.
	ErrDuplicateHeader = errors.New("header must appear only once")
	// ErrMalformedAuthorization means X-Api-Authorization is not of the
	// form "IWS {key}:{signature}".
	ErrMalformedAuthorization = errors.New(`malformed X-Api-Authorization header: expected "IWS {key}:{signature}" with a 40-digit hex signature`)
	// ErrContentMD5Mismatch means Content-MD5 is not the MD5 of the body.
	ErrContentMD5Mismatch = errors.New("Content-MD5 does not match the MD5 of the request body")
	// ErrMalformedDate means the IVVY-Date or Date header could not be
	// parsed.
	ErrMalformedDate = errors.New(`malformed date: expected IVVY-Date "yyyy-mm-dd HH:MM:SS" (optionally followed by " UTC") or an HTTP Date in GMT`)
	// ErrStale means the request's date is too far from the server's clock.
	ErrStale = errors.New("request is stale")
)

// Signed is a parsed, not yet verified, IWS-signed request.
type Signed struct {
	// Key is the API key from X-Api-Authorization.
	Key string
	// Signature is the signature from X-Api-Authorization, as sent.
	Signature string
	// Time is the request time from IVVY-Date or Date, in UTC.
	Time time.Time
	// StringToSign is the lowercased string the signature must cover.
	StringToSign string
}

// Parse checks the IWS headers of an incoming request whose raw body has
// already been read into body, and returns what must be verified against
// the key's secret.
//
// It fails with [ErrMissingHeader] when X-Api-Authorization, Content-MD5,
// Content-Type, or both IVVY-Date and Date are missing, with
// [ErrDuplicateHeader], [ErrMalformedAuthorization], with
// [ErrContentMD5Mismatch] when Content-MD5 is not the body's MD5, and with
// [ErrMalformedDate]. The request URI is r.RequestURI when set (server
// requests), else r.URL.RequestURI().
func Parse(r *http.Request, body []byte) (*Signed, error) {
	auth, err := single(r.Header, HeaderAuthorization)
	if err != nil {
		return nil, err
	}
	contentMD5, err := single(r.Header, HeaderContentMD5)
	if err != nil {
		return nil, err
	}
	contentType, err := single(r.Header, HeaderContentType)
	if err != nil {
		return nil, err
	}
	t, date, err := requestTime(r.Header)
	if err != nil {
		return nil, err
	}
	key, sig, err := ParseAuthorization(auth)
	if err != nil {
		return nil, err
	}
	want := BodyMD5(body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(contentMD5)), []byte(want)) != 1 {
		return nil, ErrContentMD5Mismatch
	}
	return &Signed{
		Key:       key,
		Signature: sig,
		Time:      t,
		StringToSign: StringToSign(Params{
			Method:      r.Method,
			ContentMD5:  contentMD5,
			ContentType: contentType,
			Date:        date,
			RequestURI:  requestURI(r),
			Header:      r.Header,
		}),
	}, nil
}

// Verify reports whether the request's signature is the one secret produces.
// The comparison is constant-time and ignores the case of the hex digits.
func (s *Signed) Verify(secret string) bool {
	want := Sign(secret, s.StringToSign)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(s.Signature)))
}

// CheckTime returns an error wrapping [ErrStale] when the request time is
// more than window before or after now.
func (s *Signed) CheckTime(now time.Time, window time.Duration) error {
	skew := now.Sub(s.Time)
	if skew <= window && skew >= -window {
		return nil
	}
	dir := "old"
	if skew < 0 {
		skew, dir = -skew, "in the future"
	}
	return fmt.Errorf("%w: request date %s is %s %s (allowed: %s)",
		ErrStale, s.Time.UTC().Format(ivvyDateLayout+" UTC"), skew.Round(time.Second), dir, window)
}

// ParseAuthorization splits an X-Api-Authorization value of the form
// "IWS {key}:{signature}" (surrounding spaces ignored) into key and
// signature. The key must be non-empty and free of spaces and control
// characters; the signature must be 40 hex digits. Anything else is
// [ErrMalformedAuthorization].
func ParseAuthorization(v string) (key, signature string, err error) {
	creds, ok := strings.CutPrefix(strings.TrimSpace(v), "IWS ")
	if !ok {
		return "", "", ErrMalformedAuthorization
	}
	key, signature, ok = strings.Cut(strings.TrimLeft(creds, " "), ":")
	if !ok || !validKey(key) || !isHexSHA1(signature) {
		return "", "", ErrMalformedAuthorization
	}
	return key, signature, nil
}

// validKey reports whether key is a non-empty API key without spaces,
// colons or control characters.
func validKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c == 0x7f || c == ':' {
			return false
		}
	}
	return true
}

// isHexSHA1 reports whether s is 40 hex digits, either case.
func isHexSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// single returns the only value of header name, failing when it is absent,
// empty or repeated.
func single(h http.Header, name string) (string, error) {
	values := h.Values(name)
	switch {
	case len(values) == 0 || len(values) == 1 && values[0] == "":
		return "", fmt.Errorf("%w: %s", ErrMissingHeader, name)
	case len(values) > 1:
		return "", fmt.Errorf("%w: %s", ErrDuplicateHeader, name)
	}
	return values[0], nil
}

// requestTime returns the request time and the Date header value to sign.
// IVVY-Date wins over Date; the Date header is then not signed.
func requestTime(h http.Header) (time.Time, string, error) {
	if v, ok := ivvyDate(h); ok {
		t, err := ParseIvvyDate(v)
		return t, "", err
	}
	date, err := single(h, HeaderDate)
	if errors.Is(err, ErrMissingHeader) {
		return time.Time{}, "", fmt.Errorf("%w: %s or %s", ErrMissingHeader, HeaderIvvyDate, HeaderDate)
	}
	if err != nil {
		return time.Time{}, "", err
	}
	t, err := ParseHTTPDate(date)
	return t, date, err
}

// requestURI returns the path and query of r as sent.
func requestURI(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	if r.URL == nil {
		return ""
	}
	return r.URL.RequestURI()
}
