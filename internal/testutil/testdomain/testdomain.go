// Package testdomain builds the domain (accounts and notify services) on a
// real SQLite store in a temporary directory, for tests.
package testdomain

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

// Key is one RSA-2048 key shared by every test signature: generating keys
// is slow, and tests of signing do not need distinct ones.
func Key(t testing.TB) *rsa.PrivateKey {
	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return key
}

// Domain is the services on one real store.
type Domain struct {
	Store    *sqlite.Store
	Accounts *accounts.Service
	Notify   *notify.Service
	// AccountID is an account created for the test.
	AccountID int64
}

// New builds the domain. wrap, when not nil, wraps the store the notify
// service sees (for fault injection).
func New(t testing.TB, wrap func(store.Store) store.Store) *Domain {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), sqlite.FileName))
	must(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(ctx)
	must(t, err)
	mk, err := secrets.NewMasterKey(rand.Reader)
	must(t, err)
	accts := accounts.NewService(st, secrets.NewBox(mk, nil), nil, nil)
	accts.SetKeyGenerator(func(io.Reader, int) (*rsa.PrivateKey, error) { return Key(t), nil })
	a, err := accts.CreateAccount(ctx, "Acme")
	must(t, err)
	var s store.Store = st
	if wrap != nil {
		s = wrap(st)
	}
	svc := notify.New(notify.Deps{
		Store: s, Accounts: accts, Catalog: catalog.Default(),
		SNS:  sns.Signer{Key: Key(t), Version: "1", CertURL: "http://127.0.0.1:1/SimpleNotificationService-0.pem"},
		URLs: webhookurl.Policy{AllowPrivate: true}, TopicSecret: []byte("topic-secret"), Rand: rand.Reader,
	}, notify.Settings{Partition: "aws", Region: "local", Owner: "000000000000", PublicURL: "http://127.0.0.1:1", TokenTTL: 3600e9})
	return &Domain{Store: st, Accounts: accts, Notify: svc, AccountID: a.ID}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
