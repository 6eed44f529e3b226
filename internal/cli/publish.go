package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
)

// adminFlags locate a running server's admin API and its token.
type adminFlags struct {
	adminURL string
	dataDir  string
}

func (f *adminFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.adminURL, "admin-url", "http://127.0.0.1:8081", "base URL of the server's admin listener")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "./data", "data directory holding admin-token (unless IVVY_NOTIFY_ADMIN_TOKEN is set)")
}

// token returns the admin token from the environment or the data directory.
func (f *adminFlags) token(io IO) (string, error) {
	if v, ok := io.LookupEnv(config.EnvAdminToken); ok && v != "" {
		return v, nil
	}
	path := filepath.Join(f.dataDir, secrets.AdminTokenFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("no admin token: %s does not exist; set %s, or --data-dir to the server's data directory (serve writes admin-token there)",
			path, config.EnvAdminToken)
	}
	if err != nil {
		return "", fmt.Errorf("admin token: set %s or point --data-dir at the server's: %w", config.EnvAdminToken, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// post sends a JSON body to the admin API and decodes the answer.
func (f *adminFlags) post(io IO, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return f.do(io, http.MethodPost, path, body, out)
}

// do calls the admin API and decodes the JSON answer into out (nil, or a
// 204 answer, decodes nothing).
func (f *adminFlags) do(io IO, method, path string, body []byte, out any) error {
	tok, err := f.token(io)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, strings.TrimRight(f.adminURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return server{what: "admin API", url: f.adminURL, flag: "admin-url"}.unreachable(err)
	}
	defer resp.Body.Close()
	raw, err := readAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return adminError(f.adminURL, resp.StatusCode, raw)
	}
	if resp.StatusCode == http.StatusNoContent || out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// adminError is an admin API error answer in words, with what to do where
// the answer calls for it.
func adminError(adminURL string, status int, raw []byte) error {
	var e struct{ Code, Message, Field string }
	if json.Unmarshal(raw, &e) != nil || e.Message == "" {
		return fmt.Errorf("HTTP %d from %s, not an ivvy-notify admin API answer (%.100q): is --admin-url the server's admin listener?",
			status, adminURL, strings.TrimSpace(string(raw)))
	}
	hint := ""
	switch {
	case status == http.StatusUnauthorized:
		hint = fmt.Sprintf("; set %s to the server's admin token, or --data-dir to its data directory", config.EnvAdminToken)
	case e.Field == "subject":
		hint = "; 'ivvy-notify subjects' lists the catalog"
	}
	return fmt.Errorf("admin API: HTTP %d: %s%s", status, e.Message, hint)
}

// readAll reads a response body, bounded.
func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 16<<20)) }

func newPublishCmd(cio IO) *cobra.Command {
	var f adminFlags
	var account, subject, body, txnID string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Publish one event for an account through a running server's admin API",
		Example: `  ivvy-notify publish --account 1 --subject CompanyAdded --body '{"data":{"id":1}}'
  ivvy-notify publish --account 1 --subject CompanyUpdated --body @event.json
  ivvy-notify publish --subject CompanyAdded --body '{"data":{"id":1}}'   # serve --dev's account`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := f.accountOrDev(account)
			if err != nil {
				return err
			}
			raw, err := readBody(body)
			if err != nil {
				return err
			}
			var out admin.PublishedOut
			in := admin.EventIn{Subject: subject, Body: raw, TxnID: txnID}
			if err := f.post(cio, fmt.Sprintf("/v1/accounts/%d/events", id), in, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(cio.Stdout, out)
			}
			fmt.Fprintf(cio.Stdout, "published %s: txnId %s, %d message(s), %d deliver%s%s\n", subject, out.TxnID,
				out.Messages, out.Deliveries, plural(out.Deliveries, "y", "ies"), map[bool]string{true: " (duplicate txnId: nothing new)"}[out.Duplicate])
			return nil
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&account, "account", "", "account id (default: serve --dev's account, from --data-dir)")
	cmd.Flags().StringVar(&subject, "subject", "", "notification subject, e.g. CompanyAdded (required)")
	cmd.Flags().StringVar(&body, "body", "", "event body: JSON, or @file to read it from a file (required)")
	cmd.Flags().StringVar(&txnID, "txn-id", "", "idempotency key: 32 lowercase hex digits (default: generated)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the admin API's answer as JSON")
	_ = cmd.MarkFlagRequired("subject")
	_ = cmd.MarkFlagRequired("body")
	bindFlagsToEnv(cmd, cio)
	return cmd
}

// accountOrDev parses --account or, when it is not given, takes the
// account of serve --dev's credentials in the data directory.
func (f *adminFlags) accountOrDev(account string) (int64, error) {
	if account != "" {
		return parseAccountID(account)
	}
	creds, err := app.ReadDevCredentials(f.dataDir)
	if err != nil {
		return 0, fmt.Errorf("--account is required: no serve --dev credentials in %s to take the dev account from (%w)",
			f.dataDir, errors.Unwrap(err))
	}
	return creds.AccountID, nil
}

// readBody reads a --body value: JSON text, or @path for a file's content.
func readBody(v string) (json.RawMessage, error) {
	raw, what := []byte(v), "--body"
	if path, ok := strings.CutPrefix(v, "@"); ok {
		var err error
		if raw, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("--body: %w", err)
		}
		what = "--body " + v
	}
	if err := checkJSON(raw); err != nil {
		return nil, fmt.Errorf("%s is not JSON: %w", what, err)
	}
	return raw, nil
}

// checkJSON reports where and why raw is not one JSON value: "line 2,
// column 7: invalid character '}' looking for beginning of object key
// string".
func checkJSON(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, more := dec.Token(); more != io.EOF {
			return fmt.Errorf("%s: more than one JSON value", position(raw, dec.InputOffset()-1))
		}
		return nil
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s: %s", position(raw, se.Offset-1), se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: the JSON ends early (an unclosed { [ or \")", position(raw, int64(len(raw))))
	}
	return err
}

// position is the line and column (1-based, column in characters) of the
// byte at index i of raw; i may be len(raw), just past the end.
func position(raw []byte, i int64) string {
	i = min(max(i, 0), int64(len(raw)))
	before := raw[:i]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
