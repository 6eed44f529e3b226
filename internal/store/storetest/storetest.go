// Package storetest is the conformance suite every store backend must pass.
//
// A backend's test calls Run with a constructor that returns a fresh,
// migrated, empty store for each subtest. Every behaviour change to the
// store starts as a case here, so SQLite and PostgreSQL cannot drift.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// NewStore returns a fresh, migrated, empty store; the suite closes it.
type NewStore func(t *testing.T) store.Store

// Run runs the whole suite against the backend built by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, newStore) })
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, newStore) })
	t.Run("Settings", func(t *testing.T) { testSettings(t, newStore) })
	t.Run("Transactions", func(t *testing.T) { testTransactions(t, newStore) })
	t.Run("ConflictKeepsTransactionUsable", func(t *testing.T) { testConflictKeepsTransactionUsable(t, newStore) })
	t.Run("SigningKeys", func(t *testing.T) { testSigningKeys(t, newStore) })
	t.Run("Topics", func(t *testing.T) { testTopics(t, newStore) })
	t.Run("Subscriptions", func(t *testing.T) { testSubscriptions(t, newStore) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, newStore) })
	t.Run("EventsAndDeliveries", func(t *testing.T) { testEventsAndDeliveries(t, newStore) })
	t.Run("PausesAndPolicies", func(t *testing.T) { testPausesAndPolicies(t, newStore) })
	t.Run("Cleanup", func(t *testing.T) { testCleanup(t, newStore) })
	t.Run("Views", func(t *testing.T) { testViews(t, newStore) })
}

// baseTime is a fixed time with sub-microsecond digits that backends must
// round-trip to the microsecond.
var baseTime = time.Date(2026, 11, 23, 10, 15, 30, 123456789, time.UTC)

func open(t *testing.T, newStore NewStore) (context.Context, store.Store) {
	t.Helper()
	s := newStore(t)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return context.Background(), s
}

func testAccounts(t *testing.T, newStore NewStore) {
	t.Run("CreateGetList", func(t *testing.T) {
		ctx, s := open(t, newStore)
		a1, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Acme", CreatedAt: baseTime})
		require.NoError(t, err)
		a2, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Globex", CreatedAt: baseTime.Add(time.Second)})
		require.NoError(t, err)
		require.Greater(t, a1.ID, int64(0))
		require.Greater(t, a2.ID, a1.ID)
		require.Equal(t, baseTime.Truncate(time.Microsecond), a1.CreatedAt)

		got, err := s.AccountGet(ctx, a1.ID)
		require.NoError(t, err)
		require.Equal(t, a1, got)

		list, err := s.AccountList(ctx)
		require.NoError(t, err)
		require.Equal(t, []*store.Account{a1, a2}, list)
	})
	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		ctx, s := open(t, newStore)
		_, err := s.AccountGet(ctx, 999)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("ListEmpty", func(t *testing.T) {
		ctx, s := open(t, newStore)
		list, err := s.AccountList(ctx)
		require.NoError(t, err)
		require.Empty(t, list)
	})
}

