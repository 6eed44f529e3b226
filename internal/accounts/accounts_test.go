package accounts_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(context.Background())
	require.NoError(t, err)
	return st
}

func newBox(t *testing.T) *secrets.Box {
	mk, err := secrets.NewMasterKey(rand.Reader)
	require.NoError(t, err)
	return secrets.NewBox(mk, nil)
}

func TestLookupKey(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	svc := accounts.NewService(st, newBox(t), nil, nil)
	a, err := svc.CreateAccount(ctx, "Acme")
	require.NoError(t, err)
	k, err := svc.CreateKey(ctx, a.ID, accounts.KeyParams{})
	require.NoError(t, err)

	t.Run("ReturnsDecryptedSecret", func(t *testing.T) {
		got, secret, err := svc.LookupKey(ctx, k.Key)
		require.NoError(t, err)
		require.Equal(t, k.Secret, secret)
		require.Equal(t, a.ID, got.AccountID)
		require.NotContains(t, string(got.SecretSealed), k.Secret)
	})
	t.Run("UnknownKey", func(t *testing.T) {
		_, _, err := svc.LookupKey(ctx, "nope")
		require.ErrorIs(t, err, accounts.ErrUnknownKey)
	})
	t.Run("OtherMasterKeyCannotRead", func(t *testing.T) {
		other := accounts.NewService(st, newBox(t), nil, nil)
		_, _, err := other.LookupKey(ctx, k.Key)
		require.ErrorIs(t, err, secrets.ErrDecrypt)
	})
	t.Run("RevokedKeyStillFound", func(t *testing.T) {
		_, err := svc.RevokeKey(ctx, a.ID, k.Key)
		require.NoError(t, err)
		got, _, err := svc.LookupKey(ctx, k.Key)
		require.NoError(t, err)
		require.NotNil(t, got.RevokedAt)
	})
}

func TestKeysAreUnique(t *testing.T) {
	ctx := context.Background()
	svc := accounts.NewService(newStore(t), newBox(t), nil, nil)
	a, err := svc.CreateAccount(ctx, "Acme")
	require.NoError(t, err)
	seen := map[string]bool{}
	for range 50 {
		k, err := svc.CreateKey(ctx, a.ID, accounts.KeyParams{})
		require.NoError(t, err)
		require.False(t, seen[k.Key])
		seen[k.Key] = true
	}
}
