package iws_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/iws"
)

func TestSignRequestReproducesSDKFixtures(t *testing.T) {
	for _, c := range loadCases(t) {
		d, ok := fixtureDialects[c.Name]
		if !ok {
			continue
		}
		t.Run(c.Name+" as "+d.String(), func(t *testing.T) {
			body := []byte(c.Body)
			req, err := http.NewRequest(c.Method, "https://api.ivvy.test"+c.Path, bytes.NewReader(body))
			require.NoError(t, err)
			require.NoError(t, iws.SignRequest(req, body, c.Key, c.Secret, fixtureNow, d))
			want := http.Header{}
			for k, v := range c.Headers {
				want.Set(k, v)
			}
			require.Equal(t, want, req.Header)
		})
	}
}

func TestSignRequestRoundTrips(t *testing.T) {
	tests := []struct {
		name    string
		dialect iws.Dialect
		body    string
		wantCT  string
		wantVer string
	}{
		{"JS dialect with a body", iws.DialectJS, `{"a":1}`, "application/json", "1.0"},
		{"JS dialect with an empty body", iws.DialectJS, "", "application/json", "1.0"},
		{".NET dialect with a body", iws.DialectDotNet, `{"a":1}`, "application/json; charset=utf-8", ""},
		{".NET dialect with an empty body", iws.DialectDotNet, "", "application/json; charset=utf-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			req, err := http.NewRequest(http.MethodPost, "http://ivvy.test/api/1.0/account?action=subscribeToNotifications", bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("IVVY-Trace", "abc")
			require.NoError(t, iws.SignRequest(req, body, "KEY", "secret", fixtureNow, tt.dialect))
			require.Equal(t, tt.wantCT, req.Header.Get(iws.HeaderContentType))
			require.Equal(t, tt.wantVer, req.Header.Get(iws.HeaderAPIVersion))

			r := toServer(t, req, body)
			require.NoError(t, check(r, body, map[string]string{"KEY": "secret"}, fixtureNow))
			require.ErrorIs(t, check(r, body, map[string]string{"KEY": "other"}, fixtureNow), errBadSignature)
		})
	}
}

func TestSignRequestRejectsBadInput(t *testing.T) {
	req, err := http.NewRequest(http.MethodPost, "http://ivvy.test/api/1.0/test?action=ping", nil)
	require.NoError(t, err)
	tests := []struct {
		name string
		req  *http.Request
		key  string
		d    iws.Dialect
	}{
		{"rejects a nil request", nil, "KEY", iws.DialectJS},
		{"rejects an empty key", req, "", iws.DialectJS},
		{"rejects a key with a colon", req, "K:EY", iws.DialectJS},
		{"rejects an unknown dialect", req, "KEY", iws.Dialect(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, iws.SignRequest(tt.req, nil, tt.key, "s", fixtureNow, tt.d))
		})
	}
}

func TestDialectString(t *testing.T) {
	require.Equal(t, "js", iws.DialectJS.String())
	require.Equal(t, "dotnet", iws.DialectDotNet.String())
	require.Equal(t, "Dialect(7)", iws.Dialect(7).String())
}
