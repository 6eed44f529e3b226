package admin_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPublishErrorWords checks the exact error answers of publishing: a
// single event's error names no event index, a batch's names the event at
// fault, and a batch too large names none.
func TestPublishErrorWords(t *testing.T) {
	e := newPublishEnv(t)
	acct := "/v1/accounts/" + strconv.FormatInt(e.d.AccountID, 10)
	event := `{"subject":"CompanyAdded","body":{"data":{"id":1}}}`
	for name, tc := range map[string]struct{ path, body, want string }{
		"single, unknown subject": {acct + "/events", `{"subject":"CompnyAdded","body":{}}`,
			`{"code":"invalid","message":"unknown subject \"CompnyAdded\" (did you mean \"CompanyAdded\"?)","field":"subject"}`},
		"single, bad body": {acct + "/events", `{"subject":"CompanyDeleted","body":{"data":{}}}`,
			`{"code":"invalid","message":"body of CompanyDeleted: \"companyId\" is required","field":"body"}`},
		"single, bad txnId": {acct + "/events", `{"subject":"CompanyAdded","body":{"data":{}},"txnId":"x"}`,
			`{"code":"invalid","message":"txnId: must be 32 lowercase hex digits, like iVvy's TxnId","field":"txnId"}`},
		"batch, second event": {acct + "/events/batch", `{"events":[` + event + `,{"subject":"Nope","body":{}}]}`,
			`{"code":"invalid","message":"event 1: unknown subject \"Nope\"","field":"subject","index":1}`},
		"batch, first event": {acct + "/events/batch", `{"events":[{"subject":"Nope","body":{}}]}`,
			`{"code":"invalid","message":"event 0: unknown subject \"Nope\"","field":"subject","index":0}`},
		"batch of 101": {acct + "/events/batch", `{"events":[` + strings.Repeat(event+",", 100) + event + `]}`,
			`{"code":"invalid","message":"a batch holds 1 to 100 events, not 101","field":"events"}`},
		"empty batch": {acct + "/events/batch", `{"events":[]}`,
			`{"code":"invalid","message":"a batch holds 1 to 100 events, not 0","field":"events"}`},
		"unknown account": {"/v1/accounts/999/events", event, `{"code":"not_found","message":"no account 999"}`},
	} {
		t.Run(name, func(t *testing.T) {
			w := e.post(tc.path, tc.body)
			require.JSONEq(t, tc.want, w.Body.String())
		})
	}
	require.Zero(t, e.events(t), "no refused publish stores anything")
}
