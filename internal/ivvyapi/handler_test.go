package ivvyapi_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/ivvyapi"
	"github.com/ivvy-notify/ivvy-notify/internal/iws"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

var serverNow = time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC)

// env is a handler on a real SQLite store with one account and its keys.
type env struct {
	t        testing.TB
	handler  *ivvyapi.Handler
	accounts *accounts.Service
	acct     int64
	key      *accounts.CreatedKey // account-level
	now      time.Time
}

func newEnv(t testing.TB, opts ...func(*ivvyapi.Options)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	mk, err := secrets.NewMasterKey(rand.Reader)
	require.NoError(t, err)
	e := &env{t: t, now: serverNow}
	e.accounts = accounts.NewService(st, secrets.NewBox(mk, nil), func() time.Time { return e.now }, nil)
	a, err := e.accounts.CreateAccount(ctx, "Acme")
	require.NoError(t, err)
	e.acct = a.ID
	e.key, err = e.accounts.CreateKey(ctx, a.ID, accounts.KeyParams{})
	require.NoError(t, err)
	o := ivvyapi.Options{Keys: e.accounts, Now: func() time.Time { return e.now }, MaxBodyBytes: 1 << 20}
	for _, fn := range opts {
		fn(&o)
	}
	e.handler = ivvyapi.NewHandler(o)
	return e
}

// request builds a POST signed with key/secret at time at.
func request(t testing.TB, target, body, key, secret string, at time.Time, d iws.Dialect) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	require.NoError(t, iws.SignRequest(r, []byte(body), key, secret, at, d))
	return r
}

func (e *env) signed(target, body string) *http.Request {
	return request(e.t, target, body, e.key.Key, e.key.Secret, e.now, iws.DialectJS)
}

func (e *env) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// requireError asserts the exact status and iVvy error JSON.
func requireError(t *testing.T, w *httptest.ResponseRecorder, status, code int, message string) ivvyapi.Error {
	t.Helper()
	require.Equal(t, status, w.Code, w.Body.String())
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &raw))
	require.ElementsMatch(t, []string{"errorCode", "message", "specificCode", "additionalMessages"}, keys(raw))
	var got ivvyapi.Error
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	require.Equal(t, status, got.ErrorCode)
	require.Equal(t, code, got.SpecificCode)
	require.Equal(t, message, got.Message)
	require.NotNil(t, got.AdditionalMessages)
	return got
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPing(t *testing.T) {
	e := newEnv(t)
	for _, d := range []iws.Dialect{iws.DialectJS, iws.DialectDotNet} {
		t.Run(d.String(), func(t *testing.T) {
			w := e.do(request(t, "/api/1.0/test?action=ping", "", e.key.Key, e.key.Secret, e.now, d))
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			require.JSONEq(t, `{"ack":"2026-11-23 10:15:30 UTC"}`, w.Body.String())
		})
	}
	t.Run("WithBody", func(t *testing.T) {
		w := e.do(e.signed("/api/1.0/test?action=ping", `{"example":"body"}`))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	})
	t.Run("CaseInsensitiveAction", func(t *testing.T) {
		w := e.do(e.signed("/api/1.0/Test?action=PING", ""))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	})
}

