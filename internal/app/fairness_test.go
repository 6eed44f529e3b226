package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// Fairness test settings.
const (
	// fairWorkers is --delivery-workers: few enough that a black hole
	// holding every worker would starve everyone else, were it not for the
	// per-subscription in-flight limit (fairMaxInFlight).
	fairWorkers     = 8
	fairMaxInFlight = 4
	// fairTimeout is --delivery-timeout: how long the black hole holds a
	// worker per attempt.
	fairTimeout = 2 * time.Second
	// fairHold is how long the healthy receiver takes to answer. It makes
	// the healthy rate bound by the receiver (at most 4 / 50 ms = 80/s)
	// rather than by the CPU, which other processes share.
	fairHold = 50 * time.Millisecond
	// fairHealthy and fairHoleEvents are the events published to each.
	fairHealthy    = 300
	fairHoleEvents = 200
)

// fairReceiver records when each Notification arrived and answers 200
// after fairHold; with hole set it instead holds every Notification until
// the sender gives up, counting the requests open at once.
type fairReceiver struct {
	t    *testing.T
	srv  *httptest.Server
	hole bool
	quit chan struct{}

	confirmed atomic.Bool
	open      atomic.Int64
	held      atomic.Int64

	mu       sync.Mutex
	arrivals map[string]time.Time // TxnId → first arrival
	holds    []hold               // the black hole's requests
}

// hold is a request the black hole held: from its arrival until the
// server saw the sender give up (zero while it is still held).
type hold struct{ from, to time.Time }

// abortLag is how late the black hole may see a sender give up: the
// server learns that the connection closed from a background read, which
// on a busy machine can run after the sender's next request has arrived.
const abortLag = 250 * time.Millisecond

// maxHeld is the most requests the black hole held at once, each
// counted until lag before the server saw its sender give up. With lag
// abortLag, a sender over its limit still shows: it holds the extra
// request for the whole delivery timeout, far longer than abortLag.
func (r *fairReceiver) maxHeld(lag time.Duration) int {
	type edge struct {
		at time.Time
		d  int
	}
	now := time.Now()
	r.mu.Lock()
	edges := make([]edge, 0, 2*len(r.holds))
	for _, h := range r.holds {
		to := h.to
		if to.IsZero() {
			to = now
		}
		if to = to.Add(-lag); to.After(h.from) {
			edges = append(edges, edge{h.from, 1}, edge{to, -1})
		}
	}
	r.mu.Unlock()
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.d - b.d // an end before a start at the same instant
	})
	n, most := 0, 0
	for _, e := range edges {
		n += e.d
		most = max(most, n)
	}
	return most
}

