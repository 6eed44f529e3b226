package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// compatDir is the npm project holding AWS's JavaScript validator.
const compatDir = "../../compat"

// TestAWSJavaScriptValidator feeds raw SubscriptionConfirmation and
// Notification bodies, as delivered over a TLS-served deployment, to AWS's
// own JavaScript validator (npm sns-validator, see compat/README.md), for
// both SignatureVersions, and checks that a tampered Notification fails it.
// UnsubscribeConfirmations are left out: sns-validator omits Token from
// their signed string (SNS.md §8.2), so correct ones fail it.
func TestAWSJavaScriptValidator(t *testing.T) {
	requireNodeValidator(t)
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) {
			srv, hc, certFile := tlsNotifyServer(t, version)
			rcv := newRawReceiver(t)
			acct, conf := subscribeOverTLS(t, srv, hc, rcv)
			notes := publishOverTLS(t, srv, hc, rcv, acct, 3)

			dir := t.TempDir()
			files := []string{writeBody(t, dir, "confirmation.json", conf.Body)}
			want := []string{"ok SubscriptionConfirmation"}
			for i, n := range notes {
				require.Equal(t, version, n.SNS.SignatureVersion)
				files = append(files, writeBody(t, dir, fmt.Sprintf("notification-%d.json", i), n.Body))
				want = append(want, "ok Notification")
			}
			u, err := url.Parse(conf.SNS.SigningCertURL)
			require.NoError(t, err)
			hostPattern := "^" + regexp.QuoteMeta(u.Host) + "$" // host includes the port

			out, err := runValidator(t, certFile, hostPattern, files...)
			require.NoError(t, err, "sns-validator rejected our messages:\n%s", out)
			require.Equal(t, want, strings.Split(strings.TrimSpace(out), "\n"))

			tampered := writeBody(t, dir, "tampered.json", tamperMessage(t, notes[0].Body))
			out, err = runValidator(t, certFile, hostPattern, tampered)
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "a tampered Notification must fail: %v\n%s", err, out)
			require.Equal(t, "FAIL "+tampered+": The message signature is invalid.", strings.TrimSpace(out))
		})
	}
}

// requireNodeValidator skips the test when node or the npm packages are
// missing, except under CI=true, where it fails so CI cannot skip it.
func requireNodeValidator(t *testing.T) {
	t.Helper()
	var missing string
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else if _, err := os.Stat(filepath.Join(compatDir, "node_modules", "sns-validator")); err != nil {
		missing = "compat/node_modules/sns-validator is missing: run `npm ci --prefix compat`"
	}
	switch {
	case missing == "":
	case os.Getenv("CI") == "true":
		t.Fatalf("CI=true: the AWS JavaScript validator check must run: %s", missing)
	default:
		t.Skipf("skipping the AWS JavaScript validator check: %s", missing)
	}
}

// runValidator runs compat/validate.js on files, trusting certFile for
// HTTPS, and returns its standard output (logged line by line).
func runValidator(t *testing.T, certFile, hostPattern string, files ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join(compatDir, "validate.js")}, files...)...)
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+certFile, "SNS_HOST_PATTERN="+hostPattern)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		t.Logf("sns-validator: %s", line)
	}
	if stderr.Len() > 0 {
		t.Logf("sns-validator stderr: %s", stderr.String())
	}
	return stdout.String(), err
}

// writeBody writes a message body into dir and returns its path.
func writeBody(t *testing.T, dir, name string, body []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, body, 0o600))
	return p
}

// tamperMessage flips the case of the first ASCII letter of the body's
// Message, changing one byte of the signed text.
func tamperMessage(t *testing.T, body []byte) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	msg := []byte(m["Message"].(string))
	i := bytes.IndexFunc(msg, func(r rune) bool { return r < 0x80 && (r|0x20) >= 'a' && (r|0x20) <= 'z' })
	require.GreaterOrEqual(t, i, 0)
	msg[i] ^= 0x20
	m["Message"] = string(msg)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}
