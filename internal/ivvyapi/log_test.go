package ivvyapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/ivvyapi"
	"github.com/ivvy-notify/ivvy-notify/internal/iws"
)

// logLines decodes the JSON log lines written to b.
func logLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	b.Reset()
	return out
}

func TestRequestAndAuthFailureLogs(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(o *ivvyapi.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		o.RateLimit, o.RateBurst = 0.001, 2
	})
	const ping = "/api/1.0/test?action=ping"
	revoked, err := e.accounts.CreateKey(context.Background(), e.acct, accounts.KeyParams{})
	require.NoError(t, err)
	_, err = e.accounts.RevokeKey(context.Background(), e.acct, revoked.Key)
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		req    func() *http.Request
		status int
		reason string
		key    string
	}{
		"success":       {func() *http.Request { return e.signed(ping, "") }, 200, "", e.key.Key},
		"unknown key":   {func() *http.Request { return request(t, ping, "", "0000000000000000", "x", e.now, iws.DialectJS) }, 401, "unknown key", "0000000000000000"},
		"bad signature": {func() *http.Request { return request(t, ping, "", e.key.Key, "wrong", e.now, iws.DialectJS) }, 401, "bad signature", e.key.Key},
		"stale date": {func() *http.Request {
			return request(t, ping, "", e.key.Key, e.key.Secret, e.now.Add(-time.Hour), iws.DialectJS)
		}, 401, "stale date", e.key.Key},
		"revoked key": {func() *http.Request {
			return request(t, ping, "", revoked.Key, revoked.Secret, e.now, iws.DialectJS)
		}, 463, "revoked key", revoked.Key},
		"missing header": {func() *http.Request {
			r := e.signed(ping, "")
			r.Header.Del("X-Api-Authorization")
			return r
		}, 401, "missing header", ""},
	} {
		t.Run(name, func(t *testing.T) {
			w := e.do(tc.req())
			require.Equal(t, tc.status, w.Code, w.Body.String())
			lines := logLines(t, &logs)
			requireRequestLine(t, lines[len(lines)-1], tc.key, tc.status)
			if tc.reason == "" {
				require.Len(t, lines, 1)
				return
			}
			require.Len(t, lines, 2)
			require.Equal(t, "WARN", lines[0]["level"])
			require.Equal(t, "ivvy api: authentication failed", lines[0]["msg"])
			require.Equal(t, tc.reason, lines[0]["reason"])
			require.Equal(t, tc.key, lines[0]["key"])
		})
	}
	t.Run("rate limited", func(t *testing.T) {
		var reasons []any
		for range 3 {
			e.do(e.signed(ping, ""))
			for _, l := range logLines(t, &logs) {
				if l["reason"] != nil {
					reasons = append(reasons, l["reason"])
				}
			}
		}
		require.Contains(t, reasons, "rate limited")
	})
	t.Run("StaleDetailNamesTheDate", func(t *testing.T) {
		e.do(request(t, ping, "", e.key.Key, e.key.Secret, e.now.Add(-time.Hour), iws.DialectJS))
		require.Contains(t, logLines(t, &logs)[0]["detail"], "request date")
	})
	t.Run("NoSecretLogged", func(t *testing.T) {
		e.do(e.signed(ping, ""))
		e.do(request(t, ping, "", e.key.Key, "wrong", e.now, iws.DialectJS))
		require.NotContains(t, logs.String(), e.key.Secret)
		require.NotContains(t, logs.String(), revoked.Secret)
	})
}

// requireRequestLine checks the one line every request gets.
func requireRequestLine(t *testing.T, l map[string]any, key string, status int) {
	t.Helper()
	require.Equal(t, "ivvy api: request", l["msg"])
	require.Equal(t, "INFO", l["level"])
	require.Equal(t, "POST", l["method"])
	require.Equal(t, "test/ping", l["action"])
	require.Equal(t, key, l["key"])
	require.EqualValues(t, status, l["status"])
	require.Contains(t, l, "duration")
	if status != 200 {
		require.Contains(t, l, "code")
	}
}
