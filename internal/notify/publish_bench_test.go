package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/testdomain"
)

// subscribedDomain is the domain on a real SQLite store (on disk, durable
// commits), wrapped by wrap, whose account has one confirmed companies
// subscription.
func subscribedDomain(b testing.TB, wrap func(store.Store) store.Store) (*notify.Service, int64) {
	b.Helper()
	ctx := context.Background()
	d := testdomain.New(b, wrap)
	topic, err := d.Store.TopicGetOrCreate(ctx, store.TopicCreateParams{
		AccountID: d.AccountID, Endpoint: catalog.Companies.Name(),
		ARN: d.Notify.TopicARN(d.AccountID, catalog.Companies), CreatedAt: time.Now(),
	})
	if err != nil {
		b.Fatal(err)
	}
	sub, err := d.Store.SubscriptionCreate(ctx, store.SubscriptionCreateParams{
		TopicID: topic.ID, ARN: topic.ARN + ":0b4f4c7e-1c6e-4d2a-9c1e-5a2d8e3f7b10",
		URL: "http://127.0.0.1:1/hook", APIKey: "key", CreatedAt: time.Now(),
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := d.Store.SubscriptionSetStatus(ctx, sub.ID, store.SubscriptionConfirmed, time.Now()); err != nil {
		b.Fatal(err)
	}
	return d.Notify, d.AccountID
}

func benchEvents(n, from int) []notify.Event {
	evs := make([]notify.Event, n)
	for i := range evs {
		evs[i] = notify.Event{
			Subject: "CompanyAdded",
			Body:    json.RawMessage(fmt.Sprintf(`{"data":{"id":%d,"businessName":"Bench Company %d"}}`, from+i, from+i)),
		}
	}
	return evs
}

// benchmarkPublish publishes batches of n events, each with one delivery:
// validation, both signatures, and the transaction (events, deliveries,
// River jobs; one durable commit).
func benchmarkPublish(b *testing.B, n int) {
	svc, acct := subscribedDomain(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		out, err := svc.Publish(ctx, acct, benchEvents(n, i))
		if err != nil {
			b.Fatal(err)
		}
		if out[0].Deliveries != 1 {
			b.Fatalf("%d deliveries", out[0].Deliveries)
		}
		i += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
	reportCPU(b, cpu, n)
}

func BenchmarkPublishOneEvent(b *testing.B) { benchmarkPublish(b, 1) }

func BenchmarkPublishBatch100(b *testing.B) { benchmarkPublish(b, 100) }

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
