// Package iws implements IWS, iVvy's HMAC-SHA1 request signing scheme
// (SPEC §1.1), for both sides of the wire: the server verifies incoming
// requests with [Parse], [Signed.Verify] and [Signed.CheckTime]; clients sign
// outgoing requests with [SignRequest].
//
// A signed request carries Content-MD5, Content-Type, a date (IVVY-Date or
// Date) and an authorization header
//
//	X-Api-Authorization: IWS {key}:{signature}
//
// where signature is the lowercase hex HMAC-SHA1, keyed by the API secret, of
// the lowercased string
//
//	{METHOD}{Content-MD5}{Content-Type}{Date}{request URI}{api version}{ivvy headers}
//
// The package is pure: it performs no I/O and reads no clock; callers pass
// the request, body, secret and current time in.
package iws

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
)

// Params are the parts of a request that IWS signs.
type Params struct {
	// Method is the HTTP method, e.g. "POST".
	Method string
	// ContentMD5 is the Content-MD5 header value as sent.
	ContentMD5 string
	// ContentType is the Content-Type header value as sent.
	ContentType string
	// Date is the Date header value as sent. It is not signed (treated as
	// empty) when Header holds an IVVY-Date header.
	Date string
	// RequestURI is the path and query exactly as sent on the request line,
	// e.g. "/api/1.0/test?action=ping".
	RequestURI string
	// Header holds the request headers. Only headers whose name starts with
	// "IVVY" (case-insensitively) are signed, so the full request header may
	// be passed.
	Header http.Header
}

// ivvyDateName is the normalized name of the IVVY-Date header.
const ivvyDateName = "ivvydate"

// StringToSign returns the lowercased string that IWS signs for p:
//
//	{METHOD}{Content-MD5}{Content-Type}{Date}{request URI}{api version}{ivvy headers}
//
// {api version} is the version segment of a "/api/{version}/…" path and is
// empty for any other path. {ivvy headers} lists every IVVY* header as
// name=value, with "-" and "_" removed from the name, sorted by name and
// joined with "&"; several values of one header are joined with ",".
func StringToSign(p Params) string {
	date := p.Date
	if _, ok := ivvyDate(p.Header); ok {
		date = ""
	}
	var b strings.Builder
	b.WriteString(p.Method)
	b.WriteString(p.ContentMD5)
	b.WriteString(p.ContentType)
	b.WriteString(date)
	b.WriteString(p.RequestURI)
	b.WriteString(APIVersion(p.RequestURI))
	b.WriteString(ivvyHeaders(p.Header))
	return strings.ToLower(b.String())
}

// Sign returns the lowercase hex HMAC-SHA1 of stringToSign keyed by secret.
func Sign(secret, stringToSign string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// BodyMD5 returns the lowercase hex MD5 of body, the value of the
// Content-MD5 header (d41d8cd98f00b204e9800998ecf8427e for an empty body).
func BodyMD5(body []byte) string {
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

// APIVersion returns the {version} segment of a request URI of the shape
// "/api/{version}/…" ("1.0" for "/api/1.0/test?action=ping"), or "" when
// the path does not have that shape.
func APIVersion(requestURI string) string {
	path, _, _ := strings.Cut(requestURI, "?")
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return ""
	}
	first, rest, ok := strings.Cut(rest, "/")
	if !ok || !strings.EqualFold(first, "api") {
		return ""
	}
	version, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return version
}

// ivvyHeader is one IVVY* header: normalized name, original name, value.
type ivvyHeader struct {
	name, key, value string
}

// collectIvvyHeaders returns the IVVY* headers of h sorted by normalized
// name (then by original name, so that the order is always deterministic).
func collectIvvyHeaders(h http.Header) []ivvyHeader {
	var out []ivvyHeader
	for key, values := range h {
		if len(key) < 4 || !strings.EqualFold(key[:4], "ivvy") {
			continue
		}
		out = append(out, ivvyHeader{
			name:  normalizeName(key),
			key:   key,
			value: strings.Join(values, ","),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].name != out[j].name {
			return out[i].name < out[j].name
		}
		return out[i].key < out[j].key
	})
	return out
}

// separators removes "-" and "_" from header names.
var separators = strings.NewReplacer("-", "", "_", "")

// normalizeName lowercases a header name and removes "-" and "_".
func normalizeName(key string) string {
	return strings.ToLower(separators.Replace(key))
}

// ivvyHeaders renders the {ivvy headers} part of the string to sign.
func ivvyHeaders(h http.Header) string {
	headers := collectIvvyHeaders(h)
	parts := make([]string, len(headers))
	for i, hd := range headers {
		parts[i] = hd.name + "=" + hd.value
	}
	return strings.Join(parts, "&")
}

// ivvyDate returns the IVVY-Date header of h (under any spelling that
// normalizes to "ivvydate") and whether one is present. Several values, or
// several spellings, are joined with "," as in the string to sign.
func ivvyDate(h http.Header) (string, bool) {
	var values []string
	found := false
	for _, hd := range collectIvvyHeaders(h) {
		if hd.name == ivvyDateName {
			values = append(values, hd.value)
			found = true
		}
	}
	return strings.Join(values, ","), found
}
