package cli_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestErrorTexts")

// errorCase is one command line whose error text is pinned by a golden
// file, testdata/errors/<name>.golden.
type errorCase struct {
	name string
	env  map[string]string
	args []string
}

// TestErrorTexts pins the exact error texts a user reads: each golden file
// holds a command's stderr, with the test's URLs and directories replaced
// by {{API_URL}}, {{ADMIN_URL}}, {{DATA_DIR}} and {{EMPTY_DIR}}. Run with
// -update to rewrite them after a deliberate change.
func TestErrorTexts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	empty := t.TempDir()
	code, out, errOut := runCLI(t, nil, "account", "create", "Acme", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	code, out, _ = runCLI(t, nil, "key", "create", "--account", "1", "--json", "--data-dir", dir)
	require.Equal(t, 0, code)
	var key struct{ Key, Secret string }
	require.NoError(t, json.Unmarshal([]byte(out), &key))
	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
	})
	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(srv.out.String())[1]
	admin := []string{"--admin-url", adminURL, "--data-dir", dir}
	publish := func(args ...string) []string { return append(append([]string{"publish"}, admin...), args...) }
	creds := []string{"--api-url", srv.publicURL, "--key", key.Key, "--secret", key.Secret}
	token := map[string]string{"IVVY_NOTIFY_ADMIN_TOKEN": "x"}

	for _, tc := range []errorCase{
		{"unknown-flag", nil, []string{"publish", "--acount", "1"}},
		{"unknown-flag-far", nil, []string{"publish", "--zzzzzzzz", "1"}},
		{"unknown-command", nil, []string{"pubish"}},
		{"unknown-subcommand", nil, []string{"deadletters", "lst"}},
		{"unknown-subcommand-flags", nil, []string{"key", "creat", "--account", "1"}},
		{"required-flag", nil, []string{"key", "create"}},
		{"too-many-args", nil, []string{"account", "create", "a", "b"}},
		{"bad-flag-value", nil, []string{"serve", "--rate-burst", "many"}},
		{"bad-bool-value", nil, []string{"serve", "--dev=maybe"}},
		{"bad-env-value", map[string]string{"IVVY_NOTIFY_RATE_BURST": "many"}, []string{"serve"}},
		{"bad-env-duration", map[string]string{"IVVY_NOTIFY_TOKEN_TTL": "3 days"}, []string{"serve"}},
		{"invalid-env-settings", map[string]string{"IVVY_NOTIFY_LOG_FORMAT": "xml", "IVVY_NOTIFY_DATA_DIR": empty},
			[]string{"serve", "--log-level", "loud"}},
		{"body-not-json", token, publish("--account", "1", "--subject", "CompanyAdded", "--body", "{\n  \"data\": {\"id\": 1,}\n}")},
		{"body-ends-early", token, publish("--account", "1", "--subject", "CompanyAdded", "--body", `{"data":`)},
		{"body-two-values", token, publish("--account", "1", "--subject", "CompanyAdded", "--body", `{} {}`)},
		{"no-admin-api", token, []string{"publish", "--admin-url", "http://127.0.0.1:1", "--account", "1", "--subject", "CompanyAdded", "--body", "{}"}},
		{"no-admin-token", nil, []string{"deadletters", "list", "--admin-url", adminURL, "--data-dir", empty}},
		{"wrong-admin-token", token, []string{"deadletters", "list", "--admin-url", adminURL}},
		{"admin-url-is-public", nil, []string{"deadletters", "list", "--admin-url", srv.publicURL, "--data-dir", dir}},
		{"unknown-subject", nil, publish("--account", "1", "--subject", "CompnyAdded", "--body", "{}")},
		{"bad-event-body", nil, publish("--account", "1", "--subject", "CompanyDeleted", "--body", `{"data":{}}`)},
		{"publish-no-dev-account", token, []string{"publish", "--admin-url", adminURL, "--data-dir", empty, "--subject", "CompanyAdded", "--body", "{}"}},
		{"publish-no-account", nil, publish("--account", "99", "--subject", "CompanyAdded", "--body", `{"data":{}}`)},
		{"no-dead-letter", nil, append([]string{"deadletters", "show", "42"}, admin...)},
		{"no-api-server", nil, []string{"ping", "--api-url", "http://127.0.0.1:1", "--key", "k", "--secret", "s"}},
		{"no-credentials", nil, []string{"ping", "--api-url", srv.publicURL, "--data-dir", empty}},
		{"loopback-without-dev", nil, append([]string{"subscribe", "--endpoint", "companies", "--url", "http://127.0.0.1:9000/hook"}, creds...)},
		{"unsubscribe-not-found", nil, append([]string{"unsubscribe", "--endpoint", "companies", "--url", "https://hooks.example.com/x"}, creds...)},
		{"no-account-direct", nil, []string{"key", "create", "--account", "99", "--data-dir", empty}},
		{"bad-account-flag-env", map[string]string{"IVVY_NOTIFY_KEY_LIST_ACCOUNT": "x"}, []string{"key", "list", "--data-dir", empty}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.env, tc.args...)
			require.Equal(t, 1, code)
			got := strings.NewReplacer(adminURL, "{{ADMIN_URL}}", srv.publicURL, "{{API_URL}}", dir, "{{DATA_DIR}}", empty, "{{EMPTY_DIR}}").Replace(errOut)
			golden := filepath.Join("testdata", "errors", tc.name+".golden")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create it")
			require.Equal(t, string(want), got)
		})
	}
}
