package iws_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/iws"
)

// pingCase returns the fixture ping request that carries a Date header.
func pingCase(t *testing.T) fixtureCase {
	for _, c := range loadCases(t) {
		if c.dateHeader() == iws.HeaderDate {
			return c.clone()
		}
	}
	t.Fatal("no fixture case with a Date header")
	return fixtureCase{}
}

func TestCheckTimeWindow(t *testing.T) {
	tests := []struct {
		name  string
		skew  time.Duration // request time minus server time
		stale bool
	}{
		{"accepts a request 4m59s old", -(4*time.Minute + 59*time.Second), false},
		{"accepts a request 4m59s ahead", 4*time.Minute + 59*time.Second, false},
		{"accepts a request exactly 5m old", -5 * time.Minute, false},
		{"rejects a request 6m old", -6 * time.Minute, true},
		{"rejects a request 6m ahead", 6 * time.Minute, true},
		{"rejects a request 5m01s old", -(5*time.Minute + time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "http://ivvy.test/api/1.0/test?action=ping", nil)
			require.NoError(t, err)
			require.NoError(t, iws.SignRequest(req, nil, "k", "s", fixtureNow.Add(tt.skew), iws.DialectJS))
			err = check(toServer(t, req, nil), nil, map[string]string{"k": "s"}, fixtureNow)
			if !tt.stale {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, iws.ErrStale)
			require.Contains(t, err.Error(), "request is stale")
		})
	}
}

func TestParseRejectsMissingHeaders(t *testing.T) {
	tests := []struct {
		name    string
		remove  []string
		mention string
	}{
		{"without X-Api-Authorization", []string{iws.HeaderAuthorization}, iws.HeaderAuthorization},
		{"without Content-MD5", []string{iws.HeaderContentMD5}, iws.HeaderContentMD5},
		{"without Content-Type", []string{iws.HeaderContentType}, iws.HeaderContentType},
		{"without any date header", []string{iws.HeaderDate, iws.HeaderIvvyDate}, "IVVY-Date or Date"},
	}
	for _, c := range loadCases(t) {
		for _, tt := range tests {
			t.Run(c.Name+"/"+tt.name, func(t *testing.T) {
				r, body := c.serverRequest()
				for _, h := range tt.remove {
					r.Header.Del(h)
				}
				_, err := iws.Parse(r, body)
				require.ErrorIs(t, err, iws.ErrMissingHeader)
				require.Contains(t, err.Error(), tt.mention)
			})
		}
		t.Run(c.Name+"/with an empty X-Api-Authorization", func(t *testing.T) {
			r, body := c.serverRequest()
			r.Header.Set(iws.HeaderAuthorization, "")
			_, err := iws.Parse(r, body)
			require.ErrorIs(t, err, iws.ErrMissingHeader)
		})
	}
}

