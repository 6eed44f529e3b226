package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

// benchStore is a migrated store on disk (synchronous=FULL, so every
// commit is durable) with an account and a confirmed subscription.
func benchStore(b *testing.B) (*sqlite.Store, *store.Account, *store.Subscription) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), sqlite.FileName))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	acct, err := st.AccountCreate(ctx, store.AccountCreateParams{Name: "bench", CreatedAt: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	topic, err := st.TopicGetOrCreate(ctx, store.TopicCreateParams{
		AccountID: acct.ID, Endpoint: "companies", ARN: "arn:aws:sns:local:000000000000:bench", CreatedAt: time.Now(),
	})
	if err != nil {
		b.Fatal(err)
	}
	sub, err := st.SubscriptionCreate(ctx, store.SubscriptionCreateParams{
		TopicID: topic.ID, ARN: topic.ARN + ":sub", URL: "http://127.0.0.1:1/hook", APIKey: "key", CreatedAt: time.Now(),
	})
	if err != nil {
		b.Fatal(err)
	}
	if sub, err = st.SubscriptionSetStatus(ctx, sub.ID, store.SubscriptionConfirmed, time.Now()); err != nil {
		b.Fatal(err)
	}
	return st, acct, sub
}

// benchBody is the size of a typical stored Notification (about 1.6 KB).
var benchBody = make([]byte, 1600)

func eventParams(acct int64, i int) store.EventCreateParams {
	return store.EventCreateParams{
		AccountID: acct, TxnID: fmt.Sprintf("%032x", i), Subject: "CompanyAdded",
		Body: []byte(`{"data":{"id":1,"businessName":"Bench Company"}}`), Messages: 1, Deliveries: 1, CreatedAt: time.Now(),
	}
}

func deliveryParams(sub int64) store.DeliveryCreateParams {
	return store.DeliveryCreateParams{
		SubscriptionID: sub, MessageID: "0b4f4c7e-1c6e-4d2a-9c1e-5a2d8e3f7b10", MessageType: sns.TypeNotification,
		Body: benchBody, CreatedAt: time.Now(),
	}
}

// BenchmarkEventCreate inserts one event per transaction (one durable
// commit each).
func BenchmarkEventCreate(b *testing.B) {
	st, acct, _ := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		if _, err := st.EventCreate(ctx, eventParams(acct.ID, i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu, 1)
}

// BenchmarkDeliveryCreate inserts one delivery and its River job in their
// own transaction (one durable commit each).
func BenchmarkDeliveryCreate(b *testing.B) {
	st, _, sub := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := st.DeliveryCreate(ctx, deliveryParams(sub.ID)); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, 1)
}

// BenchmarkPublishRowsInBatchTx is the store work of publishing 100 events
// with one delivery each in one transaction: 100 × (event + delivery +
// River job), one commit, the deliveries created in one call as
// notify.Publish does, or one at a time. Reported per event.
func BenchmarkPublishRowsInBatchTx(b *testing.B) {
	for _, many := range []bool{true, false} {
		name := "DeliveryCreateMany"
		if !many {
			name = "DeliveryCreateEach"
		}
		b.Run(name, func(b *testing.B) { benchPublishRows(b, many) })
	}
}

// benchPublishRows writes 100 events and their deliveries in one
// transaction, the deliveries (and their jobs) in one call, as a publish
// does, or one at a time.
func benchPublishRows(b *testing.B, many bool) {
	st, acct, sub := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		err := st.InTx(ctx, func(q store.Queries) error {
			ds := make([]store.DeliveryCreateParams, 0, 100)
			for range 100 {
				e, err := q.EventCreate(ctx, eventParams(acct.ID, i))
				if err != nil {
					return err
				}
				i++
				d := deliveryParams(sub.ID)
				d.EventID = &e.ID
				if !many {
					if _, err := q.DeliveryCreate(ctx, d); err != nil {
						return err
					}
				}
				ds = append(ds, d)
			}
			if many {
				_, err := q.DeliveryCreateMany(ctx, ds)
				return err
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/event")
	reportCPU(b, cpu, 100)
}

// BenchmarkDeliveryRecordAttempt records a delivered attempt: the attempt
// log row and the status update, in one transaction.
func BenchmarkDeliveryRecordAttempt(b *testing.B) {
	st, _, sub := benchStore(b)
	ctx := context.Background()
	// The deliveries to record, created beforehand in one transaction.
	const pool = 4096
	ids := make([]int64, 0, pool)
	err := st.InTx(ctx, func(q store.Queries) error {
		for range pool {
			d, err := q.DeliveryCreate(ctx, deliveryParams(sub.ID))
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
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		now := time.Now()
		err := st.DeliveryRecordAttempt(ctx, store.DeliveryAttemptParams{
			ID: ids[i%pool], Status: store.DeliveryDelivered, At: now,
			Attempt: &store.Attempt{StartedAt: now, Duration: 300 * time.Microsecond, StatusCode: 200, Outcome: "delivered"},
		})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu, 1)
}

// BenchmarkDeliveryGet reads one delivery with its body, as the worker
// does before each attempt.
func BenchmarkDeliveryGet(b *testing.B) {
	st, _, sub := benchStore(b)
	ctx := context.Background()
	d, err := st.DeliveryCreate(ctx, deliveryParams(sub.ID))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := st.DeliveryGet(ctx, d.ID); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, 1)
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

// BenchmarkPublishLookups reads what a publish call and a delivery read
// besides the event and delivery themselves: the account, its current
// signing key, the endpoint's topic and confirmed subscriptions, and the
// subscription (the lookup cache's work).
func BenchmarkPublishLookups(b *testing.B) {
	st, acct, sub := benchStore(b)
	ctx := context.Background()
	if err := st.SigningKeyCreate(ctx, store.SigningKey{AccountID: acct.ID, Version: 1,
		PrivateKeySealed: benchBody[:1200], PublicKeyPEM: benchBody[:450], CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if err := publishLookups(ctx, st, acct.ID, sub); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, 1)
}

func publishLookups(ctx context.Context, st *sqlite.Store, acct int64, sub *store.Subscription) error {
	if _, err := st.AccountGet(ctx, acct); err != nil {
		return err
	}
	if _, err := st.SigningKeyCurrent(ctx, acct); err != nil {
		return err
	}
	if _, err := st.TopicGet(ctx, acct, "companies"); err != nil {
		return err
	}
	if _, err := st.SubscriptionListConfirmed(ctx, sub.TopicID); err != nil {
		return err
	}
	_, err := st.SubscriptionGet(ctx, sub.ID)
	return err
}

// BenchmarkDirectSendRows is the store work of 50 events published in one
// transaction with their deliveries held for direct sends (the publish's
// batch), then those 50 first attempts recorded as delivered, which
// settles their holds, in one transaction (as the group committer joins
// them). Reported per event: CPU is the figure to compare, the wall time
// is mostly the two fsyncs.
func BenchmarkDirectSendRows(b *testing.B) {
	st, acct, sub := benchStore(b)
	ctx := context.Background()
	const batch = 50
	b.ReportAllocs()
	i := 0
	cpu := cpuTime()
	for b.Loop() {
		var ds []*store.Delivery
		err := st.InTx(ctx, func(q store.Queries) error {
			ps := make([]store.DeliveryCreateParams, 0, batch)
			for range batch {
				e, err := q.EventCreate(ctx, eventParams(acct.ID, i))
				if err != nil {
					return err
				}
				i++
				p := deliveryParams(sub.ID)
				p.EventID, p.HoldUntil = &e.ID, time.Now().Add(time.Minute)
				ps = append(ps, p)
			}
			var err error
			ds, err = q.DeliveryCreateMany(ctx, ps)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		err = st.InTx(ctx, func(q store.Queries) error {
			for _, d := range ds {
				now := time.Now()
				if err := q.DeliveryRecordAttempt(ctx, store.DeliveryAttemptParams{
					ID: d.ID, Status: store.DeliveryDelivered, At: now, Held: true,
					Attempt: &store.Attempt{StartedAt: now, Duration: 300 * time.Microsecond, StatusCode: 200, Outcome: "delivered"},
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, batch)
}
