package cli_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/cli"
)

// startListen runs "listen" until the test ends and returns its URL and output.
func startListen(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	hook, out, _ := startListenIO(t, args...)
	return hook, out
}

// startListenIO is startListen that returns stderr too; the banner is
// looked for on either.
func startListenIO(t *testing.T, args ...string) (hook string, out, errOut *syncBuffer) {
	t.Helper()
	out, errOut = &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, append([]string{"listen", "--listen", "127.0.0.1:0"}, args...), cli.IO{Stdout: out, Stderr: errOut,
			LookupEnv: func(string) (string, bool) { return "", false }})
	}()
	t.Cleanup(func() { cancel(); require.Equal(t, 0, <-done, errOut.String()) })
	re := regexp.MustCompile(`listening on (http://\S+)/ `)
	require.Eventually(t, func() bool { return re.MatchString(out.String() + errOut.String()) }, 5*time.Second, 10*time.Millisecond, errOut.String())
	return re.FindStringSubmatch(out.String() + errOut.String())[1], out, errOut
}

func TestListenEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
		"IVVY_NOTIFY_DEV": "true", "IVVY_NOTIFY_ADMIN_TOKEN": "tok",
	})
	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(srv.out.String())[1]
	forwarded := make(chan []byte, 4)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		forwarded <- b
		w.WriteHeader(http.StatusNoContent)
	}))
	defer app.Close()
	hook, out := startListen(t, "--server", srv.publicURL, "--forward-to", app.URL)

	code, _, errOut := runCLI(t, nil, "subscribe", "--api-url", srv.publicURL, "--data-dir", dir, "--endpoint", "companies", "--url", hook+"/")
	require.Equal(t, 0, code, errOut)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "✓ confirmed") }, 10*time.Second, 20*time.Millisecond, out.String())

	env := map[string]string{"IVVY_NOTIFY_ADMIN_TOKEN": "tok"}
	code, _, errOut = runCLI(t, env, "publish", "--admin-url", adminURL, "--account", "1", "--subject", "CompanyAdded",
		"--body", `{"data":{"id":60825,"businessName":"Test Company 123"}}`)
	require.Equal(t, 0, code, errOut)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "── Notification  CompanyAdded") }, 10*time.Second, 20*time.Millisecond)
	block := out.String()[strings.Index(out.String(), "── Notification"):]
	require.Regexp(t, `── Notification  CompanyAdded  account 1  txn [0-9a-f]{32}  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC  → HTTP 200`, block)
	require.Contains(t, block, "\n   path             /\n")
	require.Contains(t, block, "SNS signature    ✓")
	require.Contains(t, block, "iVvy signature   ✓")
	require.Contains(t, block, `"businessName": "Test Company 123"`)
	require.Regexp(t, `forwarded\s+✓ `+regexp.QuoteMeta(app.URL)+` → 204 No Content`, block)
	var inner map[string]any
	require.NoError(t, json.Unmarshal(<-forwarded, &inner))
	require.Equal(t, "CompanyAdded", inner["Subject"])

	t.Run("TamperedMessageIsShownRejected", func(t *testing.T) {
		body := deliveredBody(t, adminURL)
		tampered := strings.Replace(body, "Test Company 123", "Test Company 999", 1)
		require.NotEqual(t, body, tampered)
		resp, err := http.Post(hook+"/", "text/plain", strings.NewReader(tampered))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 400, resp.StatusCode)
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "→ HTTP 400") }, 5*time.Second, 10*time.Millisecond)
		rejected := out.String()[strings.LastIndex(out.String(), "── Notification"):]
		require.Contains(t, rejected, "SNS signature    ✗ receiver: SNS signature:")
		require.Contains(t, rejected, "iVvy signature   ✗ not checked")
		require.Len(t, forwarded, 0, "a rejected message is not forwarded")
	})
}

// deliveredBody returns the exact bytes of the newest delivered Notification.
func deliveredBody(t *testing.T, adminURL string) string {
	get := func(path string, out any) {
		req, _ := http.NewRequest("GET", adminURL+path, nil)
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	// The receiver sees a message before the server records the attempt:
	// wait for the delivery to be recorded delivered.
	var body string
	require.Eventually(t, func() bool {
		var list struct {
			Deliveries []struct {
				ID          int64
				MessageType string
			}
		}
		get("/v1/deliveries?status=delivered", &list)
		for _, d := range list.Deliveries {
			if d.MessageType == "Notification" {
				var one struct{ Body string }
				get("/v1/deliveries/"+strconvI(d.ID), &one)
				body = one.Body
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "no delivered Notification")
	return body
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
