package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/internal/iws"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

// testConfig listens on free loopback ports with a fresh data directory.
func testConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.AdminListen = "127.0.0.1:0"
	cfg.ShutdownTimeout = 5 * time.Second
	return cfg
}

// startServer runs a real server until the test ends.
func startServer(t *testing.T, cfg config.Config) *app.Server {
	t.Helper()
	srv, err := app.NewServer(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return srv
}

// adminCall makes an admin API request and decodes the JSON answer.
func adminCall(t *testing.T, srv *app.Server, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.AdminURL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 && resp.StatusCode != http.StatusNoContent {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

type createdKey struct {
	Key    string `json:"key"`
	Secret string `json:"secret"`
}

// newAccountKey creates an account and an account-level key through the
// admin API.
func newAccountKey(t *testing.T, srv *app.Server) (string, createdKey) {
	var acct struct{ ID string }
	require.Equal(t, 201, adminCall(t, srv, "POST", "/v1/accounts", `{"name":"Acme"}`, &acct))
	var key createdKey
	require.Equal(t, 201, adminCall(t, srv, "POST", "/v1/accounts/"+acct.ID+"/keys", `{}`, &key))
	return acct.ID, key
}

func TestServerEndToEnd(t *testing.T) {
	srv := startServer(t, testConfig(t))
	acctID, key := newAccountKey(t, srv)
	ctx := context.Background()

	for _, d := range []ivvyclient.Dialect{ivvyclient.DialectJS, ivvyclient.DialectDotNet} {
		t.Run("Ping "+d.String(), func(t *testing.T) {
			ack, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret, ivvyclient.WithDialect(d)).Ping(ctx)
			require.NoError(t, err)
			at, err := time.Parse("2006-01-02 15:04:05 UTC", ack)
			require.NoError(t, err)
			require.WithinDuration(t, time.Now(), at, 5*time.Second)
		})
	}
	t.Run("StaleDate", func(t *testing.T) {
		old := func() time.Time { return time.Now().Add(-10 * time.Minute) }
		_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret, ivvyclient.WithClock(old)).Ping(ctx)
		requireAPIError(t, err, 401, 23005, "Request is stale")
	})
	t.Run("TamperedBody", func(t *testing.T) {
		body := []byte(`{"example":"body"}`)
		req, err := http.NewRequest("POST", srv.PublicURL+"/api/1.0/test?action=ping", bytes.NewReader([]byte(`{"example":"bodY"}`)))
		require.NoError(t, err)
		require.NoError(t, iws.SignRequest(req, body, key.Key, key.Secret, time.Now(), iws.DialectJS))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var e ivvyclient.APIError
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		require.Equal(t, 401, resp.StatusCode)
		require.Equal(t, 401, e.ErrorCode)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	})
	t.Run("RevokedKey", func(t *testing.T) {
		var k createdKey
		require.Equal(t, 201, adminCall(t, srv, "POST", "/v1/accounts/"+acctID+"/keys", `{"userId":7,"primary":true}`, &k))
		client := ivvyclient.New(srv.PublicURL, k.Key, k.Secret)
		_, err := client.Ping(ctx)
		require.NoError(t, err)
		require.Equal(t, 204, adminCall(t, srv, "DELETE", "/v1/accounts/"+acctID+"/keys/"+k.Key, "", nil))
		_, err = client.Ping(ctx)
		requireAPIError(t, err, 463, 23008, "API key has been revoked")
	})
	t.Run("Healthz", func(t *testing.T) {
		for _, base := range []string{srv.PublicURL, srv.AdminURL()} {
			resp, err := http.Get(base + "/healthz")
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, 200, resp.StatusCode, base)
		}
	})
	t.Run("AdminNeedsToken", func(t *testing.T) {
		resp, err := http.Get(srv.AdminURL() + "/v1/accounts")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 401, resp.StatusCode)
	})
	t.Run("AdminAPINotOnPublicListener", func(t *testing.T) {
		req, _ := http.NewRequest("GET", srv.PublicURL+"/v1/accounts", nil)
		req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 404, resp.StatusCode)
	})
}

