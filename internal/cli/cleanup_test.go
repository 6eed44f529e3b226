package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// subscriptionARNs lists the account's subscription ARNs through the admin
// API, oldest first.
func subscriptionARNs(t *testing.T, adminURL, dir string) []string {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(dir, "admin-token"))
	require.NoError(t, err)
	req, err := http.NewRequest("GET", adminURL+"/v1/accounts/1/subscriptions", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Topics []struct{ Subscriptions []struct{ ARN string } }
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	var arns []string
	for _, topic := range out.Topics {
		for _, s := range topic.Subscriptions {
			arns = append(arns, s.ARN)
		}
	}
	return arns
}

func TestCleanupCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
		"IVVY_NOTIFY_DEV": "true",
	})
	require.Eventually(t, func() bool { return strings.Contains(srv.out.String(), "dev mode:") }, 5*time.Second, 10*time.Millisecond)
	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(srv.out.String())[1]
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError) // never confirms: the confirmation retries
	}))
	defer hook.Close()
	admin := []string{"--admin-url", adminURL, "--data-dir", dir}
	subscribe := func(path string) {
		code, _, errOut := runCLI(t, nil, "subscribe", "--api-url", srv.publicURL, "--data-dir", dir,
			"--endpoint", "companies", "--url", hook.URL+path)
		require.Equal(t, 0, code, errOut)
	}

	subscribe("/a")
	arn := subscriptionARNs(t, adminURL, dir)[0]
	code, out, errOut := runCLI(t, nil, append([]string{"subscriptions", "delete", arn}, admin...)...)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "deleted subscription "+arn+" (was PendingConfirmation); 1 pending delivery cancelled\n", out)
	code, out, errOut = runCLI(t, nil, append([]string{"subscriptions", "delete", arn, "--json"}, admin...)...)
	require.Equal(t, 0, code, errOut)
	var deleted struct {
		ARN, Status, PreviousStatus string
		CancelledDeliveries         int
	}
	require.NoError(t, json.Unmarshal([]byte(out), &deleted))
	require.Equal(t, arn, deleted.ARN)
	require.Equal(t, "Deleted", deleted.Status)
	require.Equal(t, "Deleted", deleted.PreviousStatus)
	require.Zero(t, deleted.CancelledDeliveries)
	code, out, _ = runCLI(t, nil, append([]string{"subscriptions", "delete", arn}, admin...)...)
	require.Equal(t, 0, code)
	require.Equal(t, "subscription "+arn+" was already deleted; 0 pending deliveries cancelled\n", out)
	code, _, errOut = runCLI(t, nil, append([]string{"subscriptions", "delete", "arn:nope"}, admin...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "HTTP 404: no subscription arn:nope")

	code, _, errOut = runCLI(t, nil, append([]string{"deliveries", "cancel", "1"}, admin...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "HTTP 409: delivery 1 is cancelled, not pending: it is already cancelled")

	subscribe("/b")
	arn = subscriptionARNs(t, adminURL, dir)[1]
	code, out, errOut = runCLI(t, nil, append([]string{"deliveries", "cancel", "2"}, admin...)...)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^cancelled delivery 2 \(SubscriptionConfirmation [0-9a-f-]{36} to `+regexp.QuoteMeta(arn)+
		`\) after \d+ attempt\(s\); it will not be sent again\n$`, out)
	code, _, errOut = runCLI(t, nil, append([]string{"deliveries", "cancel", "999", "--json"}, admin...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "HTTP 404: no delivery 999")
}
