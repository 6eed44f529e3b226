package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// adminGet GETs an admin API path with the token and decodes the answer.
func adminGet(t *testing.T, adminURL, token, path string, out any) {
	t.Helper()
	req, err := http.NewRequest("GET", adminURL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
}

// TestDataCommandsThroughRunningServer: while serve holds the data
// directory, account and key commands print what they print without it,
// text and JSON, but go through its admin API; migrate and a second serve
// refuse, naming it.
func TestDataCommandsThroughRunningServer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"IVVY_NOTIFY_ADMIN_TOKEN": "tok"}
	srv := startServe(t, map[string]string{
		"IVVY_NOTIFY_DATA_DIR": dir, "IVVY_NOTIFY_LISTEN": "127.0.0.1:0", "IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:0",
		"IVVY_NOTIFY_ADMIN_TOKEN": "tok",
	})
	adminURL := regexp.MustCompile(`admin API:\s+(http://\S+)/v1/`).FindStringSubmatch(srv.out.String())[1]
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	holder := fmt.Sprintf("data directory %s is in use by ivvy-notify serve (PID %d, admin API %s)", abs, os.Getpid(), adminURL)

	code, out, errOut := runCLI(t, env, "account", "create", "Acme", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "created account 1 \"Acme\"\n", out)
	code, out, _ = runCLI(t, env, "account", "list", "--json", "--data-dir", dir)
	require.Equal(t, 0, code)
	var fromCLI, fromAPI struct{ Accounts []map[string]string }
	require.NoError(t, json.Unmarshal([]byte(out), &fromCLI))
	adminGet(t, adminURL, "tok", "/v1/accounts", &fromAPI)
	require.Equal(t, fromAPI, fromCLI)
	require.Equal(t, "Acme", fromCLI.Accounts[0]["name"])
	code, out, _ = runCLI(t, env, "account", "list", "--data-dir", dir)
	require.Equal(t, 0, code)
	require.Regexp(t, `^ID\s+NAME\s+CREATED\n1\s+Acme\s+\d{4}-\S+\n$`, out)

	code, out, _ = runCLI(t, env, "key", "create", "--account", "1", "--user-id", "7", "--primary", "--data-dir", dir)
	require.Equal(t, 0, code)
	require.Regexp(t, `^created primary user 7's key for account 1\n  key:    [0-9a-f]{32}\n  secret: [0-9a-f]{40}\n`, out)
	key := regexp.MustCompile(`key:    (\S+)`).FindStringSubmatch(out)[1]
	code, out, _ = runCLI(t, env, "key", "list", "--account", "1", "--data-dir", dir)
	require.Equal(t, 0, code)
	require.Regexp(t, `(?m)^`+key+`\s+primary user 7's key\s+\S+\s+active$`, out)
	code, out, _ = runCLI(t, env, "key", "revoke", "--account", "1", key, "--json", "--data-dir", dir)
	require.Equal(t, 0, code)
	var revoked struct {
		Key       string
		RevokedAt *string
	}
	require.NoError(t, json.Unmarshal([]byte(out), &revoked))
	require.Equal(t, key, revoked.Key)
	require.NotNil(t, revoked.RevokedAt)

	code, out, _ = runCLI(t, env, "key", "rotate", "--account", "1", "--json", "--data-dir", dir)
	require.Equal(t, 0, code)
	var rotated struct{ Version int64 }
	require.NoError(t, json.Unmarshal([]byte(out), &rotated))
	var signing struct{ SigningKeys []struct{ Version int64 } }
	adminGet(t, adminURL, "tok", "/v1/accounts/1/signing-keys", &signing)
	require.Len(t, signing.SigningKeys, 2)
	require.Equal(t, rotated.Version, signing.SigningKeys[1].Version)

	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{env, []string{"key", "create", "--account", "9"}, "HTTP 404: no account 9"},
		{env, []string{"key", "revoke", "--account", "1", "nope"}, "admin API: HTTP 404: no key nope in account 1"},
		{map[string]string{"IVVY_NOTIFY_ADMIN_TOKEN": "wrong"}, []string{"account", "list"},
			"admin API: HTTP 401: missing or wrong admin bearer token; set IVVY_NOTIFY_ADMIN_TOKEN to the server's admin token, " +
				"or --data-dir to its data directory (the server holding data directory " + abs + ", PID " + fmt.Sprint(os.Getpid()) +
				", takes its admin token from $IVVY_NOTIFY_ADMIN_TOKEN)"},
		{nil, []string{"migrate"}, holder + ": migrate does not change the schema under a running server; stop it first"},
		{nil, []string{"serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, holder + ": stop it, or give this server another --data-dir\n"},
	} {
		code, _, errOut := runCLI(t, tc.env, append(tc.args, "--data-dir", dir)...)
		require.Equal(t, 1, code, tc.args)
		require.Contains(t, errOut, tc.want, tc.args)
	}

	require.Equal(t, 0, srv.stop(), srv.errOut.String())
	code, out, errOut = runCLI(t, nil, "account", "list", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `(?m)^1\s+Acme\s+`, out, "with the server stopped, the command opens the data directory itself")
	code, _, errOut = runCLI(t, nil, "migrate", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
}
