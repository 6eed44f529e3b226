package iws_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ivvy-notify/ivvy-notify/internal/iws"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, c := range loadCases(f) {
		f.Add(c.Headers[iws.HeaderAuthorization])
	}
	f.Add("Bearer x")
	f.Add("IWS :")
	f.Add(" IWS  a:b ")
	f.Fuzz(func(t *testing.T, v string) {
		key, sig, err := iws.ParseAuthorization(v)
		if err != nil {
			return
		}
		if key == "" || len(sig) != 40 || strings.ContainsAny(key, ": \t\r\n") {
			t.Fatalf("accepted %q as key %q, signature %q", v, key, sig)
		}
		k2, s2, err := iws.ParseAuthorization("IWS " + key + ":" + sig)
		if err != nil || k2 != key || s2 != sig {
			t.Fatalf("reformatted %q does not round-trip: %q %q %v", v, k2, s2, err)
		}
	})
}

// fuzzSecret signs the requests that FuzzParse re-signs.
const fuzzSecret = "fuzz-secret"

func FuzzParse(f *testing.F) {
	for _, c := range loadCases(f) {
		h := c.Headers
		f.Add(c.Path, c.Body, h[iws.HeaderAuthorization], h[iws.HeaderContentMD5],
			h[iws.HeaderContentType], h[iws.HeaderIvvyDate], h[iws.HeaderDate], "")
	}
	f.Add("", "", "", "", "", "", "", "")
	f.Add("/x?y", "{}", "IWS a:b", "99914b932bd37a50b983c5e7c90ae93b", "a", "", "Mon Nov 23 10:15:30 2026", "x")
	f.Fuzz(func(t *testing.T, uri, body, auth, md5, ctype, ivvyDate, date, extra string) {
		r := &http.Request{Method: http.MethodPost, RequestURI: uri, URL: &url.URL{}, Header: http.Header{}}
		setIf(r.Header, iws.HeaderAuthorization, auth)
		setIf(r.Header, iws.HeaderContentMD5, md5)
		setIf(r.Header, iws.HeaderContentType, ctype)
		setIf(r.Header, iws.HeaderIvvyDate, ivvyDate)
		setIf(r.Header, iws.HeaderDate, date)
		setIf(r.Header, "Ivvy_Extra", extra)
		s, err := iws.Parse(r, []byte(body))
		if err != nil {
			return
		}
		if s.Key == "" || auth == "" || ivvyDate == "" && date == "" {
			t.Fatalf("accepted without key or date: %+v", s)
		}
		if iws.BodyMD5([]byte(body)) != strings.ToLower(md5) {
			t.Fatalf("accepted Content-MD5 %q for body %q", md5, body)
		}
		// Re-signing what was parsed must verify, and only with that secret.
		r.Header.Set(iws.HeaderAuthorization, "IWS "+s.Key+":"+iws.Sign(fuzzSecret, s.StringToSign))
		s2, err := iws.Parse(r, []byte(body))
		if err != nil || s2.StringToSign != s.StringToSign || !s2.Time.Equal(s.Time) {
			t.Fatalf("re-signed request does not parse the same: %v", err)
		}
		if !s2.Verify(fuzzSecret) || s2.Verify(fuzzSecret+"x") {
			t.Fatalf("re-signed request does not verify with exactly its secret")
		}
	})
}

func FuzzSignRequest(f *testing.F) {
	for _, c := range loadCases(f) {
		f.Add(c.Path, c.Body, c.Key, c.Secret, "", false)
	}
	f.Add("/api/1.0/x?a=b&c=%20", "", "k", "", "trace", true)
	f.Fuzz(func(t *testing.T, path, body, key, secret, extra string, dotnet bool) {
		req, err := http.NewRequest(http.MethodPost, "http://ivvy.test"+path, bytes.NewReader([]byte(body)))
		if err != nil || req.URL.Host != "ivvy.test" {
			return
		}
		setIf(req.Header, "IVVY-Extra", extra)
		d := iws.DialectJS
		if dotnet {
			d = iws.DialectDotNet
		}
		if err := iws.SignRequest(req, []byte(body), key, secret, fixtureNow, d); err != nil {
			return
		}
		r := toServer(t, req, []byte(body))
		if err := check(r, []byte(body), map[string]string{key: secret}, fixtureNow); err != nil {
			t.Fatalf("signed request %s %q does not verify: %v", req.URL.RequestURI(), body, err)
		}
	})
}

// setIf sets header name to v when v is not empty.
func setIf(h http.Header, name, v string) {
	if v != "" {
		h.Set(name, v)
	}
}
