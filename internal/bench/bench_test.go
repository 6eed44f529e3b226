package bench

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// envReceiverChild makes the test binary the receiver process.
const envReceiverChild = "IVVY_NOTIFY_BENCH_RECEIVER_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(envReceiverChild) == "1" {
		if err := ServeReceiver(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// events is n, or a few under the race detector.
func events(n, race int) int {
	if raceEnabled {
		return race
	}
	return n
}

func TestTxnIDRoundTrip(t *testing.T) {
	r := &run{runID: "0123456789abcdef"}
	for _, i := range []int{0, 1, 15, 16, 65535, 65536, 1<<28 - 1} {
		id := r.txnID(i)
		require.Regexp(t, `^[0-9a-f]{32}$`, id)
		require.Equal(t, i, r.index([]byte(id)))
	}
	require.Equal(t, -1, r.index([]byte("ffffffffffffffff0000000000000001")), "another run's")
	require.Equal(t, -1, r.index([]byte("0123")))
	body := []byte(`{"Type" : "Notification", "Message" : "{\"TxnId\":\"` + r.txnID(42) + `\",\"Region\":\"local\"}"}`)
	require.Equal(t, 42, r.index(extractTxnID(body)))
	require.Nil(t, extractTxnID([]byte(`{"Message":"{}"}`)))
}

func TestSummarise(t *testing.T) {
	ns := make([]int64, 100)
	for i := range ns {
		ns[i] = int64(i+1) * 1e6
	}
	l := summarise(ns)
	require.Equal(t, 100, l.Count)
	require.InDelta(t, 50, l.P50, 1e-9)
	require.InDelta(t, 95, l.P95, 1e-9)
	require.InDelta(t, 99, l.P99, 1e-9)
	require.InDelta(t, 100, l.Max, 1e-9)
	require.InDelta(t, 50.5, l.Mean, 1e-9)
	require.Nil(t, summarise(nil))
	require.Equal(t, "12,345,678", groupInt(12345678))
}

// TestRunSmall is a whole run of 50 events through the real server, and
// checks that everything arrives and the report is sane.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	var progress bytes.Buffer
	n := events(50, 10)
	res, err := Run(context.Background(), Options{
		Events: n, Accounts: 2, Batch: 5, Concurrency: 2,
		CeilingDuration: 100 * time.Millisecond, DrainTimeout: 20 * time.Second, Progress: &progress,
	})
	require.NoError(t, err)
	require.Equal(t, n, res.Sent)
	require.Equal(t, n, res.Published)
	require.Equal(t, n, res.Delivered)
	require.Zero(t, res.Missing)
	require.Zero(t, res.PublishErrors)
	require.Zero(t, res.Unexpected)
	require.Zero(t, res.NoDelivery)
	require.Positive(t, res.PublishedPerSec)
	require.Positive(t, res.DeliveredPerSec)
	// No order between the two rates: with direct sends the last delivery
	// may arrive before the publisher has read the last 202.
	require.Positive(t, res.DeliverSeconds)
	require.NotNil(t, res.Latency)
	require.Equal(t, n, res.Latency.Count)
	require.Positive(t, res.Latency.P50)
	require.LessOrEqual(t, res.Latency.P50, res.Latency.P99)
	require.LessOrEqual(t, res.Latency.P99, res.Latency.Max)
	require.LessOrEqual(t, res.LatencyFromAck.Max, res.Latency.Max)
	require.Equal(t, n/5, res.PublishRequest.Count)
	require.Positive(t, res.CPU.PerEventMs)
	require.Positive(t, res.PeakRSSMB)
	require.NotNil(t, res.Ceiling)
	require.Positive(t, res.Ceiling.EventsPerSec)
	require.NotNil(t, res.CeilingAfter, "the ceiling is measured again after the load")
	require.InDelta(t, (res.Ceiling.EventsPerSec+res.CeilingAfter.EventsPerSec)/2, res.CeilingEventsPerSec, 1e-9)
	require.InDelta(t, res.DeliveredPerSec/res.CeilingEventsPerSec, res.DeliveredOverCeiling, 1e-9)
	require.Equal(t, "sqlite", res.Config.Database)
	require.NotNil(t, res.DB)
	require.NotNil(t, res.DB.Reads, "SQLite's read pool is reported beside the writer")
	require.Positive(t, res.DB.Reads.MaxConns)
	require.GreaterOrEqual(t, res.DB.Reads.ConnBusy, 0.0)
	require.LessOrEqual(t, res.DB.Reads.ConnBusy, 1.0)
	require.Positive(t, res.Machine.GOMAXPROCS)
	require.Positive(t, res.Machine.Cores)
	require.Contains(t, progress.String(), "setting up 2 accounts")
	require.Equal(t, int64(2*n), res.loadSignature.Signatures, "two signatures per event during the load, no more")
	if runtime.GOOS == "linux" {
		require.NotNil(t, res.SigningPrice, "the signing price is measured on Linux's thread clocks")
		require.Equal(t, int64(2*n/priceSampleEvery), res.SigningPrice.LoadSampled)
		require.Positive(t, res.SigningPrice.LoadMs)
		require.Positive(t, res.Ceiling.ThreadCPUPerSignatureMs)
		require.Positive(t, res.CeilingAfter.ThreadCPUPerSignatureMs)
	}

	var out bytes.Buffer
	require.NoError(t, WriteText(&out, res))
	require.Contains(t, out.String(), "delivered / ceiling")
	require.Contains(t, out.String(), "read pool")
}

