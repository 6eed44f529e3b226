package receiver

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultCertHostPattern is the SigningCertURL host pattern of AWS's own
// validators: the regional SNS endpoints, sns.<region>.amazonaws.com and
// sns.<region>.amazonaws.com.cn.
const DefaultCertHostPattern = `^sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?$`

// Defaults applied by NewVerifier to zero Options fields.
const (
	// DefaultFetchTimeout bounds each certificate, key or SubscribeURL
	// request.
	DefaultFetchTimeout = 10 * time.Second
	// DefaultMaxCertBytes bounds a fetched certificate or public key.
	DefaultMaxCertBytes = 64 << 10
	// DefaultMaxBodyBytes bounds a request body: SNS's 256 KB message limit,
	// doubled for the JSON escaping of the Message string, plus 64 KiB for
	// the envelope.
	DefaultMaxBodyBytes = 2*262144 + 64<<10
	// DefaultCacheSize is how many certificates, and how many public keys,
	// a Verifier keeps.
	DefaultCacheSize = 100
)

// Options configure a Verifier. The zero value verifies messages from Amazon
// SNS with certificates fetched over https; set KeyBaseURL to verify iVvy
// messages too.
type Options struct {
	// CertHostPattern is matched against the host of SigningCertURL (and of
	// SubscribeURL) and must match all of it: it is applied as
	// ^(?:pattern)$. It is tried on the host name without the port first,
	// then on host:port, so both `^sns\.example\.com$` and
	// `^localhost:8443$` work. Nil means DefaultCertHostPattern. For
	// ivvy-notify, use the host of its public URL.
	CertHostPattern *regexp.Regexp
	// AllowHTTP accepts http:// (not only https://) for SigningCertURL,
	// SubscribeURL and KeyBaseURL. Only for local testing: over plain http
	// anyone on the path can swap the certificate.
	AllowHTTP bool
	// KeyBaseURL is where account public keys are served: an iVvy
	// message's key is fetched from KeyBaseURL + SigningPublicKeyPath (the
	// SIGNING_BASE_PATH of iVvy's .NET receiver), for example
	// "https://notify.example.com/keys". A trailing slash is ignored. Empty
	// means iVvy messages cannot be verified.
	KeyBaseURL string
	// HTTPClient makes every request. Nil means a client with
	// FetchTimeout as its timeout. Redirects are never followed, whatever
	// the client's CheckRedirect says.
	HTTPClient *http.Client
	// FetchTimeout bounds each request; 0 means DefaultFetchTimeout.
	FetchTimeout time.Duration
	// MaxCertBytes bounds a certificate or public key response; 0 means
	// DefaultMaxCertBytes.
	MaxCertBytes int64
	// MaxBodyBytes bounds the request body ParseRequest reads; 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// CacheSize bounds the certificate cache and the key cache (each keyed
	// by URL; failures are not cached); 0 means DefaultCacheSize.
	CacheSize int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxMessageAge, if positive, rejects (CheckStale) a message whose SNS
	// Timestamp is more than MaxMessageAge before or after Now. Zero turns
	// the check off, which is the default because senders retry with the
	// original bytes: a message retried, or redriven from a dead-letter
	// store, hours later is genuine.
	MaxMessageAge time.Duration
	// CheckCertDates rejects (CheckCertificate) a certificate outside its
	// validity period at Now. AWS's PHP, JS and .NET validators do not check
	// dates; AWS's Java validator does.
	CheckCertDates bool
}

// Verifier checks SNS messages and the iVvy messages inside them, fetching
// and caching signing certificates and account public keys. It is safe for
// concurrent use; share one across requests so its caches work.
type Verifier struct {
	hostRE    *regexp.Regexp
	allowHTTP bool
	keyBase   string // without a trailing slash; "" when unset
	client    *http.Client
	timeout   time.Duration
	maxCert   int64
	maxBody   int64
	now       func() time.Time
	maxAge    time.Duration
	dates     bool

	certs *cache[*x509.Certificate]
	keys  *cache[*rsa.PublicKey]
}

// NewVerifier returns a Verifier for o, with defaults for zero fields. It
// fails when KeyBaseURL is not an absolute https URL (or http with
// AllowHTTP) without query or fragment, or when a limit is negative.
func NewVerifier(o Options) (*Verifier, error) {
	if o.FetchTimeout < 0 || o.MaxCertBytes < 0 || o.MaxBodyBytes < 0 || o.CacheSize < 0 || o.MaxMessageAge < 0 {
		return nil, errors.New("receiver: negative limit in Options")
	}
	pattern := DefaultCertHostPattern
	if o.CertHostPattern != nil {
		pattern = o.CertHostPattern.String()
	}
	v := &Verifier{
		hostRE:    regexp.MustCompile(`^(?:` + pattern + `)$`), // a valid pattern stays valid
		allowHTTP: o.AllowHTTP,
		timeout:   orDefault(o.FetchTimeout, DefaultFetchTimeout),
		maxCert:   orDefault(o.MaxCertBytes, DefaultMaxCertBytes),
		maxBody:   orDefault(o.MaxBodyBytes, DefaultMaxBodyBytes),
		now:       o.Now,
		maxAge:    o.MaxMessageAge,
		dates:     o.CheckCertDates,
		certs:     newCache[*x509.Certificate](orDefault(o.CacheSize, DefaultCacheSize)),
		keys:      newCache[*rsa.PublicKey](orDefault(o.CacheSize, DefaultCacheSize)),
	}
	if v.now == nil {
		v.now = time.Now
	}
	client := &http.Client{Timeout: v.timeout}
	if o.HTTPClient != nil {
		c := *o.HTTPClient
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	v.client = client
	if o.KeyBaseURL != "" {
		u, err := url.Parse(o.KeyBaseURL)
		if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
			return nil, fmt.Errorf("receiver: KeyBaseURL %q must be an absolute URL without user info, query or fragment", o.KeyBaseURL)
		}
		if err := v.checkScheme(u); err != nil {
			return nil, fmt.Errorf("receiver: KeyBaseURL: %w", err)
		}
		v.keyBase = strings.TrimRight(o.KeyBaseURL, "/")
	}
	return v, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// checkScheme accepts https, and http when AllowHTTP is set.
func (v *Verifier) checkScheme(u *url.URL) error {
	if u.Scheme == "https" || (u.Scheme == "http" && v.allowHTTP) {
		return nil
	}
	if u.Scheme == "http" {
		return errors.New("http is not allowed (https required; Options.AllowHTTP is off)")
	}
	return fmt.Errorf("scheme %q is not https", u.Scheme)
}

// hostAllowed reports whether the pattern matches u's host name, or failing
// that its host:port.
func (v *Verifier) hostAllowed(u *url.URL) bool {
	return u.Hostname() != "" && (v.hostRE.MatchString(u.Hostname()) || v.hostRE.MatchString(u.Host))
}
