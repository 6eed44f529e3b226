package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/deliverypolicy"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// outagePolicy is a short server policy so that retries come within
// seconds: one retry at minDelayTarget (1 s), a linear backoff 1 s → 4 s
// over four retries, then 4 s. Every jittered delay stays under River's
// 5 s scheduler interval, so a retry is due exactly when its delay ends.
const outagePolicy = `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":4,"numRetries":30,` +
	`"numNoDelayRetries":0,"numMinDelayRetries":1,"numMaxDelayRetries":25,"backoffFunction":"linear"}}`

// outageSchedule is the delay before each retry that outagePolicy implies
// by SNS's phases (pre-backoff, backoff, post-backoff): 1 s; 1, 2, 3, 4 s;
// then 4 s.
var outageSchedule = []time.Duration{1 * time.Second, 1 * time.Second, 2 * time.Second, 3 * time.Second,
	4 * time.Second, 4 * time.Second}

// Outage test sizes and tolerances.
const (
	outageEvents = 1000
	outageProbes = 3
	// outageMinDown is how long the receiver stays down at least after
	// its first refusal: enough for several retries of the earliest
	// deliveries.
	outageMinDown = 5 * time.Second
	// outageProbeSlack is how late an attempt of a probe subscription (no
	// backlog of its own) may start after its jittered delay: recording
	// the attempt, the queue's 50 ms poll, its place behind the bulk
	// subscription's due jobs, and a loaded 2-core machine.
	outageProbeSlack = 1500 * time.Millisecond
	// outageClockSlack absorbs the admin API's millisecond rounding.
	outageClockSlack = 3 * time.Millisecond
)

// outageReceiver confirms subscriptions and answers Notifications 503
// while down, 200 otherwise, recording per path the TxnIds it accepted
// and the MessageIds it refused.
type outageReceiver struct {
	t     *testing.T
	srv   *httptest.Server
	down  atomic.Bool
	first atomic.Int64 // unix nanos of the first refusal

	mu      sync.Mutex
	got     map[string]map[string]int  // path → TxnId → times accepted
	refused map[string]map[string]bool // path → MessageId refused
	nRefuse int
	conf    map[string]bool // paths confirmed
}

