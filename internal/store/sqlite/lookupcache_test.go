package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// lookupFixture is an account with a key, a topic and a confirmed
// subscription, each read once so that the cache holds it.
type lookupFixture struct {
	ctx   context.Context
	s     *Store
	acct  *store.Account
	topic *store.Topic
	sub   *store.Subscription
}

func newLookupFixture(t *testing.T, s *Store) *lookupFixture {
	t.Helper()
	ctx := context.Background()
	at := time.Unix(1_700_000_000, 0)
	a, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "Acme", CreatedAt: at})
	require.NoError(t, err)
	require.NoError(t, s.SigningKeyCreate(ctx, store.SigningKey{AccountID: a.ID, Version: 1,
		PrivateKeySealed: []byte("k1"), PublicKeyPEM: []byte("p1"), CreatedAt: at}))
	topic, err := s.TopicGetOrCreate(ctx, store.TopicCreateParams{AccountID: a.ID, Endpoint: "companies", ARN: "arn:t1", CreatedAt: at})
	require.NoError(t, err)
	sub, err := s.SubscriptionCreate(ctx, store.SubscriptionCreateParams{TopicID: topic.ID, ARN: "arn:t1:s1",
		URL: "https://a.example/hook", APIKey: "k", CreatedAt: at})
	require.NoError(t, err)
	_, err = s.SubscriptionSetStatus(ctx, sub.ID, store.SubscriptionConfirmed, at)
	require.NoError(t, err)
	f := &lookupFixture{ctx: ctx, s: s, acct: a, topic: topic, sub: sub}
	f.readAll(t)
	return f
}

// lookups is what the cache holds for the fixture, read through the store.
type lookups struct {
	accountName, keyPEM, topicARN, subURL string
	confirmed                             int
}

func (f *lookupFixture) readAll(t *testing.T) lookups {
	t.Helper()
	a, err := f.s.AccountGet(f.ctx, f.acct.ID)
	require.NoError(t, err)
	k, err := f.s.SigningKeyCurrent(f.ctx, f.acct.ID)
	require.NoError(t, err)
	topic, err := f.s.TopicGet(f.ctx, f.acct.ID, "companies")
	require.NoError(t, err)
	sub, err := f.s.SubscriptionGet(f.ctx, f.sub.ID)
	require.NoError(t, err)
	list, err := f.s.SubscriptionListConfirmed(f.ctx, f.topic.ID)
	require.NoError(t, err)
	return lookups{accountName: a.Name, keyPEM: string(k.PublicKeyPEM), topicARN: topic.ARN, subURL: sub.URL, confirmed: len(list)}
}

// TestLookupsAreCached shows that the reads are served from the cache: a
// change made behind the server's back (another connection, which the
// cache cannot see) is not read back, until the server itself writes one
// of the tables.
func TestLookupsAreCached(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := migratedStoreAt(t, path)
	f := newLookupFixture(t, s)
	before := f.readAll(t)

	other, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer other.Close()
	_, err = other.ExecContext(f.ctx, `UPDATE accounts SET name = 'Behind'`)
	require.NoError(t, err)
	require.Equal(t, before, f.readAll(t), "served from the cache")

	_, err = s.DB().ExecContext(f.ctx, `UPDATE topics SET created_at = created_at`)
	require.NoError(t, err)
	require.Equal(t, "Behind", f.readAll(t).accountName, "a write by the server drops the cache")
}