// TestRunReceiverProcessDown runs the receiver as a separate process (this
// test binary), answering 503: nothing arrives, deliveries stay pending,
// and single publishes are still accepted during the hold. (The receiver
// process reports refusals in the same line format as arrivals.)
func TestRunReceiverProcessDown(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	t.Setenv(envReceiverChild, "1")
	n := events(10, 3)
	res, err := Run(context.Background(), Options{
		Events: n, Accounts: 1, Batch: 1, Concurrency: 2, ReceiverDown: true,
		ReceiverCommand: []string{exe}, CeilingDuration: -1, Hold: time.Second, Probes: 2,
	})
	require.NoError(t, err)
	require.Equal(t, n, res.Published)
	require.Zero(t, res.Delivered)
	require.Zero(t, res.Missing, "a down receiver's deliveries are not missing")
	require.Positive(t, res.Refused)
	require.NotNil(t, res.ReceiverCPU)
	require.Nil(t, res.Ceiling)
	b := res.Backlog
	require.NotNil(t, b)
	require.GreaterOrEqual(t, b.Pending, int64(n))
	require.Equal(t, 2, b.Probes)
	require.Equal(t, 2, b.ProbesAccepted, b.ProbeError)
	require.Positive(t, b.RSSMB)
	var out bytes.Buffer
	require.NoError(t, WriteText(&out, res))
	require.True(t, strings.Contains(out.String(), "2 of 2 single publishes answered 202"), out.String())
}

func TestSustained(t *testing.T) {
	sec := int64(time.Second)
	acks := make([]int64, 1000)
	for i := range acks {
		acks[i] = int64(i) * sec / 100 // 100 acks per second, over 10 s
	}
	keepingUp := make([]int64, len(acks))
	lagging := make([]int64, len(acks))
	for i, a := range acks {
		keepingUp[i] = a + sec/100
		lagging[i] = 10*sec + int64(i)*sec/1000 // after publishing, drained at 1,000/s
	}
	require.InDelta(t, 100, sustained(acks, keepingUp, 0), 1, "delivery keeping up: the publish rate")
	require.InDelta(t, 0, sustained(acks, lagging, 0), 1, "a backlog drained after publishing is not a sustained rate")
	require.Equal(t, 42.0, sustained(acks[:50], keepingUp[:50], 42), "too few events: the whole-run rate")
}
