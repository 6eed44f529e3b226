package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/postgres"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
	"github.com/ivvy-notify/ivvy-notify/internal/store/storetest"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/pgtest"
)

// testURL returns the test database's URL, or skips the test (see pgtest).
func testURL(t *testing.T) string {
	t.Helper()
	return pgtest.URL(t)
}

// newSchema returns the name of a schema for this test alone, and drops
// it, with everything in it, when the test ends.
func newSchema(t *testing.T, url string) string {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`)
		require.NoError(t, err)
	})
	return name
}

// open opens a store on schema, closed when the test ends (before the
// schema is dropped, if newSchema came first).
func open(t *testing.T, url string, opts postgres.Options) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore is the conformance suite's constructor: a migrated store in a
// fresh schema. The suite closes it; the schema is dropped after.
func newStore(t *testing.T) store.Store {
	t.Helper()
	url := testURL(t)
	s, err := postgres.Open(context.Background(), url, postgres.Options{Schema: newSchema(t, url)})
	require.NoError(t, err)
	_, err = s.Migrate(context.Background())
	require.NoError(t, err)
	return s
}

func TestConformance(t *testing.T) {
	testURL(t)
	storetest.Run(t, newStore)
	storetest.RunHolds(t, newStore, pgJobs{})
}

// pgJobs reads River's jobs for the conformance suite.
type pgJobs struct{}

func (pgJobs) ForDelivery(t *testing.T, s store.Store, deliveryID int64) []storetest.Job {
	t.Helper()
	rows, err := s.(*postgres.Store).Pool().Query(context.Background(), `SELECT id, state::text, scheduled_at
		FROM river_job WHERE kind = 'deliver' AND (args->>'deliveryId')::bigint = $1 ORDER BY id`, deliveryID)
	require.NoError(t, err)
	defer rows.Close()
	var out []storetest.Job
	for rows.Next() {
		var j storetest.Job
		require.NoError(t, rows.Scan(&j.ID, &j.State, &j.ScheduledAt))
		out = append(out, j)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	schema := newSchema(t, url)

	t.Run("AppliesAllThenNothing", func(t *testing.T) {
		s := open(t, url, postgres.Options{Schema: schema})
		applied, known, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Zero(t, applied)
		want := sqliteVersions(t)
		require.Equal(t, want[len(want)-1], known, "the same versions as the SQLite backend")

		versions, err := s.Migrate(ctx)
		require.NoError(t, err)
		require.Equal(t, sqliteVersions(t), versions)

		versions, err = s.Migrate(ctx)
		require.NoError(t, err)
		require.Empty(t, versions)
	})
	t.Run("SchemaSurvivesReopen", func(t *testing.T) {
		s := open(t, url, postgres.Options{Schema: schema})
		applied, known, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, known, applied)
	})
}

// TestMigrateConcurrently starts two nodes on one fresh schema at once:
// both succeed, and between them every migration is applied exactly once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	schema := newSchema(t, url)

	results := make([][]int, 2)
	var g errgroup.Group
	for i := range results {
		g.Go(func() error {
			s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema})
			if err != nil {
				return err
			}
			defer s.Close()
			results[i], err = s.Migrate(ctx)
			return err
		})
	}
	require.NoError(t, g.Wait())
	all := slices.Concat(results...)
	slices.Sort(all)
	require.Equal(t, sqliteVersions(t), all)

	s := open(t, url, postgres.Options{Schema: schema})
	applied, known, err := s.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, known, applied)
}

// TestSchemaAndPool checks that the store, River's tables included, lives
// in its schema, and that a pool of one connection can still migrate.
func TestSchemaAndPool(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	schema := newSchema(t, url)
	s := open(t, url, postgres.Options{Schema: schema, MaxConns: 1})
	require.Equal(t, int32(1), s.Pool().Config().MaxConns)
	require.Equal(t, schema, s.Schema())
	_, err := s.Migrate(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Ping(ctx))

	var current string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT current_schema()`).Scan(&current))
	require.Equal(t, schema, current)
	for _, table := range []string{"accounts", "deliveries", "schema_migrations", "river_job", "river_migration"} {
		var found bool
		require.NoError(t, s.Pool().QueryRow(ctx,
			`SELECT to_regclass(quote_ident($1) || '.' || quote_ident($2)) IS NOT NULL`, schema, table).Scan(&found))
		require.True(t, found, "%s.%s", schema, table)
	}
}