func testAPIKeys(t *testing.T, newStore NewStore) {
	setup := func(t *testing.T) (context.Context, store.Store, *store.Account) {
		ctx, s := open(t, newStore)
		a, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Acme", CreatedAt: baseTime})
		require.NoError(t, err)
		return ctx, s, a
	}
	userID := int64(7)

	t.Run("CreateAndGet", func(t *testing.T) {
		ctx, s, a := setup(t)
		k, err := s.APIKeyCreate(ctx, store.APIKeyCreateParams{
			AccountID: a.ID, Key: "k1", SecretSealed: []byte{1, 2, 3}, UserID: &userID, Primary: true, CreatedAt: baseTime,
		})
		require.NoError(t, err)
		require.Equal(t, "k1", k.Key)
		require.Equal(t, a.ID, k.AccountID)
		require.Equal(t, []byte{1, 2, 3}, k.SecretSealed)
		require.Equal(t, &userID, k.UserID)
		require.True(t, k.Primary)
		require.Nil(t, k.RevokedAt)
		require.Equal(t, baseTime.Truncate(time.Microsecond), k.CreatedAt)

		got, err := s.APIKeyGetByKey(ctx, "k1")
		require.NoError(t, err)
		require.Equal(t, k, got)
	})
	t.Run("AccountLevelKeyHasNoUser", func(t *testing.T) {
		ctx, s, a := setup(t)
		k, err := s.APIKeyCreate(ctx, store.APIKeyCreateParams{AccountID: a.ID, Key: "k1", SecretSealed: []byte{1}, CreatedAt: baseTime})
		require.NoError(t, err)
		require.Nil(t, k.UserID)
		require.False(t, k.Primary)
	})
	t.Run("DuplicateKeyIsConflict", func(t *testing.T) {
		ctx, s, a := setup(t)
		p := store.APIKeyCreateParams{AccountID: a.ID, Key: "k1", SecretSealed: []byte{1}, CreatedAt: baseTime}
		_, err := s.APIKeyCreate(ctx, p)
		require.NoError(t, err)
		_, err = s.APIKeyCreate(ctx, p)
		require.ErrorIs(t, err, store.ErrConflict)
	})
	t.Run("UnknownAccountIsNotFound", func(t *testing.T) {
		ctx, s, _ := setup(t)
		_, err := s.APIKeyCreate(ctx, store.APIKeyCreateParams{AccountID: 999, Key: "k1", SecretSealed: []byte{1}, CreatedAt: baseTime})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		ctx, s, _ := setup(t)
		_, err := s.APIKeyGetByKey(ctx, "nope")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("ListByAccount", func(t *testing.T) {
		ctx, s, a := setup(t)
		other, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Other", CreatedAt: baseTime})
		require.NoError(t, err)
		for _, p := range []store.APIKeyCreateParams{
			{AccountID: a.ID, Key: "a1", SecretSealed: []byte{1}, CreatedAt: baseTime},
			{AccountID: other.ID, Key: "o1", SecretSealed: []byte{1}, CreatedAt: baseTime},
			{AccountID: a.ID, Key: "a2", SecretSealed: []byte{1}, CreatedAt: baseTime},
		} {
			_, err := s.APIKeyCreate(ctx, p)
			require.NoError(t, err)
		}
		keys, err := s.APIKeyListByAccount(ctx, a.ID)
		require.NoError(t, err)
		require.Len(t, keys, 2)
		require.Equal(t, "a1", keys[0].Key)
		require.Equal(t, "a2", keys[1].Key)
	})
	t.Run("RevokeKeepsFirstTime", func(t *testing.T) {
		ctx, s, a := setup(t)
		_, err := s.APIKeyCreate(ctx, store.APIKeyCreateParams{AccountID: a.ID, Key: "k1", SecretSealed: []byte{1}, CreatedAt: baseTime})
		require.NoError(t, err)
		first := baseTime.Add(time.Hour)
		k, err := s.APIKeyRevoke(ctx, store.APIKeyRevokeParams{AccountID: a.ID, Key: "k1", RevokedAt: first})
		require.NoError(t, err)
		require.NotNil(t, k.RevokedAt)
		require.Equal(t, first.Truncate(time.Microsecond), *k.RevokedAt)

		k, err = s.APIKeyRevoke(ctx, store.APIKeyRevokeParams{AccountID: a.ID, Key: "k1", RevokedAt: first.Add(time.Hour)})
		require.NoError(t, err)
		require.Equal(t, first.Truncate(time.Microsecond), *k.RevokedAt)

		got, err := s.APIKeyGetByKey(ctx, "k1")
		require.NoError(t, err)
		require.Equal(t, k.RevokedAt, got.RevokedAt)
	})
	t.Run("RevokeOtherAccountsKeyIsNotFound", func(t *testing.T) {
		ctx, s, a := setup(t)
		other, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Other", CreatedAt: baseTime})
		require.NoError(t, err)
		_, err = s.APIKeyCreate(ctx, store.APIKeyCreateParams{AccountID: a.ID, Key: "k1", SecretSealed: []byte{1}, CreatedAt: baseTime})
		require.NoError(t, err)
		_, err = s.APIKeyRevoke(ctx, store.APIKeyRevokeParams{AccountID: other.ID, Key: "k1", RevokedAt: baseTime})
		require.ErrorIs(t, err, store.ErrNotFound)
		k, err := s.APIKeyGetByKey(ctx, "k1")
		require.NoError(t, err)
		require.Nil(t, k.RevokedAt, "a failed revoke must change nothing")
	})
}

func testSettings(t *testing.T, newStore NewStore) {
	t.Run("PutIfAbsentKeepsFirstValue", func(t *testing.T) {
		ctx, s := open(t, newStore)
		_, err := s.SettingGet(ctx, "x")
		require.ErrorIs(t, err, store.ErrNotFound)

		v, err := s.SettingPutIfAbsent(ctx, "x", []byte("first"))
		require.NoError(t, err)
		require.Equal(t, []byte("first"), v)

		v, err = s.SettingPutIfAbsent(ctx, "x", []byte("second"))
		require.NoError(t, err)
		require.Equal(t, []byte("first"), v)

		v, err = s.SettingGet(ctx, "x")
		require.NoError(t, err)
		require.Equal(t, []byte("first"), v)
	})
}

func testTransactions(t *testing.T, newStore NewStore) {
	t.Run("CommitOnNil", func(t *testing.T) {
		ctx, s := open(t, newStore)
		err := s.InTx(ctx, func(q store.Queries) error {
			_, err := q.AccountCreate(ctx, store.AccountCreateParams{Name: "Acme", CreatedAt: baseTime})
			return err
		})
		require.NoError(t, err)
		list, err := s.AccountList(ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
	})
	t.Run("RollbackOnError", func(t *testing.T) {
		ctx, s := open(t, newStore)
		boom := errors.New("boom")
		err := s.InTx(ctx, func(q store.Queries) error {
			a, err := q.AccountCreate(ctx, store.AccountCreateParams{Name: "Acme", CreatedAt: baseTime})
			require.NoError(t, err)
			_, err = q.APIKeyCreate(ctx, store.APIKeyCreateParams{AccountID: a.ID, Key: "k1", SecretSealed: []byte{1}, CreatedAt: baseTime})
			require.NoError(t, err)
			return boom
		})
		require.ErrorIs(t, err, boom)
		list, err := s.AccountList(ctx)
		require.NoError(t, err)
		require.Empty(t, list)
		_, err = s.APIKeyGetByKey(ctx, "k1")
		require.ErrorIs(t, err, store.ErrNotFound)
	})
	t.Run("ReadsOwnWrites", func(t *testing.T) {
		ctx, s := open(t, newStore)
		err := s.InTx(ctx, func(q store.Queries) error {
			a, err := q.AccountCreate(ctx, store.AccountCreateParams{Name: "Acme", CreatedAt: baseTime})
			require.NoError(t, err)
			got, err := q.AccountGet(ctx, a.ID)
			require.NoError(t, err)
			require.Equal(t, "Acme", got.Name)
			return nil
		})
		require.NoError(t, err)
	})
}

// testConflictKeepsTransactionUsable: a conflict the caller handles must
// not spoil the transaction (PostgreSQL aborts a transaction on a failed
// statement; SQLite does not).
func testConflictKeepsTransactionUsable(t *testing.T, newStore NewStore) {
	ctx, s := open(t, newStore)
	a, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "A"})
	require.NoError(t, err)
	topic, err := s.TopicGetOrCreate(ctx, store.TopicCreateParams{AccountID: a.ID, Endpoint: "companies", ARN: "arn:t"})
	require.NoError(t, err)
	event := store.EventCreateParams{AccountID: a.ID, TxnID: "txn1", Subject: "CompanyAdded", Body: []byte("{}")}
	sub := store.SubscriptionCreateParams{TopicID: topic.ID, ARN: "arn:s1", URL: "https://x", APIKey: "k"}
	key := store.APIKeyCreateParams{AccountID: a.ID, Key: "k1", SecretSealed: []byte{1}}
	signing := store.SigningKey{AccountID: a.ID, Version: 1, PrivateKeySealed: []byte{1}, PublicKeyPEM: []byte("p")}

	err = s.InTx(ctx, func(q store.Queries) error {
		_, err := q.EventCreate(ctx, event)
		require.NoError(t, err)
		_, err = q.EventCreate(ctx, event)
		require.ErrorIs(t, err, store.ErrConflict)
		_, err = q.EventGetByTxnID(ctx, a.ID, "txn1")
		require.NoError(t, err, "the transaction survives the conflict")

		_, err = q.SubscriptionCreate(ctx, sub)
		require.NoError(t, err)
		sub.ARN = "arn:s2"
		_, err = q.SubscriptionCreate(ctx, sub)
		require.ErrorIs(t, err, store.ErrConflict, "one live subscription per URL")
		_, err = q.APIKeyCreate(ctx, key)
		require.NoError(t, err)
		_, err = q.APIKeyCreate(ctx, key)
		require.ErrorIs(t, err, store.ErrConflict)
		require.NoError(t, q.SigningKeyCreate(ctx, signing))
		require.ErrorIs(t, q.SigningKeyCreate(ctx, signing), store.ErrConflict)
		_, err = q.AccountGet(ctx, a.ID)
		return err
	})
	require.NoError(t, err)
}