func newOutageReceiver(t *testing.T) *outageReceiver {
	r := &outageReceiver{t: t, got: map[string]map[string]int{}, refused: map[string]map[string]bool{}, conf: map[string]bool{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *outageReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if req.Header.Get("x-amz-sns-message-type") == receiver.SNSTypeNotification && r.down.Load() {
		r.first.CompareAndSwap(0, time.Now().UnixNano())
		r.mu.Lock()
		outageAdd(r.refused, req.URL.Path, req.Header.Get("x-amz-sns-message-id"))
		r.nRefuse++
		r.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	m, err := receiver.ParseSNSMessage(body)
	if err != nil {
		r.t.Errorf("outage receiver: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch m.Type {
	case receiver.SNSTypeSubscriptionConfirmation:
		if _, err := httpGet(m.SubscribeURL); err != nil {
			r.t.Errorf("outage receiver: confirm: %v", err)
		}
		r.mu.Lock()
		r.conf[req.URL.Path] = true
		r.mu.Unlock()
	case receiver.SNSTypeNotification:
		inner, err := receiver.ParseIvvyMessage([]byte(m.Message))
		if err != nil {
			r.t.Errorf("outage receiver: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		if r.got[req.URL.Path] == nil {
			r.got[req.URL.Path] = map[string]int{}
		}
		r.got[req.URL.Path][inner.TxnId]++
		r.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

func outageAdd(m map[string]map[string]bool, path, id string) {
	if m[path] == nil {
		m[path] = map[string]bool{}
	}
	m[path][id] = true
}

// counts returns, for path, how many distinct TxnIds and how many
// Notifications in all were accepted, and how many distinct messages were
// refused.
func (r *outageReceiver) counts(path string) (unique, total, refused int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.got[path] {
		unique++
		total += n
	}
	return unique, total, len(r.refused[path])
}

func (r *outageReceiver) confirmed(path string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conf[path]
}

// outagePublish publishes n CompanyAdded events in batches of 50 from
// four concurrent publishers, as a busy platform would.
func outagePublish(t *testing.T, c *childServer, acct string, n int) {
	t.Helper()
	errs := make(chan error, n/50+1)
	var wg sync.WaitGroup
	for done := 0; done < n; done += 50 {
		events := make([]string, min(50, n-done))
		for i := range events {
			events[i] = fmt.Sprintf(`{"subject":"CompanyAdded","body":{"data":{"id":%d}}}`, done+i+1)
		}
		wg.Go(func() {
			var out struct{ Results []json.RawMessage }
			_, err := c.admin("POST", "/v1/accounts/"+acct+"/events/batch", `{"events":[`+strings.Join(events, ",")+`]}`, &out)
			if err == nil && len(out.Results) != len(events) {
				err = fmt.Errorf("%d results for %d events", len(out.Results), len(events))
			}
			errs <- err
		})
		if done/50%4 == 3 {
			wg.Wait()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// outageAttempt is one entry of a delivery's attempt log.
type outageAttempt struct {
	Number     int
	StartedAt  time.Time
	DurationMs int64
	StatusCode int
	Outcome    string
}

// outageDeliveries returns the ids of an account's Notification deliveries.
func outageDeliveries(c *childServer, acct string) []int64 {
	var out struct {
		Deliveries []struct {
			ID          int64
			MessageType string
		}
	}
	c.mustAdmin(200, "GET", "/v1/deliveries?limit=1000&account="+acct, "", &out)
	var ids []int64
	for _, d := range out.Deliveries {
		if d.MessageType == "Notification" {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// outageCheckLog checks one delivery's attempt log against the policy:
// every attempt but the last was a 503 "retry" that reached the receiver
// before it recovered, the last was "delivered", and the gap from the end
// of attempt n to the start of attempt n+1 is at least 90 % of the delay
// for retry n (and, when slack >= 0, at most 110 % plus slack). It returns
// the gaps and the largest lateness beyond 110 %.
func outageCheckLog(t *testing.T, c *childServer, id int64, recovered time.Time, slack time.Duration) ([]time.Duration, time.Duration) {
	var d struct {
		Status     string
		AttemptLog []outageAttempt
	}
	c.mustAdmin(200, "GET", fmt.Sprintf("/v1/deliveries/%d", id), "", &d)
	require.Equal(t, "delivered", d.Status, "delivery %d", id)
	log := d.AttemptLog
	require.GreaterOrEqual(t, len(log), 2, "delivery %d was never refused", id)
	last := log[len(log)-1]
	require.Equal(t, "delivered", last.Outcome, "delivery %d", id)
	require.Equal(t, 200, last.StatusCode, "delivery %d", id)
	policy := outagePolicyParsed(t)
	var gaps []time.Duration
	var late time.Duration
	for i, a := range log[:len(log)-1] {
		require.Equal(t, i+1, a.Number)
		require.Equal(t, "retry", a.Outcome, "delivery %d attempt %d", id, a.Number)
		require.Equal(t, 503, a.StatusCode, "delivery %d attempt %d", id, a.Number)
		require.True(t, a.StartedAt.Before(recovered), "delivery %d attempt %d refused after recovery", id, a.Number)
		want, ok := policy.Delay(a.Number)
		require.True(t, ok)
		gap := log[i+1].StartedAt.Sub(a.StartedAt.Add(time.Duration(a.DurationMs) * time.Millisecond))
		gaps = append(gaps, gap)
		lo := time.Duration(float64(want)*(1-deliverypolicy.JitterFraction)) - outageClockSlack
		hi := time.Duration(float64(want) * (1 + deliverypolicy.JitterFraction))
		require.GreaterOrEqual(t, gap, lo, "delivery %d: retry %d came %s after attempt %d; the policy says %s ±10%%",
			id, a.Number, gap, a.Number, want)
		if slack >= 0 {
			require.LessOrEqual(t, gap, hi+slack, "delivery %d: retry %d came %s after attempt %d; the policy says %s ±10%%",
				id, a.Number, gap, a.Number, want)
		}
		late = max(late, gap-hi)
	}
	return gaps, late
}

// outagePolicyParsed parses outagePolicy as the server does.
func outagePolicyParsed(t *testing.T) deliverypolicy.RetryPolicy {
	p, err := deliverypolicy.ParseFlag(outagePolicy)
	require.NoError(t, err)
	return p.Retry()
}

// TestReceiverOutageRecovers publishes 1,000 events while the receiver
// answers 503 and keeps it down until each has been refused at least once;
// then it recovers. Every event must arrive with no operator action,
// nothing may stay pending or dead, and every delivery's attempts must
// follow the policy: 503s, then one success, never retried early. A second
// account's subscription carries a few probe events: with no backlog of
// its own, its retries must come when the policy says, within jitter and
// some scheduling slack. The server is the real binary (see childBinary)
// with outagePolicy as --delivery-policy, every other setting default.
func TestReceiverOutageRecovers(t *testing.T) {
	require.Equal(t, outageSchedule, outagePolicyParsed(t).Schedule()[:len(outageSchedule)])
	rcv := newOutageReceiver(t)
	c := childStart(t, childBinary(t), filepath.Join(t.TempDir(), "data"), "--delivery-policy", outagePolicy, "--log-level", "warn")
	bulkAcct := c.subscribe(rcv.srv.URL + "/bulk")
	probeAcct := c.subscribe(rcv.srv.URL + "/probe")
	require.Eventually(t, func() bool { return rcv.confirmed("/bulk") && rcv.confirmed("/probe") }, 20*time.Second, 10*time.Millisecond)

	rcv.down.Store(true)
	start := time.Now()
	outagePublish(t, c, probeAcct, outageProbes)
	outagePublish(t, c, bulkAcct, outageEvents)
	published := time.Since(start)
	require.Eventually(t, func() bool {
		_, _, refused := rcv.counts("/bulk")
		return refused == outageEvents && time.Since(time.Unix(0, rcv.first.Load())) >= outageMinDown
	}, 30*time.Second, 5*time.Millisecond, "not every delivery was attempted during the outage")
	rcv.down.Store(false)
	recovered := time.Now()
	rcv.mu.Lock()
	refusals := rcv.nRefuse
	rcv.mu.Unlock()
	t.Logf("published %d+%d events in %s; receiver down %s, refused %d Notifications",
		outageProbes, outageEvents, published.Round(time.Millisecond), recovered.Sub(start).Round(time.Millisecond), refusals)

	require.Eventually(t, func() bool {
		b, _, _ := rcv.counts("/bulk")
		p, _, _ := rcv.counts("/probe")
		return b == outageEvents && p == outageProbes
	}, 40*time.Second, 20*time.Millisecond, "not everything arrived after the outage")
	unique, total, _ := rcv.counts("/bulk")
	t.Logf("all %d events arrived %s after recovery (%d Notifications, %d duplicates)",
		unique, time.Since(recovered).Round(time.Millisecond), total, total-unique)

	require.Eventually(t, func() bool { n, err := c.pending(); return err == nil && n == 0 },
		10*time.Second, 20*time.Millisecond, "deliveries left pending")
	var dead struct{ Deliveries []json.RawMessage }
	c.mustAdmin(200, "GET", "/v1/deadletters", "", &dead)
	require.Empty(t, dead.Deliveries, "no dead letters")

	for _, id := range outageDeliveries(c, probeAcct) {
		gaps, late := outageCheckLog(t, c, id, recovered, outageProbeSlack)
		t.Logf("probe delivery %d: gaps %v, latest %s beyond +10%%", id, outageRound(gaps), late.Round(time.Millisecond))
	}
	// The bulk subscription's retries also wait for one of its four
	// request slots, so they may come later than the policy says, never
	// earlier.
	ids := outageDeliveries(c, bulkAcct)
	require.Len(t, ids, outageEvents)
	var worst time.Duration
	for i := 0; i < len(ids); i += 10 {
		_, late := outageCheckLog(t, c, ids[i], recovered, -1)
		worst = max(worst, late)
	}
	t.Logf("bulk sample of %d deliveries: no retry early; latest %s beyond +10%%", (len(ids)+9)/10, worst.Round(time.Millisecond))
}

// outageRound renders durations to the millisecond.
func outageRound(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond).String()
	}
	return out
}
