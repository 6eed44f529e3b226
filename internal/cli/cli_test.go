package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/cli"
)

// runCLI runs the command line with the given environment.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), args, cli.IO{Stdout: &out, Stderr: &errOut, LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	return code, out.String(), errOut.String()
}

func TestAccountAndKeyCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"IVVY_NOTIFY_DATA_DIR": dir}

	code, out, errOut := runCLI(t, env, "account", "create", "Acme")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "created account 1 \"Acme\"\n", out)

	code, out, _ = runCLI(t, nil, "account", "create", "Globex", "--json", "--data-dir", dir)
	require.Equal(t, 0, code)
	var acct struct{ ID, Name, CreatedAt string }
	require.NoError(t, json.Unmarshal([]byte(out), &acct))
	require.Equal(t, "2", acct.ID)

	code, out, _ = runCLI(t, env, "account", "list")
	require.Equal(t, 0, code)
	require.Regexp(t, `(?m)^ID\s+NAME\s+CREATED$`, out)
	require.Regexp(t, `(?m)^1\s+Acme\s+\d{4}-`, out)
	require.Regexp(t, `(?m)^2\s+Globex\s+`, out)

	code, out, _ = runCLI(t, env, "key", "create", "--account", "1", "--json")
	require.Equal(t, 0, code)
	var key struct {
		Key, Secret string
		UserID      *int64
		Primary     bool
	}
	require.NoError(t, json.Unmarshal([]byte(out), &key))
	require.NotEmpty(t, key.Secret)
	require.Nil(t, key.UserID)

	code, out, _ = runCLI(t, env, "key", "create", "--account", "1", "--user-id", "7", "--primary")
	require.Equal(t, 0, code)
	require.Contains(t, out, "created primary user 7's key for account 1")
	require.Regexp(t, `secret: [0-9a-f]{40}`, out)

	code, out, _ = runCLI(t, env, "key", "list", "--account", "1")
	require.Equal(t, 0, code)
	require.Contains(t, out, key.Key)
	require.NotContains(t, out, key.Secret)
	require.Contains(t, out, "account-level key")

	code, out, _ = runCLI(t, env, "key", "revoke", "--account", "1", key.Key)
	require.Equal(t, 0, code)
	require.Equal(t, "revoked key "+key.Key+" of account 1\n", out)

	code, out, _ = runCLI(t, env, "key", "list", "--account", "1", "--json")
	require.Equal(t, 0, code)
	require.Regexp(t, `"revokedAt": "\d{4}-`, out)
	require.NotContains(t, out, key.Secret)

	t.Run("Errors", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"key", "create"}, `required flag(s) "account" not set`},
			{[]string{"key", "create", "--account", "x"}, `--account "x": want a positive account id`},
			{[]string{"key", "create", "--account", "9"}, "error: no account 9\n"},
			{[]string{"key", "create", "--account", "1", "--primary"}, "primary: applies only to a user's key"},
			{[]string{"key", "revoke", "--account", "1", "nope"}, "error: no key nope in account 1\n"},
			{[]string{"account", "create"}, "accepts 1 arg(s)"},
			{[]string{"account", "create", " "}, "name: is required"},
			{[]string{"bogus"}, "unknown command"},
		} {
			code, _, errOut := runCLI(t, env, tc.args...)
			require.Equal(t, 1, code, tc.args)
			require.Contains(t, errOut, tc.want, tc.args)
		}
	})
}

