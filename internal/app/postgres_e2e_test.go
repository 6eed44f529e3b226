package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/pgtest"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// testDatabaseURL creates a fresh PostgreSQL database for the test, dropped
// when it ends, and returns its URL. Without IVVY_NOTIFY_TEST_DATABASE_URL
// the test is skipped (failed under CI=true).
func testDatabaseURL(t *testing.T) string {
	t.Helper()
	base := pgtest.URL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "ivvy_e2e_" + hex.EncodeToString(b)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}

func TestPostgresEndToEnd(t *testing.T) {
	cfg := testConfig(t)
	cfg.DatabaseURL = testDatabaseURL(t)
	cfg.AllowPrivateEndpoints = true
	srv := startServer(t, cfg)
	acct, key := newAccountKey(t, srv)
	rcv := newTestReceiver(t, srv.KeyBaseURL, true)
	_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(), allEndpoints(rcv))
	require.NoError(t, err)
	rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 7)

	subjects := srv.Notify.Catalog().Subjects()
	for _, s := range subjects {
		require.EqualValues(t, 1, publish(t, srv, acct, s.Name, s.ExampleBody())["deliveries"])
	}
	require.Len(t, rcv.waitFor(receiver.SNSTypeNotification, len(subjects)), len(subjects))

	dup := `{"subject":"CompanyAdded","body":{"data":{}},"txnId":"00000000000000000000000000000001"}`
	var first, second map[string]any
	require.Equal(t, 202, adminCall(t, srv, "POST", "/v1/accounts/"+acct+"/events", dup, &first))
	require.Equal(t, 202, adminCall(t, srv, "POST", "/v1/accounts/"+acct+"/events", dup, &second))
	require.Equal(t, true, second["duplicate"], "a duplicate txnId on PostgreSQL is reported, not an error")
}

// TestPostgresNodeWithOtherMasterKeyRefused: nodes share one database, so a
// node started with a different or missing master key must refuse to start.
func TestPostgresNodeWithOtherMasterKeyRefused(t *testing.T) {
	dbURL := testDatabaseURL(t)
	first := testConfig(t)
	first.DatabaseURL = dbURL
	first.MasterKey = strings.Repeat("11", 32)
	core, err := app.OpenCore(context.Background(), first, nil)
	require.NoError(t, err)
	require.NoError(t, core.Close())

	same := testConfig(t)
	same.DatabaseURL, same.MasterKey = dbURL, first.MasterKey
	core, err = app.OpenCore(context.Background(), same, nil)
	require.NoError(t, err, "another node with the same key starts")
	require.NoError(t, core.Close())

	other := testConfig(t)
	other.DatabaseURL, other.MasterKey = dbURL, strings.Repeat("22", 32)
	_, err = app.OpenCore(context.Background(), other, nil)
	require.ErrorContains(t, err, "not the one this database was created with")

	missing := testConfig(t)
	missing.DatabaseURL = dbURL
	_, err = app.OpenCore(context.Background(), missing, nil)
	require.ErrorContains(t, err, "no key was given", "a node without the key is refused, not given a new one")
}
