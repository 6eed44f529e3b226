package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
)

// captured points the service's logger at a buffer of JSON lines.
func captured(svc *notify.Service) func(t *testing.T, msg string) []map[string]any {
	var b bytes.Buffer
	svc.Logger = slog.New(slog.NewJSONHandler(&b, nil))
	return func(t *testing.T, msg string) []map[string]any {
		var out []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			if line == "" {
				continue
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &m), line)
			if m["msg"] == msg {
				out = append(out, m)
			}
		}
		b.Reset()
		return out
	}
}

func TestPublishLogLine(t *testing.T) {
	ctx := context.Background()
	svc, acct := subscribedDomain(t, nil)
	lines := captured(svc)

	one := benchEvents(1, 0)
	one[0].TxnID = strings.Repeat("ab", 16)
	_, err := svc.Publish(ctx, acct, one)
	require.NoError(t, err)
	got := lines(t, "notify: published")
	require.Len(t, got, 1)
	require.EqualValues(t, acct, got[0]["account"])
	require.Equal(t, []any{"CompanyAdded"}, got[0]["subjects"])
	require.EqualValues(t, 1, got[0]["events"])
	require.EqualValues(t, 1, got[0]["deliveries"])
	require.Equal(t, one[0].TxnID, got[0]["txn_id"])

	batch := append(benchEvents(2, 1), one[0])
	batch = append(batch, notify.Event{Subject: "CompanyUpdated", Body: json.RawMessage(`{"data":{"id":9},"previousData":{"id":9}}`)})
	_, err = svc.Publish(ctx, acct, batch)
	require.NoError(t, err)
	got = lines(t, "notify: published")
	require.Len(t, got, 1)
	require.Equal(t, []any{"CompanyAdded", "CompanyUpdated"}, got[0]["subjects"])
	require.EqualValues(t, 3, got[0]["events"], "the repeated TxnId is not new")
	require.EqualValues(t, 4, got[0]["txn_ids"])
	require.EqualValues(t, 1, got[0]["duplicates"])

	_, err = svc.Publish(ctx, acct, []notify.Event{{Subject: "NoSuchSubject", Body: json.RawMessage(`{}`)}})
	require.Error(t, err)
	require.Empty(t, lines(t, "notify: published"), "a refused publish is not logged as published")
}

func TestUnsubscribeLogLines(t *testing.T) {
	ctx := context.Background()
	svc, acct := subscribedDomain(t, nil)
	lines := captured(svc)
	hook, _ := url.Parse("http://127.0.0.1:1/hook")
	req := notify.Request{catalog.Companies: hook, catalog.CRM: hook}
	arn := svc.TopicARN(acct, catalog.Companies) + ":0b4f4c7e-1c6e-4d2a-9c1e-5a2d8e3f7b10"

	_, err := svc.Unsubscribe(ctx, notify.Caller{AccountID: acct, Key: "other", MayManage: true}, req)
	require.NoError(t, err)
	got := lines(t, "notify: unsubscribeFromNotifications")
	require.Len(t, got, 2, "one per requested endpoint")
	byEndpoint := map[any]map[string]any{got[0]["endpoint"]: got[0], got[1]["endpoint"]: got[1]}
	require.Equal(t, "incorrect source", byEndpoint["companies"]["outcome"])
	require.Equal(t, arn, byEndpoint["companies"]["subscription_arn"])
	require.Equal(t, "not found", byEndpoint["crm"]["outcome"])
	require.NotContains(t, byEndpoint["crm"], "subscription_arn")

	_, err = svc.Unsubscribe(ctx, notify.Caller{AccountID: acct, Key: "key", MayManage: true},
		notify.Request{catalog.Companies: hook})
	require.NoError(t, err)
	got = lines(t, "notify: unsubscribeFromNotifications")
	require.Len(t, got, 1)
	require.Equal(t, "unsubscribed", got[0]["outcome"])
	require.Equal(t, arn, got[0]["subscription_arn"])
	require.EqualValues(t, notify.ResultSuccess, got[0]["result"])
}
