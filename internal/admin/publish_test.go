package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/testdomain"
)

// publishEnv is the admin API on the real domain, with one account.
type publishEnv struct {
	d *testdomain.Domain
	h http.Handler
}

func newPublishEnv(t testing.TB) *publishEnv {
	d := testdomain.New(t, nil)
	return &publishEnv{d: d, h: admin.NewHandler(admin.Options{Token: token, Accounts: d.Accounts, Notify: d.Notify, Store: d.Store})}
}

func (e *publishEnv) post(path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func (e *publishEnv) events(t testing.TB) int {
	var n int
	require.NoError(t, e.d.Store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM events`).Scan(&n))
	return n
}

func TestPublishWithoutSubscribers(t *testing.T) {
	e := newPublishEnv(t)
	acct := strconv.FormatInt(e.d.AccountID, 10)
	w := e.post("/v1/accounts/"+acct+"/events", `{"subject":"CompanyAdded","body":{"data":{"id":1}}}`)
	require.Equal(t, 202, w.Code, w.Body.String())
	var out admin.PublishedOut
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out))
	require.Regexp(t, `^[0-9a-f]{32}$`, out.TxnID)
	require.Zero(t, out.Deliveries)
	require.Equal(t, 1, e.events(t), "the event is stored even with nobody subscribed")

	w = e.post("/v1/accounts/999/events", `{"subject":"CompanyAdded","body":{"data":{"id":1}}}`)
	require.Equal(t, 404, w.Code)
	w = e.post("/v1/accounts/"+acct+"/events/batch", `{"events":[]}`)
	require.Equal(t, 400, w.Code)
	w = e.post("/v1/accounts/"+acct+"/events", `{"subject":"CompanyAdded","body":{"data":{}},"sourceType":7}`)
	require.Equal(t, 400, w.Code)
	require.Contains(t, w.Body.String(), `"field":"sourceType"`)
}

// FuzzPublishBody sends arbitrary bodies to the publish endpoint of the real
// admin API: the answer is 202 (one event stored) or 400 (nothing stored),
// never anything else.
func FuzzPublishBody(f *testing.F) {
	f.Add(`{"subject":"CompanyAdded","body":{"data":{"id":1}}}`)
	f.Add(`{"subject":"BookingDeleted","body":{"venueId":1,"bookingId":2,"bookingStatus":"x","accommodationIds":[],"roomReservationIds":[],"sessionIds":[]}}`)
	f.Add(`{"subject":"CompanyAdded","body":{"data":{}},"sourceType":1,"sourceInfo":{"key":"k"},"txnId":"0123456789abcdef0123456789abcdef"}`)
	f.Add(`{"subject":"RoomRatesUpdated","body":{"data":[1]}}`)
	f.Add(`{"subject":1}`)
	e := newPublishEnv(f)
	path := "/v1/accounts/" + strconv.FormatInt(e.d.AccountID, 10) + "/events"
	f.Fuzz(func(t *testing.T, body string) {
		before := e.events(t)
		w := e.post(path, body)
		after := e.events(t)
		switch w.Code {
		case 202:
			var out admin.PublishedOut
			if json.Unmarshal(w.Body.Bytes(), &out) != nil || (after != before+1 && !out.Duplicate) {
				t.Fatalf("202 but %d→%d events: %s", before, after, w.Body)
			}
		case 400:
			if after != before {
				t.Fatalf("400 but an event was stored: %s", w.Body)
			}
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
	})
}
