package admin_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

const token = "test-admin-token"

var fixedNow = time.Date(2026, 11, 23, 10, 15, 30, 123456789, time.UTC)

func newHandler(t *testing.T) http.Handler {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	mk, err := secrets.NewMasterKey(rand.Reader)
	require.NoError(t, err)
	svc := accounts.NewService(st, secrets.NewBox(mk, nil), func() time.Time { return fixedNow }, nil)
	return admin.NewHandler(admin.Options{Token: token, Accounts: svc})
}

func call(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestAuth(t *testing.T) {
	h := newHandler(t)
	for name, header := range map[string]string{
		"none": "", "wrong": "Bearer nope", "basic": "Basic " + token, "prefix only": "Bearer ",
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/accounts", nil)
			if header != "" {
				r.Header.Set("Authorization", header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, 401, w.Code)
			require.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
			require.JSONEq(t, `{"code":"unauthorized","message":"missing or wrong admin bearer token"}`, w.Body.String())
		})
	}
}

func TestAccounts(t *testing.T) {
	h := newHandler(t)
	code, body := call(t, h, "POST", "/v1/accounts", `{"name":"Acme"}`)
	require.Equal(t, 201, code)
	require.JSONEq(t, `{"id":"1","name":"Acme","createdAt":"2026-11-23T10:15:30.123Z"}`, body)

	code, _ = call(t, h, "POST", "/v1/accounts", `{"name":"  Globex  "}`)
	require.Equal(t, 201, code)

	code, body = call(t, h, "GET", "/v1/accounts", "")
	require.Equal(t, 200, code)
	require.JSONEq(t, `{"accounts":[
		{"id":"1","name":"Acme","createdAt":"2026-11-23T10:15:30.123Z"},
		{"id":"2","name":"Globex","createdAt":"2026-11-23T10:15:30.123Z"}]}`, body)

	code, body = call(t, h, "GET", "/v1/accounts/2", "")
	require.Equal(t, 200, code)
	require.Contains(t, body, `"Globex"`)

	for name, tc := range map[string]struct {
		method, path, body string
		status             int
		want               string
	}{
		"empty name":      {"POST", "/v1/accounts", `{"name":" "}`, 400, `{"code":"invalid","message":"name: is required","field":"name"}`},
		"no body":         {"POST", "/v1/accounts", ``, 400, `{"code":"invalid","message":"name: is required","field":"name"}`},
		"long name":       {"POST", "/v1/accounts", `{"name":"` + strings.Repeat("x", 201) + `"}`, 400, `{"code":"invalid","message":"name: must be at most 200 characters","field":"name"}`},
		"unknown missing": {"GET", "/v1/accounts/99", ``, 404, `{"code":"not_found","message":"no account 99"}`},
		"bad id":          {"GET", "/v1/accounts/abc", ``, 400, `{"code":"invalid","message":"account id \"abc\" is not a positive integer"}`},
		"unknown route":   {"GET", "/v1/nope", ``, 404, `{"code":"not_found","message":"no admin route GET /v1/nope"}`},
	} {
		t.Run(name, func(t *testing.T) {
			code, body := call(t, h, tc.method, tc.path, tc.body)
			require.Equal(t, tc.status, code, body)
			require.JSONEq(t, tc.want, body)
		})
	}
	for name, in := range map[string]string{
		"unknown field": `{"name":"A","nmae":"B"}`, "broken": `{"name":`, "two values": `{"name":"A"} {}`, "array": `[]`,
	} {
		t.Run("bad body "+name, func(t *testing.T) {
			code, body := call(t, h, "POST", "/v1/accounts", in)
			require.Equal(t, 400, code, body)
			require.Contains(t, body, `"code":"invalid"`)
		})
	}
	code, body = call(t, h, "GET", "/v1/accounts", "")
	require.Equal(t, 200, code)
	var list admin.AccountList
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Accounts, 2, "failed requests must create nothing")
}

func TestKeys(t *testing.T) {
	h := newHandler(t)
	code, _ := call(t, h, "POST", "/v1/accounts", `{"name":"Acme"}`)
	require.Equal(t, 201, code)

	var created []admin.CreatedAPIKey
	for _, in := range []string{`{}`, `{"userId":7,"primary":true}`, `{"userId":8,"primary":false}`} {
		code, body := call(t, h, "POST", "/v1/accounts/1/keys", in)
		require.Equal(t, 201, code, body)
		var raw map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &raw))
		require.Len(t, raw, 5, "key, secret, userId, primary, createdAt: %s", body)
		var k admin.CreatedAPIKey
		require.NoError(t, json.Unmarshal([]byte(body), &k))
		require.Regexp(t, `^[0-9a-f]{32}$`, k.Key)
		require.Regexp(t, `^[0-9a-f]{40}$`, k.Secret)
		created = append(created, k)
	}
	require.Nil(t, created[0].UserID)
	require.False(t, created[0].Primary)
	require.Equal(t, int64(7), *created[1].UserID)
	require.True(t, created[1].Primary)
	require.False(t, created[2].Primary)

	code, body := call(t, h, "GET", "/v1/accounts/1/keys", "")
	require.Equal(t, 200, code)
	for _, k := range created {
		require.Contains(t, body, k.Key)
		require.NotContains(t, body, k.Secret, "listing must never show secrets")
	}
	require.NotContains(t, body, "secret")

	code, _ = call(t, h, "DELETE", "/v1/accounts/1/keys/"+created[2].Key, "")
	require.Equal(t, 204, code)
	_, body = call(t, h, "GET", "/v1/accounts/1/keys", "")
	var list admin.APIKeyList
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Nil(t, list.Keys[0].RevokedAt)
	require.Equal(t, "2026-11-23T10:15:30.123Z", *list.Keys[2].RevokedAt)

	for name, tc := range map[string]struct {
		method, path, body string
		status             int
		want               string
	}{
		"primary without user": {"POST", "/v1/accounts/1/keys", `{"primary":true}`, 400,
			`{"code":"invalid","message":"primary: applies only to a user's key; give userId","field":"primary"}`},
		"zero user": {"POST", "/v1/accounts/1/keys", `{"userId":0}`, 400,
			`{"code":"invalid","message":"userId: must be a positive integer","field":"userId"}`},
		"string user":            {"POST", "/v1/accounts/1/keys", `{"userId":"7"}`, 400, ``},
		"unknown account":        {"POST", "/v1/accounts/9/keys", `{}`, 404, `{"code":"not_found","message":"no account 9"}`},
		"list unknown":           {"GET", "/v1/accounts/9/keys", ``, 404, `{"code":"not_found","message":"no account 9"}`},
		"revoke unknown":         {"DELETE", "/v1/accounts/1/keys/nope", ``, 404, `{"code":"not_found","message":"no key nope in account 1"}`},
		"revoke other account's": {"DELETE", "/v1/accounts/2/keys/" + created[0].Key, ``, 404, ``},
	} {
		t.Run(name, func(t *testing.T) {
			code, body := call(t, h, tc.method, tc.path, tc.body)
			require.Equal(t, tc.status, code, body)
			if tc.want != "" {
				require.JSONEq(t, tc.want, body)
			}
		})
	}
}