func TestRouting(t *testing.T) {
	e := newEnv(t)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead} {
		t.Run("405 "+method, func(t *testing.T) {
			r := e.signed("/api/1.0/test?action=ping", "")
			r.Method = method
			w := e.do(r)
			require.Equal(t, "POST", w.Header().Get("Allow"))
			if method != http.MethodHead {
				requireError(t, w, 405, ivvyapi.CodeMethodNotAllowed, "Method not allowed")
			}
		})
	}
	for name, target := range map[string]string{
		"unknown namespace": "/api/1.0/nosuch?action=ping",
		"no namespace":      "/api/1.0/?action=ping",
		"nested path":       "/api/1.0/test/extra?action=ping",
		"other version":     "/api/2.0/test?action=ping",
	} {
		t.Run("404 "+name, func(t *testing.T) {
			requireError(t, e.do(e.signed(target, "")), 404, ivvyapi.CodeUnknownNamespace, "Not found")
		})
	}
	for name, target := range map[string]string{
		"unknown action": "/api/1.0/test?action=nosuch",
		"no action":      "/api/1.0/test",
		"empty action":   "/api/1.0/test?action=",
	} {
		t.Run("404 "+name, func(t *testing.T) {
			requireError(t, e.do(e.signed(target, "")), 404, ivvyapi.CodeUnknownAction, "Not found")
		})
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	const ping = "/api/1.0/test?action=ping"

	t.Run("MissingHeaders", func(t *testing.T) {
		for _, h := range []string{"X-Api-Authorization", "Content-MD5", "Content-Type", "IVVY-Date"} {
			r := e.signed(ping, "")
			r.Header.Del(h)
			got := requireError(t, e.do(r), 401, ivvyapi.CodeMissingHeader, "Unauthorized")
			require.Contains(t, got.AdditionalMessages[0], "missing", h)
		}
	})
	t.Run("MalformedAuthorization", func(t *testing.T) {
		r := e.signed(ping, "")
		r.Header.Set("X-Api-Authorization", "Bearer abc")
		requireError(t, e.do(r), 401, ivvyapi.CodeBadAuthorization, "Unauthorized")
	})
	t.Run("TamperedBody", func(t *testing.T) {
		r := e.signed(ping, `{"a":1}`)
		r.Body = http.NoBody
		r.Body = httptest.NewRequest("POST", ping, strings.NewReader(`{"a":2}`)).Body
		requireError(t, e.do(r), 401, ivvyapi.CodeContentMD5, "Unauthorized")
	})
	t.Run("TamperedBodyWithMatchingMD5", func(t *testing.T) {
		r := e.signed(ping, `{"a":1}`)
		r.Body = httptest.NewRequest("POST", ping, strings.NewReader(`{"a":2}`)).Body
		r.Header.Set("Content-MD5", iws.BodyMD5([]byte(`{"a":2}`)))
		requireError(t, e.do(r), 401, ivvyapi.CodeBadSignature, "Unauthorized")
	})
	t.Run("TamperedQuery", func(t *testing.T) {
		r := e.signed(ping, "")
		r.RequestURI = ping + "&x=1"
		r.URL.RawQuery += "&x=1"
		requireError(t, e.do(r), 401, ivvyapi.CodeBadSignature, "Unauthorized")
	})
	t.Run("WrongSecret", func(t *testing.T) {
		r := request(t, ping, "", e.key.Key, "not-the-secret", e.now, iws.DialectJS)
		requireError(t, e.do(r), 401, ivvyapi.CodeBadSignature, "Unauthorized")
	})
	t.Run("UnknownKey", func(t *testing.T) {
		r := request(t, ping, "", "0000000000000000", e.key.Secret, e.now, iws.DialectJS)
		requireError(t, e.do(r), 401, ivvyapi.CodeUnknownKey, "Unauthorized")
	})
	t.Run("MalformedDate", func(t *testing.T) {
		r := e.signed(ping, "")
		r.Header.Set("IVVY-Date", "yesterday")
		requireError(t, e.do(r), 401, ivvyapi.CodeBadDate, "Unauthorized")
	})
	for name, skew := range map[string]time.Duration{"Stale": -6 * time.Minute, "Future": 6 * time.Minute} {
		t.Run(name, func(t *testing.T) {
			r := request(t, ping, "", e.key.Key, e.key.Secret, e.now.Add(skew), iws.DialectDotNet)
			requireError(t, e.do(r), 401, ivvyapi.CodeStale, "Request is stale")
		})
	}
	t.Run("WithinWindow", func(t *testing.T) {
		r := request(t, ping, "", e.key.Key, e.key.Secret, e.now.Add(-4*time.Minute-59*time.Second), iws.DialectJS)
		require.Equal(t, 200, e.do(r).Code)
	})
	t.Run("RevokedKey", func(t *testing.T) {
		k, err := e.accounts.CreateKey(context.Background(), e.acct, accounts.KeyParams{})
		require.NoError(t, err)
		_, err = e.accounts.RevokeKey(context.Background(), e.acct, k.Key)
		require.NoError(t, err)
		r := request(t, ping, "", k.Key, k.Secret, e.now, iws.DialectJS)
		requireError(t, e.do(r), 463, ivvyapi.CodeKeyRevoked, "API key has been revoked")
	})
}

