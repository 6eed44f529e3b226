package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/cli"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// childCLI runs the real binary with args and the child servers' admin
// token (unless token is empty), without any other IVVY_NOTIFY_ variable.
func childCLI(t *testing.T, bin, token string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IVVY_NOTIFY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if token != "" {
		cmd.Env = append(cmd.Env, "IVVY_NOTIFY_ADMIN_TOKEN="+token)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errOut.String()
}

// TestSecondServeOnLockedDataDirFails: a second serve on a data directory a
// serve holds exits at once, naming the holder's PID and admin API.
func TestSecondServeOnLockedDataDirFails(t *testing.T) {
	bin := childBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	first := childStart(t, bin, dataDir)

	start := time.Now()
	code, _, stderr := childCLI(t, bin, childToken, "serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
	require.Equal(t, 1, code, stderr)
	require.Less(t, time.Since(start), 5*time.Second, "fails fast")
	abs, err := filepath.Abs(dataDir)
	require.NoError(t, err)
	require.Equal(t, fmt.Sprintf("error: data directory %s is in use by ivvy-notify serve (PID %d, admin API %s): "+
		"stop it, or give this server another --data-dir\n", abs, first.cmd.Process.Pid, first.adminURL), stderr)

	code, _, stderr = childCLI(t, bin, childToken, "migrate", "--data-dir", dataDir)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, fmt.Sprintf("(PID %d, admin API %s): migrate does not change the schema under a running server", first.cmd.Process.Pid, first.adminURL))

	first.kill()
	second := childStart(t, bin, dataDir)
	second.mustAdmin(200, "GET", "/v1/accounts", "", nil)
}

// TestCLIAgainstRunningServer: account and key commands run while a serve
// holds the data directory go through its admin API, so the server sees
// them: a rotated signing key signs the next publish.
func TestCLIAgainstRunningServer(t *testing.T) {
	bin := childBinary(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	c := childStart(t, bin, dataDir)
	rcv := newTestReceiver(t, c.publicURL+"/keys", true)
	acct := c.subscribe(rcv.URL("/companies"))
	rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 1)

	publishOne := func(id int) string {
		c.mustAdmin(202, "POST", "/v1/accounts/"+acct+"/events", fmt.Sprintf(`{"subject":"CompanyAdded","body":{"data":{"id":%d}}}`, id), nil)
		return rcv.waitFor(receiver.SNSTypeNotification, id)[id-1].Inner.SigningPublicKeyPath
	}
	before := publishOne(1)

	code, out, stderr := childCLI(t, bin, childToken, "key", "rotate", "--account", acct, "--data-dir", dataDir)
	require.Equal(t, 0, code, stderr)
	m := regexp.MustCompile(`^account ` + acct + ` now signs with key version \d+\n  public key path: (/accounts/` + acct + `/\d+/notifcert.txt)\n$`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.NotEqual(t, before, m[1])
	require.Equal(t, m[1], publishOne(2), "the next publish is signed with the rotated key (and verifies)")

	code, out, stderr = childCLI(t, bin, childToken, "account", "create", "Globex", "--data-dir", dataDir)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "created account 2 \"Globex\"\n", out)
	var list struct{ Accounts []struct{ ID, Name string } }
	c.mustAdmin(200, "GET", "/v1/accounts", "", &list)
	require.Len(t, list.Accounts, 2)
	require.Equal(t, "Globex", list.Accounts[1].Name)

	code, out, stderr = childCLI(t, bin, childToken, "key", "create", "--account", "2", "--json", "--data-dir", dataDir)
	require.Equal(t, 0, code, stderr)
	var key struct{ Key, Secret string }
	require.NoError(t, json.Unmarshal([]byte(out), &key))
	require.NotEmpty(t, key.Secret)
	code, out, stderr = childCLI(t, bin, childToken, "key", "revoke", "--account", "2", key.Key, "--data-dir", dataDir)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "revoked key "+key.Key+" of account 2\n", out)

	// The server takes its token from the environment, so there is no
	// admin-token file: without the variable the command cannot reach the
	// API, and says so instead of writing the database itself.
	code, _, stderr = childCLI(t, bin, "", "account", "create", "Initech", "--data-dir", dataDir)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "no admin token: "+filepath.Join(dataDir, "admin-token")+" does not exist; set IVVY_NOTIFY_ADMIN_TOKEN")
	require.Contains(t, stderr, "takes its admin token from $IVVY_NOTIFY_ADMIN_TOKEN)")
	c.mustAdmin(200, "GET", "/v1/accounts", "", &list)
	require.Len(t, list.Accounts, 2, "nothing written behind the server's back")
}

// TestPostgresCLIRotateSeenByNode: a PostgreSQL node keeps no copy of the
// accounts' signing keys, so `key rotate` run against the shared database
// from another data directory (no server holds it: the command works
// directly) signs the node's next publish.
func TestPostgresCLIRotateSeenByNode(t *testing.T) {
	masterKey := strings.Repeat("5a", 32)
	cfg := testConfig(t)
	cfg.DatabaseURL, cfg.MasterKey, cfg.AllowPrivateEndpoints = testDatabaseURL(t), masterKey, true
	s := &subscribed{srv: startServer(t, cfg)}
	s.acct, s.key = newAccountKey(t, s.srv)
	s.rcv = newTestReceiver(t, s.srv.KeyBaseURL, true)
	_, err := ivvyclient.New(s.srv.PublicURL, s.key.Key, s.key.Secret).SubscribeToNotifications(context.Background(),
		ivvyclient.Endpoints{Companies: s.rcv.URL("/companies")})
	require.NoError(t, err)
	s.rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 1)
	publish(t, s.srv, s.acct, "CompanyAdded", []byte(`{"data":{"id":1}}`))
	before := s.rcv.waitFor(receiver.SNSTypeNotification, 1)[0].Inner.SigningPublicKeyPath

	var out, errOut bytes.Buffer
	env := map[string]string{"IVVY_NOTIFY_MASTER_KEY": masterKey}
	code := cli.Run(context.Background(), []string{"key", "rotate", "--account", s.acct, "--json",
		"--database-url", cfg.DatabaseURL, "--data-dir", filepath.Join(t.TempDir(), "other")},
		cli.IO{Stdout: &out, Stderr: &errOut, LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	require.Equal(t, 0, code, errOut.String())
	var rotated struct{ PublicKeyPath string }
	require.NoError(t, json.Unmarshal(out.Bytes(), &rotated))
	require.NotEqual(t, before, rotated.PublicKeyPath)

	publish(t, s.srv, s.acct, "CompanyAdded", []byte(`{"data":{"id":2}}`))
	require.Equal(t, rotated.PublicKeyPath, s.rcv.waitFor(receiver.SNSTypeNotification, 2)[1].Inner.SigningPublicKeyPath)

	out.Reset()
	code = cli.Run(context.Background(), []string{"migrate", "--database-url", cfg.DatabaseURL, "--data-dir", cfg.DataDir},
		cli.IO{Stdout: &out, Stderr: &errOut, LookupEnv: func(string) (string, bool) { return "", false }})
	require.Equal(t, 0, code, "PostgreSQL's migrations run beside the nodes, even from a node's data directory: %s", errOut.String())
	require.Contains(t, out.String(), "database is up to date")
}