func requireAPIError(t *testing.T, err error, status, specific int, message string) {
	t.Helper()
	var e *ivvyclient.APIError
	require.True(t, errors.As(err, &e), "want *ivvyclient.APIError, got %v", err)
	require.Equal(t, status, e.ErrorCode)
	require.Equal(t, specific, e.SpecificCode)
	require.Equal(t, message, e.Message)
}

// TestSecretsNotStoredInPlaintext greps every file the database wrote for
// the API secrets handed out.
func TestSecretsNotStoredInPlaintext(t *testing.T) {
	cfg := testConfig(t)
	srv := startServer(t, cfg)
	var secretsGiven []string
	for range 5 {
		_, key := newAccountKey(t, srv)
		secretsGiven = append(secretsGiven, key.Secret)
		_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).Ping(context.Background())
		require.NoError(t, err)
	}
	files, err := filepath.Glob(filepath.Join(cfg.DataDir, "ivvy-notify.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, s := range secretsGiven {
			require.False(t, bytes.Contains(b, []byte(s)), "%s contains an API secret in plain text", f)
		}
	}
}

func TestMasterKeyMustMatchDatabase(t *testing.T) {
	cfg := testConfig(t)
	core, err := app.OpenCore(context.Background(), cfg, nil)
	require.NoError(t, err)
	_, err = core.Accounts.CreateAccount(context.Background(), "Acme")
	require.NoError(t, err)
	require.NoError(t, core.Close())

	t.Run("SameKeyFileReopens", func(t *testing.T) {
		core, err := app.OpenCore(context.Background(), cfg, nil)
		require.NoError(t, err)
		require.NoError(t, core.Close())
	})
	t.Run("OtherKeyRefused", func(t *testing.T) {
		other := cfg
		k, err := secrets.ParseMasterKey(strings.Repeat("ab", 32))
		require.NoError(t, err)
		other.MasterKey = k.String()
		_, err = app.OpenCore(context.Background(), other, nil)
		require.ErrorContains(t, err, "not the one this database was created with")
	})
	t.Run("MissingKeyRefusedNotRegenerated", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(cfg.DataDir, secrets.MasterKeyFile)))
		_, err := app.OpenCore(context.Background(), cfg, nil)
		require.ErrorContains(t, err, "no key was given")
		require.NoFileExists(t, filepath.Join(cfg.DataDir, secrets.MasterKeyFile))
	})
}

func TestListenerConflictIsAnError(t *testing.T) {
	first := startServer(t, testConfig(t))
	cfg := testConfig(t)
	cfg.Listen = strings.TrimPrefix(first.PublicURL, "http://")
	_, err := app.NewServer(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.ErrorContains(t, err, "--listen")
}

// createKey makes an API key for the account through the admin API.
func createKey(t *testing.T, srv *app.Server, acct, body string) createdKey {
	var k createdKey
	require.Equal(t, 201, adminCall(t, srv, "POST", "/v1/accounts/"+acct+"/keys", body, &k))
	return k
}

// adminCallRaw is adminCall that decodes the body whatever the status.
func adminCallRaw(t *testing.T, srv *app.Server, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.AdminURL()+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	return resp.StatusCode
}

// acctOf returns the id of the server's only account.
func acctOf(t *testing.T, srv *app.Server) string {
	var out struct{ Accounts []struct{ ID string } }
	require.Equal(t, 200, adminCall(t, srv, "GET", "/v1/accounts", "", &out))
	require.Len(t, out.Accounts, 1)
	return out.Accounts[0].ID
}

func decodeXML(resp *http.Response, v any) error { return xml.NewDecoder(resp.Body).Decode(v) }

// arnIn extracts the SubscriptionArn of a ConfirmSubscriptionResponse.
func arnIn(t *testing.T, body []byte) string {
	var r struct {
		Result struct{ SubscriptionArn string } `xml:"ConfirmSubscriptionResult"`
	}
	require.NoError(t, xml.Unmarshal(body, &r))
	require.NotEmpty(t, r.Result.SubscriptionArn)
	return r.Result.SubscriptionArn
}

func apiMessage(err error) string {
	var e *ivvyclient.APIError
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
