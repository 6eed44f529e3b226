package app_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver"
)

func TestSigningKeyRotation(t *testing.T) {
	s := newSubscribed(t)
	publish(t, s.srv, s.acct, "CompanyAdded", []byte(`{"data":{"id":1}}`))
	before := s.rcv.waitFor(receiver.SNSTypeNotification, 1)[0].Inner.SigningPublicKeyPath

	var rotated struct {
		Version       int64  `json:"version"`
		PublicKeyPath string `json:"publicKeyPath"`
	}
	require.Equal(t, 201, adminCall(t, s.srv, "POST", "/v1/accounts/"+s.acct+"/signing-keys", "", &rotated))
	require.NotEqual(t, before, rotated.PublicKeyPath)

	publish(t, s.srv, s.acct, "CompanyAdded", []byte(`{"data":{"id":2}}`))
	after := s.rcv.waitFor(receiver.SNSTypeNotification, 2)[1].Inner.SigningPublicKeyPath
	require.Equal(t, rotated.PublicKeyPath, after, "new events are signed with the new key (and verified by the receiver)")

	old, err := httpGet(s.srv.KeyBaseURL + before)
	require.NoError(t, err, "the old public key is still served")
	cur, err := httpGet(s.srv.KeyBaseURL + after)
	require.NoError(t, err)
	require.NotEqual(t, old, cur)

	var list struct{ SigningKeys []struct{ Version int64 } }
	require.Equal(t, 200, adminCall(t, s.srv, "GET", "/v1/accounts/"+s.acct+"/signing-keys", "", &list))
	require.Len(t, list.SigningKeys, 2)
}

func TestExpiredTokenRefused(t *testing.T) {
	cfg := testConfig(t)
	cfg.AllowPrivateEndpoints = true
	cfg.TokenTTL = time.Minute
	srv := startServer(t, cfg)
	_, key := newAccountKey(t, srv)
	rcv := newTestReceiver(t, srv.KeyBaseURL, false)
	subscribeCompanies(t, srv, key, rcv.URL("/c"))
	c := rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 1)[0]

	_, err := srv.Store.(interface{ DB() *sql.DB }).DB().Exec(`UPDATE confirmation_tokens SET expires_at = expires_at - 120000000`)
	require.NoError(t, err)
	_, err = httpGet(c.SNS.SubscribeURL)
	require.ErrorContains(t, err, "Invalid parameter: Token")
}

func TestCatalogFile(t *testing.T) {
	cfg := testConfig(t)
	cfg.AllowPrivateEndpoints = true
	cfg.CatalogFile = filepath.Join(t.TempDir(), "subjects.json")
	require.NoError(t, os.WriteFile(cfg.CatalogFile, []byte(`{"subjects":[{"name":"EventAdded","endpoint":"events","shape":"data"}]}`), 0o600))
	srv := startServer(t, cfg)
	acct, key := newAccountKey(t, srv)
	rcv := newTestReceiver(t, srv.KeyBaseURL, true)
	subscribeEvents(t, srv, key, rcv.URL("/events"))
	rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 1)
	require.EqualValues(t, 1, publish(t, srv, acct, "EventAdded", []byte(`{"data":{"id":1}}`))["deliveries"])
	n := rcv.waitFor(receiver.SNSTypeNotification, 1)[0]
	require.Equal(t, "EventAdded", n.Inner.Subject)
}