func TestBody(t *testing.T) {
	e := newEnv(t, func(o *ivvyapi.Options) { o.MaxBodyBytes = 1024 })
	const ping = "/api/1.0/test?action=ping"
	t.Run("TooLarge", func(t *testing.T) {
		body := `{"x":"` + strings.Repeat("a", 2000) + `"}`
		got := requireError(t, e.do(e.signed(ping, body)), 400, ivvyapi.CodeBodyTooLarge, "Request body too large")
		require.Contains(t, got.AdditionalMessages[0], "1024 bytes")
	})
	for name, body := range map[string]string{
		"array": `[1,2]`, "string": `"x"`, "broken": `{"a":`, "trailing": `{} {}`, "number": `12`,
	} {
		t.Run("NotObject "+name, func(t *testing.T) {
			requireError(t, e.do(e.signed(ping, body)), 400, ivvyapi.CodeBodyNotJSONObject, "Request body must be a JSON object")
		})
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(o *ivvyapi.Options) { o.RateLimit, o.RateBurst = 1, 3 })
	for i := range 3 {
		require.Equal(t, 200, e.do(e.signed("/api/1.0/test?action=ping", "")).Code, "request %d", i)
	}
	w := e.do(e.signed("/api/1.0/test?action=ping", ""))
	requireError(t, w, 429, ivvyapi.CodeRateLimited, "Too many requests")
	require.Equal(t, "1", w.Header().Get("Retry-After"))

	e.now = e.now.Add(time.Second)
	require.Equal(t, 200, e.do(e.signed("/api/1.0/test?action=ping", "")).Code, "a token refills after 1s")

	t.Run("PerKey", func(t *testing.T) {
		k, err := e.accounts.CreateKey(context.Background(), e.acct, accounts.KeyParams{})
		require.NoError(t, err)
		r := request(t, "/api/1.0/test?action=ping", "", k.Key, k.Secret, e.now, iws.DialectJS)
		require.Equal(t, 200, e.do(r).Code, "another key has its own bucket")
	})
}

func TestActionErrors(t *testing.T) {
	e := newEnv(t)
	e.handler.Register("x", "invalid", func(context.Context, *ivvyapi.Caller, []byte) (any, error) {
		return nil, ivvyapi.NotValidated("companiesEndpoint", "must be an absolute http or https URL")
	})
	e.handler.Register("x", "missing", func(context.Context, *ivvyapi.Caller, []byte) (any, error) {
		return nil, ivvyapi.MissingParameter("name")
	})
	e.handler.Register("x", "boom", func(context.Context, *ivvyapi.Caller, []byte) (any, error) {
		return nil, errors.New("database exploded: secret detail")
	})
	e.handler.Register("x", "echo", func(_ context.Context, _ *ivvyapi.Caller, body []byte) (any, error) {
		return json.RawMessage(body), nil
	})
	t.Run("400 23016", func(t *testing.T) {
		w := e.do(e.signed("/api/1.0/x?action=invalid", ""))
		require.JSONEq(t, `{"errorCode":400,"message":"'companiesEndpoint' does not validate","specificCode":23016,
			"additionalMessages":["must be an absolute http or https URL"]}`, w.Body.String())
		require.Equal(t, 400, w.Code)
	})
	t.Run("400 23017", func(t *testing.T) {
		requireError(t, e.do(e.signed("/api/1.0/x?action=missing", "")), 400, ivvyapi.CodeMissingParameter, "'name' is required")
	})
	t.Run("500 hides internals", func(t *testing.T) {
		w := e.do(e.signed("/api/1.0/x?action=boom", ""))
		requireError(t, w, 500, ivvyapi.CodeInternal, "Internal error")
		require.NotContains(t, w.Body.String(), "secret detail")
	})
	t.Run("EmptyBodyIsEmptyObject", func(t *testing.T) {
		w := e.do(e.signed("/api/1.0/x?action=echo", ""))
		require.Equal(t, 200, w.Code)
		require.Equal(t, "{}", w.Body.String())
	})
}

func TestCallerPermissions(t *testing.T) {
	e := newEnv(t)
	var seen *ivvyapi.Caller
	e.handler.Register("x", "who", func(_ context.Context, c *ivvyapi.Caller, _ []byte) (any, error) {
		seen = c
		return map[string]bool{"may": c.MayManageSubscriptions()}, nil
	})
	user := func(id int64, primary bool) *accounts.CreatedKey {
		k, err := e.accounts.CreateKey(context.Background(), e.acct, accounts.KeyParams{UserID: &id, Primary: primary})
		require.NoError(t, err)
		return k
	}
	for name, tc := range map[string]struct {
		key *accounts.CreatedKey
		may bool
	}{
		"account-level": {e.key, true},
		"primary user":  {user(7, true), true},
		"other user":    {user(8, false), false},
	} {
		t.Run(name, func(t *testing.T) {
			w := e.do(request(t, "/api/1.0/x?action=who", "", tc.key.Key, tc.key.Secret, e.now, iws.DialectJS))
			require.Equal(t, 200, w.Code)
			require.Equal(t, tc.may, seen.MayManageSubscriptions())
			require.Equal(t, e.acct, seen.Key.AccountID)
		})
	}
}
