package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// publishAll publishes the events and returns how many were sent.
func (r *run) publishAll(ctx context.Context, t0 int64) int {
	o := r.opts
	var next atomic.Int64
	var wg sync.WaitGroup
	limit := o.Events // 0 = none (Duration)
	end := int64(0)
	if o.Duration > 0 {
		end = t0 + int64(o.Duration)
	}
	type batch struct {
		k   int
		due int64
	}
	var sched chan batch
	if o.Rate > 0 {
		sched = make(chan batch, 1<<16)
		go func() {
			defer close(sched)
			for k := 0; ; k++ {
				due := t0 + int64(float64(k*o.Batch)/o.Rate*1e9)
				if (limit > 0 && k*o.Batch >= limit) || (end > 0 && due >= end) {
					return
				}
				if d := time.Duration(due - r.now()); d > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(d):
					}
				}
				sched <- batch{k, due}
			}
		}()
	}
	var highest atomic.Int64
	for range o.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				var b batch
				if sched != nil {
					var ok bool
					if b, ok = <-sched; !ok {
						return
					}
				} else {
					b.k = int(next.Add(1) - 1)
					if (limit > 0 && b.k*o.Batch >= limit) || (end > 0 && r.now() >= end) {
						return
					}
				}
				first := b.k * o.Batch
				n := o.Batch
				if limit > 0 {
					n = min(n, limit-first)
				}
				if !r.rec.ensure(first + n - 1) {
					return
				}
				r.publish(ctx, r.accounts[b.k%len(r.accounts)], first, n, b.due)
				storeMax(&highest, int64(first+n))
			}
		})
	}
	wg.Wait()
	return int(highest.Load())
}

// storeMax raises v to at least n.
func storeMax(v *atomic.Int64, n int64) {
	for {
		h := v.Load()
		if n <= h || v.CompareAndSwap(h, n) {
			return
		}
	}
}

// publish sends events first … first+n−1 for one account in one request.
func (r *run) publish(ctx context.Context, acct string, first, n int, due int64) {
	body := make([]byte, 0, 32+n*160)
	path := "/v1/accounts/" + acct + "/events"
	if r.opts.Batch > 1 {
		path += "/batch"
		body = append(body, `{"events":[`...)
	}
	for i := first; i < first+n; i++ {
		if i > first {
			body = append(body, ',')
		}
		body = r.appendEvent(body, i)
	}
	if r.opts.Batch > 1 {
		body = append(body, "]}"...)
	}
	start := r.now()
	for i := first; i < first+n; i++ {
		rec := r.rec.get(i)
		rec.start, rec.due = start, due
	}
	r.sent.Add(int64(n))
	raw, code, err := r.admin.do(ctx, "POST", path, body)
	ack := r.now()
	if err == nil && code != http.StatusAccepted {
		err = fmt.Errorf("HTTP %d: %s", code, bytes.TrimSpace(raw))
	}
	var results []publishResult
	if err == nil {
		results, err = r.parsePublish(raw, n)
	}
	if err != nil {
		r.errs.Add(int64(n))
		r.errMu.Lock()
		if r.firstErr == "" {
			r.firstErr = err.Error()
		}
		r.errMu.Unlock()
		return
	}
	for k, p := range results {
		i := first + k
		if p.TxnID != r.txnID(i) || p.Deliveries != 1 {
			r.noDelivery.Add(1)
			continue
		}
		r.rec.get(i).ack = ack
		r.acked.Add(1)
	}
	r.reqMu.Lock()
	r.reqDurations = append(r.reqDurations, ack-start)
	if r.opts.Rate > 0 {
		r.lagDurations = append(r.lagDurations, max(0, start-due))
	}
	r.reqMu.Unlock()
}

type publishResult struct {
	TxnID      string `json:"txnId"`
	Deliveries int    `json:"deliveries"`
}

func (r *run) parsePublish(raw []byte, n int) ([]publishResult, error) {
	if r.opts.Batch == 1 {
		var one publishResult
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, err
		}
		return []publishResult{one}, nil
	}
	var out struct{ Results []publishResult }
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	if len(out.Results) != n {
		return nil, fmt.Errorf("%d results for %d events", len(out.Results), n)
	}
	return out.Results, nil
}

// appendEvent appends event i: a CompanyAdded with the run's TxnId.
func (r *run) appendEvent(b []byte, i int) []byte {
	b = append(b, `{"subject":"CompanyAdded","body":{"data":{"id":`...)
	b = strconv.AppendInt(b, int64(i+1), 10)
	b = append(b, `,"businessName":"Bench Company `...)
	b = strconv.AppendInt(b, int64(i+1), 10)
	b = append(b, `"}},"txnId":"`...)
	b = append(b, r.txnID(i)...)
	return append(b, `"}`...)
}

// adminClient calls the server's admin API.
type adminClient struct {
	base, token string
	hc          *http.Client
}

func newAdminClient(base, token string, conns int) *adminClient {
	tr := &http.Transport{MaxIdleConnsPerHost: conns + 4, DisableCompression: true, IdleConnTimeout: time.Minute}
	return &adminClient{base: base, token: token, hc: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

func (a *adminClient) do(ctx context.Context, method, path string, body []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return raw, resp.StatusCode, err
}

// json calls the admin API, wants the status code and decodes into out.
func (a *adminClient) json(ctx context.Context, method, path, body string, want int, out any) error {
	raw, code, err := a.do(ctx, method, path, []byte(body))
	if err != nil {
		return fmt.Errorf("bench: %s %s: %w", method, path, err)
	}
	if code != want {
		return fmt.Errorf("bench: %s %s: HTTP %d: %s", method, path, code, bytes.TrimSpace(raw))
	}
	return json.Unmarshal(raw, out)
}
