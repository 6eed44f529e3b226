package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
)

// TestPrintDeliveryGolden pins the single delivery view: "no response" for
// an attempt without a status, the subject or the message type, the next
// attempt and the pretty-printed body.
func TestPrintDeliveryGolden(t *testing.T) {
	next, body, subject := "2026-11-23T10:17:00.123Z", `{"Type":"Notification","Message":"{}"}`, "CompanyAdded"
	d := admin.DeliveryOut{ID: 7, SubscriptionARN: "arn:aws:sns:local:0:t:s", SubscriptionID: 3, AccountID: "1",
		URL: "https://hooks.example/in", Subject: &subject, MessageID: "m-1", MessageType: "Notification", Status: "pending",
		Attempts: 2, NextAttemptAt: &next, SubscriptionPaused: true, LastError: "HTTP 503", Body: &body,
		AttemptLog: []admin.AttemptOut{
			{Number: 1, StartedAt: "2026-11-23T10:15:30.123Z", DurationMs: 3, Outcome: "retry", Error: "connection refused"},
			{Number: 2, StartedAt: "2026-11-23T10:16:00.000Z", DurationMs: 41, StatusCode: 503, Outcome: "retry", Error: "HTTP 503"},
		}}
	var out bytes.Buffer
	printDelivery(IO{Stdout: &out}, "delivery", d)
	require.Equal(t, `delivery 7: Notification CompanyAdded (MessageId m-1)
  account:      1
  subscription: 3 arn:aws:sns:local:0:t:s
  url:          https://hooks.example/in
  status:       pending, 2 attempt(s), next attempt at 2026-11-23T10:17:00.123Z (subscription paused: waits for a resume)
  last error:   HTTP 503
  attempt 1 at 2026-11-23T10:15:30.123Z: retry, no response, 3 ms: connection refused
  attempt 2 at 2026-11-23T10:16:00.000Z: retry, HTTP 503, 41 ms: HTTP 503
body:
{
  "Type": "Notification",
  "Message": "{}"
}
`, out.String())

	d = admin.DeliveryOut{ID: 8, MessageID: "m-2", MessageType: "SubscriptionConfirmation", Status: "dead", Attempts: 0, Body: &[]string{"not json"}[0]}
	out.Reset()
	printDelivery(IO{Stdout: &out}, "dead letter", d)
	require.Equal(t, "dead letter 8: SubscriptionConfirmation (MessageId m-2)\n  account:      \n"+
		"  subscription: 0 \n  url:          \n  status:       dead, 0 attempt(s)\nbody:\nnot json\n", out.String())
}
