package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"syscall"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

func TestNearestFlag(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	for _, n := range []string{"account", "admin-url", "body", "subject", "txn-id", "data-dir"} {
		fs.String(n, "", "")
	}
	for in, want := range map[string]string{
		"acount": "account", "accont": "account", "acc": "account", "admin": "admin-url", "admin-ulr": "admin-url",
		"subjet": "subject", "bdy": "body", "datadir": "data-dir", "txnid": "txn-id",
		"zzzzzzzz": "", "verbose": "", "x": "",
	} {
		require.Equal(t, want, nearestFlag(fs, in), in)
	}
}

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"acount", "account", 1}, {"abc", "abc", 0}} {
		require.Equal(t, tc.d, levenshtein(tc.a, tc.b), tc)
		require.Equal(t, tc.d, levenshtein(tc.b, tc.a), tc)
	}
}

func TestUnreachableReason(t *testing.T) {
	dial := func(err error) error { return fmt.Errorf("Post: %w", &net.OpError{Op: "dial", Net: "tcp", Err: err}) }
	for want, err := range map[string]error{
		"connection refused":            dial(syscall.ECONNREFUSED),
		"host nosuch.invalid not found": dial(&net.DNSError{Name: "nosuch.invalid", Err: "no such host", IsNotFound: true}),
		"timed out":                     fmt.Errorf("x: %w", context.DeadlineExceeded),
		"host unreachable":              dial(syscall.EHOSTUNREACH),
		"connection failed":             dial(errors.New("something else")),
		"":                              errors.New("HTTP 500"),
	} {
		require.Equal(t, want, unreachableReason(err), err)
	}
	err := server{what: "admin API", url: "http://127.0.0.1:8081", flag: "admin-url"}.unreachable(dial(syscall.ECONNREFUSED))
	require.EqualError(t, err, "no ivvy-notify admin API at http://127.0.0.1:8081 (connection refused): is serve running? set --admin-url or IVVY_NOTIFY_ADMIN_URL")
	plain := errors.New("HTTP 500")
	require.Same(t, plain, server{}.unreachable(plain))
}

func TestCheckJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":1}`:          "",
		" [1, 2]\n":        "",
		`{"a":1,}`:         "line 1, column 8: invalid character '}' looking for beginning of object key string",
		"{\n\"a\": tru\n}": "line 2, column 9: invalid character '\\n' in literal true (expecting 'e')",
		`{"é": x}`:         "line 1, column 7: invalid character 'x' looking for beginning of value",
		`{"a":`:            "line 1, column 6: the JSON ends early (an unclosed { [ or \")",
		``:                 "line 1, column 1: the JSON ends early (an unclosed { [ or \")",
		`1 2`:              "line 1, column 3: more than one JSON value",
	} {
		err := checkJSON([]byte(in))
		if want == "" {
			require.NoError(t, err, in)
			continue
		}
		require.EqualError(t, err, want, in)
	}
}

var positionPrefix = regexp.MustCompile(`^line [1-9][0-9]*, column [1-9][0-9]*: `)

// FuzzCheckJSON checks that checkJSON accepts exactly what encoding/json
// accepts, and that every refusal starts with a line and column.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,}`, "{\n\"a\": tru\n}", `[`, ``, `1 2`, "\"\xff\"", `{"a":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := checkJSON(raw)
		if json.Valid(raw) != (err == nil) {
			t.Fatalf("checkJSON(%q) = %v, json.Valid = %t", raw, err, json.Valid(raw))
		}
		if err != nil && !positionPrefix.MatchString(err.Error()) {
			t.Fatalf("no position in %q", err)
		}
	})
}

func TestExplainStoreChains(t *testing.T) {
	cmd := &cobra.Command{Use: "x"}
	for err, want := range map[error]string{
		fmt.Errorf("sqlite: subscription 5: %w", store.ErrNotFound):          "subscription 5: not found",
		fmt.Errorf("postgres: create account: %w", store.ErrConflict):        "create account: conflict",
		fmt.Errorf("revoke: %w", &accounts.NotFoundError{What: "account 9"}): "revoke: no account 9",
		errors.New("sqlite: disk I/O error"):                                 "sqlite: disk I/O error",
	} {
		require.Equal(t, want, explain(cmd, err))
	}
}
