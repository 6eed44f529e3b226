package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// multiReceiver counts each TxnId it receives, confirms subscriptions, and
// records the peak number of requests it held open at once.
type multiReceiver struct {
	srv      *httptest.Server
	hold     time.Duration
	mu       sync.Mutex
	seen     map[string]int
	open     atomic.Int64
	peak     atomic.Int64
	received atomic.Int64
}

func newMultiReceiver(t *testing.T, hold time.Duration) *multiReceiver {
	r := &multiReceiver{hold: hold, seen: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *multiReceiver) serve(w http.ResponseWriter, req *http.Request) {
	n := r.open.Add(1)
	defer r.open.Add(-1)
	for p := r.peak.Load(); n > p && !r.peak.CompareAndSwap(p, n); p = r.peak.Load() {
	}
	body, _ := io.ReadAll(req.Body)
	m, err := receiver.ParseSNSMessage(body)
	if err != nil {
		w.WriteHeader(400)
		return
	}
	if m.Type == receiver.SNSTypeSubscriptionConfirmation {
		_, _ = httpGet(m.SubscribeURL)
		return
	}
	inner, err := receiver.ParseIvvyMessage([]byte(m.Message))
	if err != nil {
		w.WriteHeader(400)
		return
	}
	time.Sleep(r.hold)
	r.mu.Lock()
	r.seen[inner.TxnId]++
	r.mu.Unlock()
	r.received.Add(1)
}

// missing returns the acknowledged txnIds not received, and the duplicates.
func (r *multiReceiver) missing(acked []string) (missing []string, dups int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range acked {
		switch n := r.seen[id]; {
		case n == 0:
			missing = append(missing, id)
		case n > 1:
			dups += n - 1
		}
	}
	return missing, dups
}

// sharedMasterKey writes one master key into each data directory: every
// node of a cluster must hold the same key.
func sharedMasterKey(t *testing.T, dirs ...string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	for _, d := range dirs {
		require.NoError(t, os.MkdirAll(d, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(d, "master.key"), []byte(hex.EncodeToString(b)+"\n"), 0o600))
	}
}

// TestThreeNodesOnePostgres runs three real serve processes on one
// PostgreSQL, publishes 3,000 events round-robin through them, SIGKILLs one
// mid-way, and checks that every acknowledged event arrives at least once,
// that nothing is left pending, and that the subscription's in-flight limit
// held across the nodes: 4, where the three nodes have 24 workers.
func TestThreeNodesOnePostgres(t *testing.T) {
	const maxInFlight = 4
	dbURL := testDatabaseURL(t)
	bin := childBinary(t)
	base := t.TempDir()
	dirs := []string{filepath.Join(base, "n1"), filepath.Join(base, "n2"), filepath.Join(base, "n3")}
	sharedMasterKey(t, dirs...)
	var nodes []*childServer
	for _, d := range dirs {
		nodes = append(nodes, childStart(t, bin, d, "--database-url", dbURL, "--delivery-timeout", "2s", "--delivery-workers", "8",
			"--max-in-flight", fmt.Sprint(maxInFlight)))
	}
	rcv := newMultiReceiver(t, 15*time.Millisecond)

	var acct struct{ ID string }
	nodes[0].mustAdmin(201, "POST", "/v1/accounts", `{"name":"Acme"}`, &acct)
	var key struct{ Key, Secret string }
	nodes[1].mustAdmin(201, "POST", "/v1/accounts/"+acct.ID+"/keys", `{}`, &key)
	_, err := ivvyclient.New(nodes[2].publicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(),
		ivvyclient.Endpoints{Companies: rcv.srv.URL + "/hook"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return subscriptionConfirmed(nodes[0], acct.ID) }, 20*time.Second, 50*time.Millisecond)

	const total, batch = 3000, 50
	var acked []string
	alive := []*childServer{nodes[0], nodes[1], nodes[2]}
	for i := 0; i < total/batch; i++ {
		if i == total/batch/3 {
			nodes[1].kill() // SIGKILL mid-way
			alive = []*childServer{nodes[0], nodes[2]}
			t.Logf("node 2 killed after %d events acknowledged", len(acked))
		}
		ids := make([]string, batch)
		for j := range ids {
			ids[j] = randomTxnID()
		}
		c := alive[i%len(alive)]
		if code, err := c.admin("POST", "/v1/accounts/"+acct.ID+"/events/batch", childBatch(ids), nil); err == nil && code == 202 {
			acked = append(acked, ids...)
		}
	}
	require.Len(t, acked, total, "every batch to a live node is acknowledged")

	require.Eventually(t, func() bool { m, _ := rcv.missing(acked); return len(m) == 0 }, 150*time.Second, 200*time.Millisecond)
	missing, dups := rcv.missing(acked)
	t.Logf("acknowledged %d, received %d, missing %d, duplicates %d, peak concurrency %d", len(acked), rcv.received.Load(), len(missing), dups, rcv.peak.Load())
	require.Empty(t, missing)
	require.LessOrEqual(t, rcv.peak.Load(), int64(maxInFlight), "the per-subscription in-flight limit holds across the nodes")
	// A delivery the killed node had sent but not yet recorded arrived, yet
	// stays pending until River rescues its job, left "running": 2 s of
	// delivery timeout + 45 s of margins (RescueStuckJobsAfter) after the
	// kill, found by a rescuer that looks every 30 s. Then it is sent again.
	require.Eventually(t, func() bool { n, err := nodes[0].pending(); return err == nil && n == 0 }, 120*time.Second, 200*time.Millisecond,
		"no delivery left pending")
}

// subscriptionConfirmed reports whether the account's subscription is confirmed.
func subscriptionConfirmed(c *childServer, acct string) bool {
	var out SubscriptionsOut
	if code, err := c.admin("GET", "/v1/accounts/"+acct+"/subscriptions", "", &out); err != nil || code != 200 {
		return false
	}
	return len(out.Topics) == 1 && len(out.Topics[0].Subscriptions) == 1 && out.Topics[0].Subscriptions[0].Status == "Confirmed"
}

func randomTxnID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
