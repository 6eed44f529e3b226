package admin_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWrongMethodIs405WithAllow(t *testing.T) {
	h := newHandler(t)
	for _, tc := range []struct {
		method, path, allow, want string
	}{
		{"DELETE", "/v1/accounts", "GET, HEAD, POST",
			`{"code":"method_not_allowed","message":"DELETE /v1/accounts: method not allowed; allowed: GET, HEAD, POST"}`},
		{"PUT", "/v1/accounts/1/events", "POST",
			`{"code":"method_not_allowed","message":"PUT /v1/accounts/1/events: method not allowed; allowed: POST"}`},
		{"GET", "/v1/accounts/1/keys/abc", "DELETE",
			`{"code":"method_not_allowed","message":"GET /v1/accounts/1/keys/abc: method not allowed; allowed: DELETE"}`},
	} {
		r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(""))
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, 405, w.Code, tc.path)
		require.Equal(t, tc.allow, w.Header().Get("Allow"), tc.path)
		require.JSONEq(t, tc.want, w.Body.String(), tc.path)
	}
	code, body := call(t, h, "GET", "/v2/nothing", "")
	require.Equal(t, 404, code)
	require.JSONEq(t, `{"code":"not_found","message":"no admin route GET /v2/nothing"}`, body)
}

func TestUnauthenticatedWrongMethodIs401(t *testing.T) {
	w := httptest.NewRecorder()
	newHandler(t).ServeHTTP(w, httptest.NewRequest("DELETE", "/v1/accounts", nil))
	require.Equal(t, 401, w.Code, "no route information leaks before the token is checked")
}

func TestBadBodyWords(t *testing.T) {
	h := newHandler(t)
	for body, want := range map[string]string{
		`{"name":"A","nmae":"B"}`:                       `{"code":"invalid","message":"request body: unknown field \"nmae\""}`,
		`{"name":"A"} {}`:                               `{"code":"invalid","message":"request body: more than one JSON value"}`,
		`{"name":"` + strings.Repeat("x", 2<<20) + `"}`: `{"code":"invalid","message":"request body: larger than 1048576 bytes"}`,
	} {
		code, got := call(t, h, "POST", "/v1/accounts", body)
		require.Equal(t, 400, code)
		require.JSONEq(t, want, got)
	}
}
