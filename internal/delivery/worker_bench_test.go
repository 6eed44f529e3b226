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
	ids := make([]int64, 0, b.N)
	err = st.InTx(ctx, func(q store.Queries) error {
		for range b.N {
			d, err := q.DeliveryCreate(ctx, store.DeliveryCreateParams{
				SubscriptionID: sub.ID, MessageID: "m-1", MessageType: sns.TypeNotification, Body: body, CreatedAt: time.Now(),
			})
			if err != nil {
				return err
			}
			ids = append(ids, d.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	w := NewWorker(st, NewSender(allowLocal, 5*time.Second), WorkerConfig{
		Planner: fixedPlan{Retries: 3, Delay: time.Second}, Gate: NewLocalGate(), MaxInFlight: DefaultMaxInFlight,
		Logger: slog.New(slog.DiscardHandler),
	})
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := range b.N {
		if err := w.Work(ctx, deliverJob(ids[i])); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu, 1)
	if d, err := st.DeliveryGet(ctx, ids[b.N-1]); err != nil || d.Status != store.DeliveryDelivered {
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
