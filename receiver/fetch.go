package receiver

// This file holds the URL rules and the HTTP fetches: signing certificates,
// account public keys and SubscribeURL visits.

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// CheckCertURL reports whether raw is acceptable as a SigningCertURL: an
// absolute https URL (http only with Options.AllowHTTP) whose host matches
// the host pattern, without user info, query or fragment, whose path ends in
// ".pem". Errors are *CheckError with CheckCertHost.
func (v *Verifier) CheckCertURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fail(CheckCertHost, fmt.Errorf("SigningCertURL %q: %w", raw, err))
	}
	var reason string
	switch {
	case !u.IsAbs() || u.Opaque != "" || u.Host == "":
		reason = "not an absolute URL"
	case v.checkScheme(u) != nil:
		reason = v.checkScheme(u).Error()
	case u.User != nil:
		reason = "has user info"
	case u.RawQuery != "" || u.ForceQuery:
		reason = "has a query string"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		reason = "has a fragment"
	case !v.hostAllowed(u):
		reason = fmt.Sprintf("host %q does not match %s", u.Host, v.hostRE)
	case !strings.HasSuffix(u.Path, ".pem"):
		reason = "path does not end in .pem"
	default:
		return nil
	}
	return fail(CheckCertHost, fmt.Errorf("SigningCertURL %q refused: %s", raw, reason))
}

// checkSubscribeURL accepts only a ConfirmSubscription URL on a host the
// certificate host pattern allows, so that a message cannot make the
// receiver GET an arbitrary URL.
func (v *Verifier) checkSubscribeURL(raw string) error {
	u, err := url.Parse(raw)
	var reason string
	switch {
	case err != nil:
		reason = err.Error()
	case !u.IsAbs() || u.Opaque != "" || u.Host == "":
		reason = "not an absolute URL"
	case v.checkScheme(u) != nil:
		reason = v.checkScheme(u).Error()
	case u.User != nil:
		reason = "has user info"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		reason = "has a fragment"
	case !v.hostAllowed(u):
		reason = fmt.Sprintf("host %q does not match %s", u.Host, v.hostRE)
	case u.Query().Get("Action") != "ConfirmSubscription":
		reason = "Action is not ConfirmSubscription"
	default:
		return nil
	}
	return fail(CheckConfirm, fmt.Errorf("SubscribeURL %q refused: %s", raw, reason))
}

// keyPathRE is the alphabet of an acceptable SigningPublicKeyPath.
var keyPathRE = regexp.MustCompile(`^/[A-Za-z0-9._~/\-]+$`)

// keyURL returns KeyBaseURL + path after checking path: it must start with
// one "/", use only letters, digits and "._~/-", and contain no ".." or
// "//". A path of the form /accounts/{id}/… must name accountID, so that one
// account's key cannot vouch for another account's message.
func (v *Verifier) keyURL(accountID, path string) (string, error) {
	if v.keyBase == "" {
		return "", fail(CheckKeyFetch, errors.New("Options.KeyBaseURL is not set"))
	}
	refuse := func(reason string) error {
		return fail(CheckInnerSignature, fmt.Errorf("SigningPublicKeyPath %q refused: %s", path, reason))
	}
	switch {
	case len(path) > 1024:
		return "", refuse("longer than 1024 bytes")
	case !keyPathRE.MatchString(path):
		return "", refuse(`must start with "/" and use only letters, digits and "._~/-"`)
	case strings.Contains(path, "..") || strings.Contains(path, "//"):
		return "", refuse(`contains ".." or "//"`)
	}
	if rest, ok := strings.CutPrefix(path, "/accounts/"); ok {
		if id, _, _ := strings.Cut(rest, "/"); id != accountID {
			return "", refuse(fmt.Sprintf("names account %q, the message is from account %q", id, accountID))
		}
	}
	return v.keyBase + path, nil
}

// certificate returns the certificate at a SigningCertURL that passed
// CheckCertURL, from the cache or fetched.
func (v *Verifier) certificate(ctx context.Context, certURL string) (*x509.Certificate, error) {
	cert, err := v.certs.get(ctx, certURL, func() (*x509.Certificate, error) {
		b, err := v.fetch(context.Background(), certURL, v.maxCert)
		if err != nil {
			return nil, fail(CheckCertFetch, err)
		}
		cert, err := ParseCertificatePEM(b)
		if err != nil {
			return nil, fail(CheckCertificate, fmt.Errorf("%s: %w", certURL, err))
		}
		return cert, nil
	})
	if _, ok := CheckOf(err); err != nil && !ok {
		err = fail(CheckCertFetch, err)
	}
	return cert, err
}

// publicKey returns the RSA public key at keyURL, from the cache or fetched.
func (v *Verifier) publicKey(ctx context.Context, keyURL string) (*rsa.PublicKey, error) {
	key, err := v.keys.get(ctx, keyURL, func() (*rsa.PublicKey, error) {
		b, err := v.fetch(context.Background(), keyURL, v.maxCert)
		if err != nil {
			return nil, fail(CheckKeyFetch, err)
		}
		key, err := ParsePublicKeyPEM(b)
		if err != nil {
			return nil, fail(CheckKeyFetch, fmt.Errorf("%s: %w", keyURL, err))
		}
		return key, nil
	})
	if _, ok := CheckOf(err); err != nil && !ok {
		err = fail(CheckKeyFetch, err)
	}
	return key, err
}

// fetch GETs rawURL within the fetch timeout, without following redirects,
// and returns the body of a 200 answer of at most limit bytes.
func (v *Verifier) fetch(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("GET %s: HTTP %d", rawURL, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: response larger than %d bytes", rawURL, limit)
	}
	return b, nil
}