func newFairReceiver(t *testing.T, hole bool) *fairReceiver {
	r := &fairReceiver{t: t, hole: hole, quit: make(chan struct{}), arrivals: map[string]time.Time{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	t.Cleanup(func() { close(r.quit) }) // runs first: releases held requests
	return r
}

func (r *fairReceiver) serve(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(req.Body)
	if req.Header.Get("x-amz-sns-message-type") == receiver.SNSTypeNotification && r.hole {
		r.mu.Lock()
		i := len(r.holds)
		r.holds = append(r.holds, hold{from: at})
		r.mu.Unlock()
		r.open.Add(1)
		defer func() {
			r.open.Add(-1)
			r.mu.Lock()
			r.holds[i].to = time.Now()
			r.mu.Unlock()
		}()
		r.held.Add(1)
		select { // never answer: the sender's timeout ends the request
		case <-req.Context().Done():
			panic(http.ErrAbortHandler) // not an empty 200 the sender might still read
		case <-r.quit:
		}
		return
	}
	m, err := receiver.ParseSNSMessage(body)
	if err != nil {
		r.t.Errorf("fair receiver: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch m.Type {
	case receiver.SNSTypeSubscriptionConfirmation:
		if _, err := httpGet(m.SubscribeURL); err != nil {
			r.t.Errorf("fair receiver: confirm: %v", err)
		}
		r.confirmed.Store(true)
	case receiver.SNSTypeNotification:
		inner, err := receiver.ParseIvvyMessage([]byte(m.Message))
		if err != nil {
			r.t.Errorf("fair receiver: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		if _, ok := r.arrivals[inner.TxnId]; !ok {
			r.arrivals[inner.TxnId] = at
		}
		r.mu.Unlock()
		time.Sleep(fairHold)
	}
	w.WriteHeader(http.StatusOK)
}

// take returns the arrival times recorded so far, sorted, and forgets them.
func (r *fairReceiver) take() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]time.Time, 0, len(r.arrivals))
	for _, at := range r.arrivals {
		out = append(out, at)
	}
	clear(r.arrivals)
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

func (r *fairReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.arrivals)
}

// fairPublish publishes n CompanyAdded events in batches of 100, the
// batches concurrently, and returns when all are acknowledged.
func fairPublish(t *testing.T, c *childServer, acct string, n int) {
	t.Helper()
	errs := make(chan error, n/100+1)
	var wg sync.WaitGroup
	for done := 0; done < n; done += 100 {
		events := make([]string, min(100, n-done))
		for i := range events {
			events[i] = fmt.Sprintf(`{"subject":"CompanyAdded","body":{"data":{"id":%d}}}`, done+i+1)
		}
		wg.Go(func() {
			var out struct{ Results []json.RawMessage }
			_, err := c.admin("POST", "/v1/accounts/"+acct+"/events/batch", `{"events":[`+strings.Join(events, ",")+`]}`, &out)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// fairRate publishes fairHealthy events to the healthy receiver, waits for
// all of them, and returns its delivery rate in events per second: the
// events that arrived after publishing had finished, over the time from
// then to the last arrival. Measuring from the end of publishing leaves
// the publisher's own speed out, and counts any wait for a first worker.
func fairRate(t *testing.T, c *childServer, acct string, rcv *fairReceiver) float64 {
	t.Helper()
	start := time.Now()
	fairPublish(t, c, acct, fairHealthy)
	published := time.Now()
	require.Eventually(t, func() bool { return rcv.count() == fairHealthy }, 60*time.Second, 10*time.Millisecond,
		"healthy receiver got %d of %d", rcv.count(), fairHealthy)
	arrivals := rcv.take()
	i, _ := slices.BinarySearchFunc(arrivals, published, func(a, b time.Time) int { return a.Compare(b) })
	require.GreaterOrEqual(t, fairHealthy-i, fairHealthy/2, "publishing is too slow to measure delivery: %d of %d arrived before it ended",
		i, fairHealthy)
	span := arrivals[len(arrivals)-1].Sub(published)
	rate := float64(fairHealthy-i) / span.Seconds()
	t.Logf("  published %d events in %s, first arrival after %s; %d arrived in the %s after publishing: %.1f/s",
		fairHealthy, published.Sub(start).Round(time.Millisecond), arrivals[0].Sub(start).Round(time.Millisecond),
		fairHealthy-i, span.Round(time.Millisecond), rate)
	return rate
}

// TestSlowEndpointDoesNotStarveOthers measures a healthy endpoint's
// delivery rate alone, then beside a black hole that holds every request
// until the delivery timeout, with a burst of events queued for it just
// before: the healthy rate must stay within 10 % of its rate alone, and
// the black hole must never hold more than the per-subscription limit of
// requests. With 8 workers and no such limit, the black hole would hold
// all of them. The server is the real binary (see childBinary).
func TestSlowEndpointDoesNotStarveOthers(t *testing.T) {
	healthy := newFairReceiver(t, false)
	hole := newFairReceiver(t, true)
	c := childStart(t, childBinary(t), filepath.Join(t.TempDir(), "data"), "--log-level", "warn",
		"--delivery-workers", fmt.Sprint(fairWorkers), "--delivery-timeout", fairTimeout.String(),
		"--max-in-flight", fmt.Sprint(fairMaxInFlight))
	healthyAcct := c.subscribe(healthy.srv.URL + "/healthy")
	holeAcct := c.subscribe(hole.srv.URL + "/hole")
	require.Eventually(t, func() bool { return healthy.confirmed.Load() && hole.confirmed.Load() },
		20*time.Second, 10*time.Millisecond)

	t.Log("healthy endpoint alone:")
	alone := fairRate(t, c, healthyAcct, healthy)

	fairPublish(t, c, holeAcct, fairHoleEvents)
	require.Eventually(t, func() bool { return hole.open.Load() == fairMaxInFlight }, 20*time.Second, 5*time.Millisecond,
		"the black hole never held %d requests", fairMaxInFlight)
	t.Logf("beside a black hole holding %d requests, %d events queued for it:", fairMaxInFlight, fairHoleEvents)
	beside := fairRate(t, c, healthyAcct, healthy)

	t.Logf("healthy rate alone %.1f/s, beside the black hole %.1f/s (%.0f %%); black hole: %d requests held, at most %d at once",
		alone, beside, 100*beside/alone, hole.held.Load(), hole.maxHeld(abortLag))
	t.Logf("(%d at once as the black hole saw the senders give up, up to %s late)", hole.maxHeld(0), abortLag)
	require.GreaterOrEqual(t, beside, 0.9*alone, "the black hole slowed the healthy endpoint by more than 10 %")
	require.LessOrEqual(t, hole.maxHeld(abortLag), fairMaxInFlight, "the black hole held more requests than --max-in-flight")
}