func TestMigrate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errOut := runCLI(t, nil, "migrate", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^applied migrations \[1( \d+)*\]; schema version is now \d+\n$`, out)
	code, out, _ = runCLI(t, nil, "migrate", "--data-dir", dir)
	require.Equal(t, 0, code)
	require.Regexp(t, `^database is up to date \(schema version \d+\)\n$`, out)
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	require.Equal(t, 0, code)
	require.Regexp(t, `^ivvy-notify \S+\n  commit:  \S+.*\n  built:   \S+.*\n  go:      go\S+ \w+/\w+\n$`, out)
	code, flagOut, _ := runCLI(t, nil, "--version")
	require.Equal(t, 0, code)
	require.Equal(t, out, flagOut)
}

func TestServeHelpShowsDefaultsAndEnv(t *testing.T) {
	code, out, _ := runCLI(t, nil, "serve", "--help")
	require.Equal(t, 0, code)
	for _, want := range []string{
		`--listen string`, `(env IVVY_NOTIFY_LISTEN) (default "127.0.0.1:8080")`,
		`(env IVVY_NOTIFY_ADMIN_LISTEN) (default "127.0.0.1:8081")`,
		`(env IVVY_NOTIFY_DATA_DIR) (default "./data")`,
		`(env IVVY_NOTIFY_RATE_LIMIT) (default 20)`,
		`(env IVVY_NOTIFY_RATE_BURST) (default 40)`,
	} {
		require.Contains(t, out, want)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			require.Contains(t, line, "(env IVVY_NOTIFY_", line)
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while serve writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestServeFromEnvironment(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR":     dir,
		"IVVY_NOTIFY_LISTEN":       "127.0.0.1:0",
		"IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
		"IVVY_NOTIFY_ADMIN_TOKEN":  "env-token",
		"IVVY_NOTIFY_LOG_FORMAT":   "json",
	})
	banner := s.out.String()
	require.Contains(t, banner, "data directory:     "+dir)
	require.Contains(t, banner, "admin token:        from $IVVY_NOTIFY_ADMIN_TOKEN")
	require.Contains(t, banner, "master key:         "+filepath.Join(dir, "master.key")+" (generated)")
	require.NotContains(t, banner, "env-token")

	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(banner)[1]
	req, _ := http.NewRequest("GET", adminURL+"/v1/accounts", nil)
	req.Header.Set("Authorization", "Bearer env-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	require.Equal(t, 0, s.stop(), s.errOut.String())
	require.Contains(t, s.errOut.String(), `"msg":"serving"`, "--log-format json from the environment")
}

func TestServeRejectsBadConfig(t *testing.T) {
	code, _, errOut := runCLI(t, map[string]string{"IVVY_NOTIFY_LOG_FORMAT": "xml"}, "serve", "--data-dir", t.TempDir())
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--log-format")
	code, _, errOut = runCLI(t, map[string]string{"IVVY_NOTIFY_RATE_BURST": "many"}, "serve")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "IVVY_NOTIFY_RATE_BURST")
}

func TestPingCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, out, errOut := runCLI(t, nil, "account", "create", "Acme", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	code, out, _ = runCLI(t, nil, "key", "create", "--account", "1", "--json", "--data-dir", dir)
	require.Equal(t, 0, code)
	var key struct{ Key, Secret string }
	require.NoError(t, json.Unmarshal([]byte(out), &key))

	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
	})
	env := map[string]string{"IVVY_NOTIFY_KEY": key.Key, "IVVY_NOTIFY_SECRET": key.Secret}
	for _, dialect := range []string{"js", "dotnet"} {
		code, out, errOut = runCLI(t, env, "ping", "--api-url", srv.publicURL, "--dialect", dialect)
		require.Equal(t, 0, code, errOut)
		require.Regexp(t, `^ack \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(`+dialect+` dialect, \d+ ms\)\n$`, out)
	}
	code, _, errOut = runCLI(t, map[string]string{"IVVY_NOTIFY_KEY": key.Key, "IVVY_NOTIFY_SECRET": "wrong"}, "ping", "--api-url", srv.publicURL)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "23004")
	code, _, errOut = runCLI(t, nil, "ping", "--api-url", srv.publicURL)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--key and --secret are required")
}

// serving is a "serve" command running in the background.
type serving struct {
	publicURL   string
	out, errOut *syncBuffer
	stop        func() int
}

// startServe runs "serve" with env until stop is called or the test ends.
func startServe(t *testing.T, env map[string]string) *serving {
	t.Helper()
	s := &serving{out: &syncBuffer{}, errOut: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, []string{"serve"}, cli.IO{Stdout: s.out, Stderr: s.errOut, LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		}})
	}()
	var once sync.Once
	var code int
	s.stop = func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { require.Equal(t, 0, s.stop(), s.errOut.String()) })
	public := regexp.MustCompile(`iVvy API \(public\):\s+(http://\S+)/api/1.0/`)
	require.Eventually(t, func() bool { return public.MatchString(s.out.String()) }, 10*time.Second, 20*time.Millisecond)
	s.publicURL = public.FindStringSubmatch(s.out.String())[1]
	return s
}

func TestPublishAndRotateCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	code, _, errOut := runCLI(t, nil, "account", "create", "Acme", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	code, out, _ := runCLI(t, nil, "key", "rotate", "--account", "1", "--data-dir", dir)
	require.Equal(t, 0, code)
	require.Regexp(t, `^account 1 now signs with key version \d+\n  public key path: /accounts/1/\d+/notifcert.txt\n$`, out)

	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
	})
	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(srv.out.String())[1]
	bodyFile := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(bodyFile, []byte(`{"data":{"id":7}}`), 0o600))

	code, out, errOut = runCLI(t, nil, "publish", "--admin-url", adminURL, "--data-dir", dir,
		"--account", "1", "--subject", "CompanyAdded", "--body", "@"+bodyFile)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^published CompanyAdded: txnId [0-9a-f]{32}, 0 message\(s\), 0 deliveries\n$`, out)

	code, _, errOut = runCLI(t, nil, "publish", "--admin-url", adminURL, "--data-dir", dir,
		"--account", "1", "--subject", "CompanyDeleted", "--body", `{"data":{}}`)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `HTTP 400`)
	require.Contains(t, errOut, `admin API: HTTP 400: body of CompanyDeleted: "companyId" is required`)

	code, _, errOut = runCLI(t, nil, "publish", "--admin-url", adminURL, "--data-dir", t.TempDir(),
		"--account", "1", "--subject", "CompanyAdded", "--body", `{"data":{}}`)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "admin token")
}

func TestDeadLettersCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
	})
	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(srv.out.String())[1]
	flags := []string{"--admin-url", adminURL, "--data-dir", dir}

	code, out, errOut := runCLI(t, nil, append([]string{"deadletters", "list"}, flags...)...)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "no dead letters\n", out, "an empty list says so")

	code, _, errOut = runCLI(t, nil, append([]string{"deadletters", "show", "42"}, flags...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "HTTP 404: no delivery 42")

	code, _, errOut = runCLI(t, nil, append([]string{"deadletters", "redrive"}, flags...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "give a dead letter ID")

	code, out, errOut = runCLI(t, nil, append([]string{"deadletters", "redrive", "--since", "2026-01-01T00:00:00Z"}, flags...)...)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "0 redriven\n", out)
}

func TestDevSubscribeUnsubscribe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
		"IVVY_NOTIFY_DEV": "true",
	})
	require.Eventually(t, func() bool { return strings.Contains(srv.out.String(), "dev mode:") }, 5*time.Second, 10*time.Millisecond)
	require.Regexp(t, `dev mode:\s+private endpoints allowed; account 1, API key [0-9a-f]{32}`, srv.out.String())
	require.NotContains(t, srv.out.String(), "secret\":", "the secret is not printed")

	subscribeURLs := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ Type, SubscribeURL string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		if m.Type == "SubscriptionConfirmation" {
			subscribeURLs <- m.SubscribeURL
		}
	}))
	defer hook.Close()

	code, out, errOut := runCLI(t, nil, "ping", "--api-url", srv.publicURL, "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^ack .* UTC \(js dialect, \d+ ms\)\n$`, out, "ping falls back to the dev key as subscribe does")

	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(srv.out.String())[1]
	flags := []string{"--api-url", srv.publicURL, "--data-dir", dir, "--endpoint", "companies", "--url", hook.URL + "/c"}
	code, out, errOut = runCLI(t, nil, append([]string{"subscribe", "--admin-url", adminURL}, flags...)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "subscribed "+hook.URL+"/c to companies: PendingConfirmation\n"+
		"  it receives a SubscriptionConfirmation and is subscribed once it visits SubscribeURL\n")
	require.Regexp(t, `(?m)^companies\s+pending or confirmed\s+arn:aws:sns:local:000000000000:iVvy_Account_1_[0-9a-f]{40}_NotifCompanies$`, out)
	resp, err := http.Get(<-subscribeURLs)
	require.NoError(t, err)
	resp.Body.Close()

	code, out, errOut = runCLI(t, nil, append([]string{"subscribe", "--admin-url", adminURL, "--json"}, flags...)...)
	require.Equal(t, 0, code, errOut)
	var sub struct{ Status, SubscriptionARN, TopicARN string }
	require.NoError(t, json.Unmarshal([]byte(out), &sub), out)
	require.Equal(t, "Confirmed", sub.Status, "subscribing a confirmed URL again leaves it confirmed")
	require.True(t, strings.HasPrefix(sub.SubscriptionARN, sub.TopicARN+":"), out)

	code, out, errOut = runCLI(t, nil, "publish", "--admin-url", adminURL, "--data-dir", dir,
		"--subject", "CompanyAdded", "--body", `{"data":{"id":1}}`)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^published CompanyAdded: txnId [0-9a-f]{32}, 1 message\(s\), 1 delivery\n$`, out,
		"publish without --account takes serve --dev's account")

	code, out, errOut = runCLI(t, nil, append([]string{"subscribe", "--admin-url", "http://127.0.0.1:1"}, flags...)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "to companies: pending unless it was confirmed before: it receives a SubscriptionConfirmation")
	require.Contains(t, out, "(state not read: no ivvy-notify admin API at http://127.0.0.1:1 (connection refused)")

	code, out, errOut = runCLI(t, nil, append([]string{"unsubscribe", "--json"}, flags...)...)
	require.Equal(t, 0, code, errOut)
	require.JSONEq(t, `{"endpoint":"companies","url":"`+hook.URL+`/c","result":1,"resultText":"Success"}`, out)
	code, out, _ = runCLI(t, nil, append([]string{"unsubscribe"}, flags...)...)
	require.Equal(t, 1, code)
	require.Contains(t, out, "companies: 4 (Not Found)")

	code, _, errOut = runCLI(t, nil, "subscribe", "--api-url", srv.publicURL, "--data-dir", t.TempDir(), "--endpoint", "companies", "--url", hook.URL)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--key and --secret are required")
	code, _, errOut = runCLI(t, nil, append([]string{"subscribe", "--endpoint", "bogus", "--url", hook.URL}, flags[:4]...)...)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `--endpoint "bogus"`)
}
