package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBinaryErrorTexts runs the real binary for golden cases that need no
// server: what a user's shell shows is the golden text, with exit code 1.
func TestBinaryErrorTexts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "ivvy-notify")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ivvy-notify/ivvy-notify/cmd/ivvy-notify").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	for _, tc := range []struct {
		golden string
		env    []string
		args   []string
	}{
		{"unknown-flag", nil, []string{"publish", "--acount", "1"}},
		{"unknown-subcommand", nil, []string{"deadletters", "lst"}},
		{"bad-env-value", []string{"IVVY_NOTIFY_RATE_BURST=many"}, []string{"serve"}},
		{"no-admin-api", []string{"IVVY_NOTIFY_ADMIN_TOKEN=x"},
			[]string{"publish", "--admin-url", "http://127.0.0.1:1", "--account", "1", "--subject", "CompanyAdded", "--body", "{}"}},
		{"no-api-server", nil, []string{"ping", "--api-url", "http://127.0.0.1:1", "--key", "k", "--secret", "s"}},
	} {
		cmd := exec.CommandContext(ctx, bin, tc.args...)
		cmd.Env = append(os.Environ(), tc.env...)
		cmd.Dir = t.TempDir()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "%s: %v", tc.golden, err)
		require.Equal(t, 1, exit.ExitCode(), tc.golden)
		want, err := os.ReadFile(filepath.Join("testdata", "errors", tc.golden+".golden"))
		require.NoError(t, err)
		require.Equal(t, string(want), stderr.String(), tc.golden)
	}
}
