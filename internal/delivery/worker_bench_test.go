package delivery

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

// BenchmarkDeliveryAttempt is one Worker.Work of a pending Notification
// on a real store (on disk, durable commits) to a loopback receiver that
// answers 200: load the delivery and subscription, gate, POST, record the
// attempt. River's own bookkeeping (fetching, completing the job) is not
// included. The deliveries are created beforehand, untimed.
func BenchmarkDeliveryAttempt(b *testing.B) {
	ctx := context.Background()
	st, ds := benchDeliveries(b, time.Time{})
	w := benchWorker(st)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := range b.N {
		if err := w.Work(ctx, deliverJob(ds[i].ID)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu, 1)
	requireDelivered(b, st, ds[b.N-1].ID)
}

// BenchmarkDirectAttempt is one direct send (Direct) of a held
// Notification, as a publish hands it over: read the subscription, gate,
// POST, record the attempt and lift the hold. Nothing of
// River's runs. The deliveries are created beforehand, untimed.
func BenchmarkDirectAttempt(b *testing.B) {
	st, ds := benchDeliveries(b, time.Now().Add(time.Hour))
	x := newDirect(benchWorker(st), 1, time.Hour, nil)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := range b.N {
		if n, _ := x.Reserve(1); n != 1 {
			b.Fatal("no room reserved")
		}
		x.run(ds[i])
	}
	b.StopTimer()
	reportCPU(b, cpu, 1)
	requireDelivered(b, st, ds[b.N-1].ID)
}

// benchDeliveries makes a store with a confirmed subscription to a
// loopback receiver that answers 200, and b.N pending Notifications of a
// typical size to it (held until holdUntil, unless zero).
func benchDeliveries(b *testing.B, holdUntil time.Time) (*sqlite.Store, []*store.Delivery) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), sqlite.FileName))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(rcv.Close)
	acct, err := st.AccountCreate(ctx, store.AccountCreateParams{Name: "bench", CreatedAt: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	topic, err := st.TopicGetOrCreate(ctx, store.TopicCreateParams{AccountID: acct.ID, Endpoint: "companies", ARN: topicARN, CreatedAt: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	sub, err := st.SubscriptionCreate(ctx, store.SubscriptionCreateParams{TopicID: topic.ID, ARN: subARN, URL: rcv.URL, APIKey: "key", CreatedAt: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.SubscriptionSetStatus(ctx, sub.ID, store.SubscriptionConfirmed, time.Now()); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 1600) // a typical Notification's size
	copy(body, notificationBody)
	ps := make([]store.DeliveryCreateParams, b.N)
	for i := range ps {
		ps[i] = store.DeliveryCreateParams{SubscriptionID: sub.ID, MessageID: "m-1", MessageType: sns.TypeNotification,
			Body: body, CreatedAt: time.Now(), HoldUntil: holdUntil}
	}
	ds, err := st.DeliveryCreateMany(ctx, ps)
	if err != nil {
		b.Fatal(err)
	}
	return st, ds
}

// benchWorker is a Worker sending through a real Sender to loopback.
func benchWorker(st store.Store) *Worker {
	return NewWorker(st, NewSender(allowLocal, 5*time.Second), WorkerConfig{
		Planner: fixedPlan{Retries: 3, Delay: time.Second}, Gate: NewLocalGate(), MaxInFlight: DefaultMaxInFlight,
		Logger: slog.New(slog.DiscardHandler),
	})
}

// requireDelivered fails b unless delivery id was delivered.
func requireDelivered(b *testing.B, st store.Store, id int64) {
	if d, err := st.DeliveryGet(context.Background(), id); err != nil || d.Status != store.DeliveryDelivered {
		b.Fatalf("last delivery: %v %v", d, err)
	}
}

// cpuTime is this process's CPU time so far (user + sys, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time since start per operation
// (cpu-ns/op), or per event when an operation holds perOp > 1 events
// (cpu-ns/event), beside the wall time: the difference is waiting, mostly
// for fsync.
func reportCPU(b *testing.B, start time.Duration, perOp int) {
	unit := "cpu-ns/op"
	if perOp > 1 {
		unit = "cpu-ns/event"
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N*perOp), unit)
}
