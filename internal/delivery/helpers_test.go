package delivery

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

const (
	topicARN = "arn:aws:sns:ap-southeast-2:000000000001:ivvy-1-companies"
	subARN   = topicARN + ":0b4f4c7e-1c6e-4d2a-9c1e-5a2d8e3f7b10"
)

// notificationBody is stored bytes as the publisher wrote them: odd
// spacing, escaped slashes and non-ASCII must all arrive unchanged.
var notificationBody = []byte("{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"m-1\",\n" +
	"  \"Message\" : \"{\\\"subject\\\":\\\"Caf\u00e9 \\\\/ \u2603\\\"}\"\n}")

// env is a migrated SQLite store with an account and a topic, and
// optionally a running Runner on it.
type env struct {
	ctx    context.Context
	st     *sqlite.Store
	topic  *store.Topic
	logs   *syncBuffer
	runner *Runner[*sql.Tx]
	events <-chan *river.Event
}

// template is a migrated database file that each test copies: migrating
// (River's migrations included) costs most of a second under -race.
var template struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		_ = os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

// migratedDB returns the path of a fresh copy of the template database.
func migratedDB(t *testing.T) string {
	t.Helper()
	template.once.Do(func() {
		ctx := context.Background()
		if template.dir, template.err = os.MkdirTemp("", "delivery-test-"); template.err != nil {
			return
		}
		st, err := sqlite.Open(ctx, filepath.Join(template.dir, sqlite.FileName))
		if err != nil {
			template.err = err
			return
		}
		_, template.err = st.Migrate(ctx)
		template.err = errors.Join(template.err, st.Close()) // Close folds the WAL into the file
	})
	require.NoError(t, template.err)
	b, err := os.ReadFile(filepath.Join(template.dir, sqlite.FileName))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), sqlite.FileName)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, migratedDB(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	applied, known, err := st.SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, known, applied)
	acct, err := st.AccountCreate(ctx, store.AccountCreateParams{Name: "acme", CreatedAt: time.Now()})
	require.NoError(t, err)
	topic, err := st.TopicGetOrCreate(ctx, store.TopicCreateParams{
		AccountID: acct.ID, Endpoint: "companies", ARN: topicARN, CreatedAt: time.Now(),
	})
	require.NoError(t, err)
	return &env{ctx: ctx, st: st, topic: topic, logs: &syncBuffer{}}
}

func (e *env) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// subscribe adds a subscription for url and moves it to status.
func (e *env) subscribe(t *testing.T, url string, status store.SubscriptionStatus) *store.Subscription {
	t.Helper()
	sub, err := e.st.SubscriptionCreate(e.ctx, store.SubscriptionCreateParams{
		TopicID: e.topic.ID, ARN: subARN, URL: url, APIKey: "key", CreatedAt: time.Now(),
	})
	require.NoError(t, err)
	if status == store.SubscriptionDeleted {
		_, err = e.st.SubscriptionSetStatus(e.ctx, sub.ID, store.SubscriptionConfirmed, time.Now())
		require.NoError(t, err)
	}
	if status != store.SubscriptionPending {
		sub, err = e.st.SubscriptionSetStatus(e.ctx, sub.ID, status, time.Now())
		require.NoError(t, err)
	}
	return sub
}

// enqueue stores a delivery, which also enqueues its job.
func (e *env) enqueue(t *testing.T, sub *store.Subscription, typ string, body []byte) *store.Delivery {
	t.Helper()
	d, err := e.st.DeliveryCreate(e.ctx, store.DeliveryCreateParams{
		SubscriptionID: sub.ID, MessageID: "m-1", MessageType: typ, Body: body, CreatedAt: time.Now(),
	})
	require.NoError(t, err)
	return d
}

func (e *env) delivery(t *testing.T, id int64) *store.Delivery {
	t.Helper()
	d, err := e.st.DeliveryGet(e.ctx, id)
	require.NoError(t, err)
	return d
}

// fixedPlan retries Retries times, Delay apart, at most Rate per second.
type fixedPlan struct {
	Retries int
	Delay   time.Duration
	Rate    int
}

func (p fixedPlan) Plan(*store.Subscription) Plan {
	return Plan{MaxReceivesPerSecond: p.Rate, RetryDelay: func(n int) (time.Duration, bool) {
		return p.Delay, n <= p.Retries
	}}
}

// testConfig is a Runner config with a fast retry schedule: 5 retries,
// 10 ms apart.
func (e *env) testConfig() Config {
	return Config{Policy: allowLocal, Planner: fixedPlan{Retries: 5, Delay: 10 * time.Millisecond}, Logger: e.logger()}
}

// start runs a Runner on the store until the test ends.
func (e *env) start(t *testing.T, cfg Config) {
	t.Helper()
	e.startOn(t, riversqlite.New(e.st.DB()), cfg)
}

// startOn runs a Runner on the store through driver until the test ends.
func (e *env) startOn(t *testing.T, driver riverdriver.Driver[*sql.Tx], cfg Config) {
	t.Helper()
	r, err := New(driver, e.st, cfg)
	require.NoError(t, err)
	events, cancel := r.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled,
		river.EventKindJobFailed)
	t.Cleanup(cancel)
	require.NoError(t, r.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, r.Stop(ctx))
	})
	e.runner, e.events = r, events
}

// await returns the next event of the given kind about a delivery job (the
// retention job's events are skipped).
func (e *env) await(t *testing.T, kind river.EventKind) *river.Event {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-e.events:
			if ev.Kind == kind && ev.Job.Kind == (jobs.Deliver{}).Kind() {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event within 5s", kind)
		}
	}
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint answering codes in turn (the last one
// repeats) after delay, and recording what it got.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	codes   []int
	got     []received
	delay   time.Duration
	started chan struct{} // one value per request, when it arrives
}

func newReceiver(t *testing.T, codes ...int) *receiver {
	t.Helper()
	r := &receiver{codes: codes, started: make(chan struct{}, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, received{header: req.Header.Clone(), body: body})
	code := r.codes[min(len(r.got), len(r.codes))-1]
	r.mu.Unlock()
	r.started <- struct{}{}
	select {
	case <-time.After(r.delay):
		w.WriteHeader(code)
	case <-req.Context().Done(): // the sender gave up: no answer at all
		panic(http.ErrAbortHandler)
	}
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// requireSNSHeaders checks the headers SNS sends (SNS.md §3.2).
func requireSNSHeaders(t *testing.T, h http.Header, typ, subArn string) {
	t.Helper()
	require.Equal(t, typ, h.Get(sns.HeaderMessageType))
	require.Equal(t, "m-1", h.Get(sns.HeaderMessageID))
	require.Equal(t, topicARN, h.Get(sns.HeaderTopicArn))
	require.Equal(t, subArn, h.Get(sns.HeaderSubscriptionArn))
	require.Equal(t, "text/plain; charset=UTF-8", h.Get("Content-Type"))
	require.Equal(t, "Amazon Simple Notification Service Agent", h.Get("User-Agent"))
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