// TestLookupsSeeEveryWrite changes each cached table through the server's
// writer — store methods, raw statements, transactions — and reads the
// change back at once; a rolled-back change leaves what was read.
func TestLookupsSeeEveryWrite(t *testing.T) {
	s := migratedStore(t)
	f := newLookupFixture(t, s)
	exec := func(query string, args ...any) {
		t.Helper()
		_, err := s.DB().ExecContext(f.ctx, query, args...)
		require.NoError(t, err)
	}

	exec(`UPDATE accounts SET name = 'Renamed' WHERE id = ?`, f.acct.ID)
	require.Equal(t, "Renamed", f.readAll(t).accountName)

	require.NoError(t, s.SigningKeyCreate(f.ctx, store.SigningKey{AccountID: f.acct.ID, Version: 2,
		PrivateKeySealed: []byte("k2"), PublicKeyPEM: []byte("p2"), CreatedAt: time.Unix(1_700_000_100, 0)}))
	require.Equal(t, "p2", f.readAll(t).keyPEM, "a new key version is current at once")

	exec(`UPDATE topics SET arn = 'arn:t2' WHERE id = ?`, f.topic.ID)
	require.Equal(t, "arn:t2", f.readAll(t).topicARN)

	_, err := s.SubscriptionSetStatus(f.ctx, f.sub.ID, store.SubscriptionDeleted, time.Now())
	require.NoError(t, err)
	require.Equal(t, 0, f.readAll(t).confirmed, "an unsubscribed endpoint gets nothing more")

	require.NoError(t, s.InSQLTx(f.ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(f.ctx, `UPDATE subscriptions SET status = ?, url = 'https://b.example/hook' WHERE id = ?`,
			store.SubscriptionConfirmed, f.sub.ID)
		return err
	}))
	got := f.readAll(t)
	require.Equal(t, 1, got.confirmed)
	require.Equal(t, "https://b.example/hook", got.subURL)

	err = s.InSQLTx(f.ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(f.ctx, `UPDATE subscriptions SET url = 'https://c.example/hook'`); err != nil {
			return err
		}
		return fmt.Errorf("changed my mind")
	})
	require.Error(t, err)
	require.Equal(t, "https://b.example/hook", f.readAll(t).subURL, "a rolled-back change is not read")
}

// TestLookupsReadYourWrites races readers, which keep filling the cache,
// against a writer that flips the subscription between confirmed and
// deleted: every time a flip returns, a read must see it.
func TestLookupsReadYourWrites(t *testing.T) {
	s := migratedStore(t)
	f := newLookupFixture(t, s)
	ctx, stop := context.WithCancel(f.ctx)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = s.SubscriptionListConfirmed(ctx, f.topic.ID)
				_, _ = s.SubscriptionGet(ctx, f.sub.ID)
			}
		})
	}
	for i := range 300 {
		status, want := store.SubscriptionDeleted, 0
		if i%2 == 1 {
			status, want = store.SubscriptionConfirmed, 1
		}
		_, err := s.SubscriptionSetStatus(f.ctx, f.sub.ID, status, time.Now())
		require.NoError(t, err)
		list, err := s.SubscriptionListConfirmed(f.ctx, f.topic.ID)
		require.NoError(t, err)
		require.Len(t, list, want, "flip %d", i)
		sub, err := s.SubscriptionGet(f.ctx, f.sub.ID)
		require.NoError(t, err)
		require.Equal(t, status, sub.Status, "flip %d", i)
	}
	stop()
	wg.Wait()
}

// TestLookupsInTransactionsRead checks that a transaction reads its own
// writes rather than the cache.
func TestLookupsInTransactionsRead(t *testing.T) {
	s := migratedStore(t)
	f := newLookupFixture(t, s)
	require.NoError(t, s.InTx(f.ctx, func(q store.Queries) error {
		if _, err := q.AccountSetPolicy(f.ctx, f.acct.ID, []byte(`{"a":1}`)); err != nil {
			return err
		}
		a, err := q.AccountGet(f.ctx, f.acct.ID)
		require.NoError(t, err)
		require.JSONEq(t, `{"a":1}`, string(a.DeliveryPolicy))
		return nil
	}))
}

// TestLookupsHandOutCopies checks that a caller changing what it got does
// not change what the next caller gets.
func TestLookupsHandOutCopies(t *testing.T) {
	s := migratedStore(t)
	f := newLookupFixture(t, s)
	list, err := s.SubscriptionListConfirmed(f.ctx, f.topic.ID)
	require.NoError(t, err)
	list[0].URL = "https://mutated.example/"
	a, err := s.AccountGet(f.ctx, f.acct.ID)
	require.NoError(t, err)
	a.Name = "Mutated"
	list, err = s.SubscriptionListConfirmed(f.ctx, f.topic.ID)
	require.NoError(t, err)
	require.Equal(t, "https://a.example/hook", list[0].URL)
	require.Equal(t, "Acme", f.readAll(t).accountName)
}