func TestOpenRejectsBadSchema(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://localhost/x", postgres.Options{Schema: `x"; DROP`})
	require.ErrorContains(t, err, "schema")
}

// TestDeliveryJobInSameTransaction checks that a delivery's queue job is
// written with the row, and vanishes with it on rollback.
func TestDeliveryJobInSameTransaction(t *testing.T) {
	ctx := context.Background()
	s := newStore(t).(*postgres.Store)
	defer s.Close()
	a, err := s.AccountCreate(ctx, store.AccountCreateParams{Name: "A"})
	require.NoError(t, err)
	topic, err := s.TopicGetOrCreate(ctx, store.TopicCreateParams{AccountID: a.ID, Endpoint: "companies", ARN: "arn:t"})
	require.NoError(t, err)
	sub, err := s.SubscriptionCreate(ctx, store.SubscriptionCreateParams{TopicID: topic.ID, ARN: "arn:s", URL: "https://x", APIKey: "k"})
	require.NoError(t, err)
	create := func(q store.Queries) (*store.Delivery, error) {
		return q.DeliveryCreate(ctx, store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m", MessageType: "Notification", Body: []byte("{}")})
	}
	jobs := func() (n int, args string) {
		require.NoError(t, s.Pool().QueryRow(ctx,
			`SELECT COUNT(*), COALESCE(MAX(args::text), '') FROM river_job WHERE kind = 'deliver' AND queue = 'deliveries'`).Scan(&n, &args))
		return n, args
	}

	require.Error(t, s.InTx(ctx, func(q store.Queries) error {
		_, err := create(q)
		require.NoError(t, err)
		return errors.New("roll back")
	}))
	n, _ := jobs()
	require.Zero(t, n, "a rolled-back delivery leaves no job")

	d, err := create(s)
	require.NoError(t, err)
	n, args := jobs()
	require.Equal(t, 1, n)
	require.JSONEq(t, fmt.Sprintf(`{"deliveryId":%d}`, d.ID), args)
}

// TestConflictKeepsTransactionUsable checks that an expected ErrConflict
// inside InTx does not abort the transaction, as a failed statement
// would in PostgreSQL: publish reads the earlier event of a repeated
// TxnID in the same transaction.

// sqliteVersions are the SQLite backend's migration versions: both
// backends must number their migrations alike.
func sqliteVersions(t *testing.T) []int {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	defer st.Close()
	versions, err := st.Migrate(context.Background())
	require.NoError(t, err)
	return versions
}

// TestEnginePool: the delivery engine's pool is on the same database and
// schema, with its own cap, and its commits do not wait for the WAL flush;
// the store's commits do.
func TestEnginePool(t *testing.T) {
	ctx := context.Background()
	url := testURL(t)
	schema := newSchema(t, url)
	s := open(t, url, postgres.Options{Schema: schema, MaxConns: 5, EngineMaxConns: 3})
	require.Equal(t, int32(5), s.Pool().Config().MaxConns)
	require.Equal(t, int32(3), s.EnginePool().Config().MaxConns)
	for pool, async := range map[*pgxpool.Pool]bool{s.Pool(): false, s.EnginePool(): true} {
		var sync, current string
		require.NoError(t, pool.QueryRow(ctx, `SELECT current_setting('synchronous_commit'), current_schema()`).Scan(&sync, &current))
		require.Equal(t, async, sync == "off", "synchronous_commit %s", sync)
		require.Equal(t, schema, current)
	}
	defaulted := open(t, url, postgres.Options{Schema: schema, MaxConns: 4})
	require.Equal(t, int32(4), defaulted.EnginePool().Config().MaxConns, "the store's cap by default")
}