func TestParseRejectsDuplicateHeaders(t *testing.T) {
	c := pingCase(t)
	for _, h := range []string{iws.HeaderAuthorization, iws.HeaderContentMD5, iws.HeaderContentType, iws.HeaderDate} {
		t.Run("with two "+h+" headers", func(t *testing.T) {
			r, body := c.serverRequest()
			r.Header.Add(h, r.Header.Get(h))
			_, err := iws.Parse(r, body)
			require.ErrorIs(t, err, iws.ErrDuplicateHeader)
			require.Contains(t, err.Error(), h)
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	const sig = "612a56d00c0df98f3a2c020b9bf55c3c693868e0"
	valid := []struct{ name, value, key, sig string }{
		{"accepts the canonical form", "IWS KEY:" + sig, "KEY", sig},
		{"trims surrounding spaces", "  IWS KEY:" + sig + " ", "KEY", sig},
		{"accepts an uppercase signature", "IWS KEY:612A56D00C0DF98F3A2C020B9BF55C3C693868E0", "KEY", "612A56D00C0DF98F3A2C020B9BF55C3C693868E0"},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			key, got, err := iws.ParseAuthorization(tt.value)
			require.NoError(t, err)
			require.Equal(t, tt.key, key)
			require.Equal(t, tt.sig, got)
		})
	}
	invalid := map[string]string{
		"rejects a missing scheme":          "KEY:" + sig,
		"rejects a lowercase scheme":        "iws KEY:" + sig,
		"rejects another scheme":            "Bearer x",
		"rejects the scheme alone":          "IWS",
		"rejects a missing colon":           "IWS KEY" + sig,
		"rejects two colons":                "IWS KEY:" + sig + ":x",
		"rejects an empty key":              "IWS :" + sig,
		"rejects an empty signature":        "IWS KEY:",
		"rejects a non-hex signature":       "IWS KEY:" + sig[:39] + "g",
		"rejects a short signature":         "IWS KEY:" + sig[:39],
		"rejects a key with a space":        "IWS K EY:" + sig,
		"rejects a signature with a space":  "IWS KEY: " + sig,
		"rejects a key with a control char": "IWS K\x01EY:" + sig,
	}
	for name, value := range invalid {
		t.Run(name, func(t *testing.T) {
			_, _, err := iws.ParseAuthorization(value)
			require.ErrorIs(t, err, iws.ErrMalformedAuthorization)
		})
	}
	t.Run("Parse reports a malformed header", func(t *testing.T) {
		r, body := pingCase(t).serverRequest()
		r.Header.Set(iws.HeaderAuthorization, "Bearer x")
		_, err := iws.Parse(r, body)
		require.ErrorIs(t, err, iws.ErrMalformedAuthorization)
	})
}

func TestParseDates(t *testing.T) {
	want := fixtureNow
	tests := []struct{ name, header, value string }{
		{"IVVY-Date without zone", iws.HeaderIvvyDate, "2026-11-23 10:15:30"},
		{"IVVY-Date with UTC", iws.HeaderIvvyDate, "2026-11-23 10:15:30 UTC"},
		{"Date in RFC 1123 GMT", iws.HeaderDate, "Mon, 23 Nov 2026 10:15:30 GMT"},
		{"Date in RFC 1123 UTC", iws.HeaderDate, "Mon, 23 Nov 2026 10:15:30 UTC"},
		{"Date in RFC 1123 numeric zone", iws.HeaderDate, "Mon, 23 Nov 2026 11:15:30 +0100"},
		{"Date in RFC 850", iws.HeaderDate, "Monday, 23-Nov-26 10:15:30 GMT"},
		{"Date in ANSI C", iws.HeaderDate, "Mon Nov 23 10:15:30 2026"},
	}
	for _, tt := range tests {
		t.Run("accepts "+tt.name, func(t *testing.T) {
			s := parseWithDate(t, tt.header, tt.value)
			require.True(t, want.Equal(s.Time), "got %s", s.Time)
			require.Equal(t, time.UTC, s.Time.Location())
		})
	}
	malformed := []struct{ name, header, value string }{
		{"ISO 8601 IVVY-Date", iws.HeaderIvvyDate, "2026-11-23T10:15:30Z"},
		{"IVVY-Date without seconds", iws.HeaderIvvyDate, "2026-11-23 10:15"},
		{"IVVY-Date with fractional seconds", iws.HeaderIvvyDate, "2026-11-23 10:15:30.5"},
		{"IVVY-Date in another zone", iws.HeaderIvvyDate, "2026-11-23 10:15:30 PST"},
		{"IVVY-Date with month 13", iws.HeaderIvvyDate, "2026-13-23 10:15:30"},
		{"empty IVVY-Date", iws.HeaderIvvyDate, ""},
		{"Date in an unknown zone", iws.HeaderDate, "Mon, 23 Nov 2026 10:15:30 PST"},
		{"Date in IVVY format", iws.HeaderDate, "2026-11-23 10:15:30"},
		{"Date as words", iws.HeaderDate, "yesterday"},
	}
	for _, tt := range malformed {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			r, body := pingCase(t).serverRequest()
			r.Header.Del(iws.HeaderDate)
			r.Header.Set(tt.header, tt.value)
			_, err := iws.Parse(r, body)
			require.ErrorIs(t, err, iws.ErrMalformedDate)
		})
	}
}

// parseWithDate parses the fixture ping request with its date header
// replaced by header: value.
func parseWithDate(t *testing.T, header, value string) *iws.Signed {
	t.Helper()
	r, body := pingCase(t).serverRequest()
	r.Header.Del(iws.HeaderDate)
	r.Header.Set(header, value)
	s, err := iws.Parse(r, body)
	require.NoError(t, err)
	return s
}

func TestParseUsesURLWhenRequestURIIsEmpty(t *testing.T) {
	c := pingCase(t)
	r, body := c.serverRequest()
	r.RequestURI = ""
	s, err := iws.Parse(r, body)
	require.NoError(t, err)
	require.Equal(t, c.StringToSign, s.StringToSign)
}

func TestStaleErrorExplainsSkew(t *testing.T) {
	s := &iws.Signed{Time: fixtureNow}
	err := s.CheckTime(fixtureNow.Add(-10*time.Minute), iws.DefaultWindow)
	require.ErrorIs(t, err, iws.ErrStale)
	require.Contains(t, err.Error(), "in the future")
	err = s.CheckTime(fixtureNow.Add(10*time.Minute), iws.DefaultWindow)
	require.Contains(t, err.Error(), "10m0s old")
}
