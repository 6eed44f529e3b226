package ivvyapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ivvy-notify/ivvy-notify/internal/ivvyapi"
	"github.com/ivvy-notify/ivvy-notify/internal/iws"
)

// knownStatuses are the only statuses the iVvy API may answer with here.
var knownStatuses = map[int]bool{200: true, 400: true, 401: true, 404: true, 405: true, 429: true, 463: true}

// FuzzDispatch sends arbitrary methods, namespaces, actions, bodies and
// authorization values through the whole handler. The answer must be 200 or
// a well-formed iVvy error whose errorCode equals the status; never a panic
// and never a 500. Half the inputs are correctly signed, so the fuzzer gets
// past authentication into routing and body checks.
func FuzzDispatch(f *testing.F) {
	f.Add("POST", "test", "ping", "", true, "")
	f.Add("POST", "test", "ping", `{"example":"body"}`, true, "")
	f.Add("GET", "test", "ping", "", true, "")
	f.Add("POST", "account", "subscribeToNotifications", `{"companiesEndpoint":"https://x"}`, true, "")
	f.Add("POST", "nosuch", "x", "[]", false, "IWS a:b")
	f.Add("POST", "test", "ping", `{"a":`, true, "")
	f.Add("PUT", "../../etc", "%00", "\x00", false, "IWS :")
	e := newEnv(f, func(o *ivvyapi.Options) { o.MaxBodyBytes = 4096 })

	f.Fuzz(func(t *testing.T, method, namespace, action, body string, sign bool, auth string) {
		if !validMethod(method) {
			method = http.MethodPost
		}
		target := "/api/1.0/" + url.PathEscape(namespace) + "?action=" + url.QueryEscape(action)
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		if sign {
			if err := iws.SignRequest(r, []byte(body), e.key.Key, e.key.Secret, e.now, iws.DialectJS); err != nil {
				t.Fatal(err)
			}
		} else {
			r.Header.Set("X-Api-Authorization", auth)
		}
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)

		if !knownStatuses[w.Code] {
			t.Fatalf("status %d for %s %s: %s", w.Code, method, target, w.Body)
		}
		if w.Code == 200 || method == http.MethodHead {
			return
		}
		var got ivvyapi.Error
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("error body is not JSON: %q", w.Body)
		}
		if got.ErrorCode != w.Code || got.SpecificCode == 0 || got.Message == "" || got.AdditionalMessages == nil {
			t.Fatalf("malformed error for %s %s: %s", method, target, w.Body)
		}
	})
}

// validMethod reports whether m is a token net/http accepts as a method.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, c) {
			return false
		}
	}
	return true
}
