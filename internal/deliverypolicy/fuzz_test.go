package deliverypolicy

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParse: Parse never panics, and whatever it accepts has a finite
// schedule of exactly NumRetries delays within [0, maxDelayTarget], ends
// with Delay(NumRetries+1) false, stays within the limits' total, and
// survives a Marshal/Parse round trip.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `{"healthyRetryPolicy":{}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,"numNoDelayRetries":3,"numMinDelayRetries":2,"numMaxDelayRetries":35,"backoffFunction":"exponential"}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":260,"numRetries":10,"backoffFunction":"geometric"}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":86400,"numRetries":100000,"numMaxDelayRetries":1,"backoffFunction":"arithmetic"}}`,
		`{"throttlePolicy":{"maxReceivesPerSecond":3},"requestPolicy":{"headerContentType":"application/json"}}`,
		`{"sicklyRetryPolicy":null,"guaranteed":false}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, limits := range []Limits{SNSLimits, ServerLimits} {
			p, err := Parse(data, limits)
			if err != nil {
				if _, ok := err.(*ValidationError); !ok {
					t.Fatalf("error of type %T: %v", err, err)
				}
				continue
			}
			checkAccepted(t, p, limits)
		}
	})
}

// checkAccepted asserts the properties of an accepted policy.
func checkAccepted(t *testing.T, p *Policy, limits Limits) {
	if p.HealthyRetryPolicy != nil {
		checkSchedule(t, *p.HealthyRetryPolicy, limits)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(b, limits); err != nil {
		t.Fatalf("round trip of %s: %v", b, err)
	}
}

// checkSchedule asserts the properties of an accepted retry policy.
func checkSchedule(t *testing.T, r RetryPolicy, limits Limits) {
	s := r.Schedule()
	if len(s) != r.NumRetries {
		t.Fatalf("schedule has %d delays, want %d", len(s), r.NumRetries)
	}
	if _, ok := r.Delay(r.NumRetries + 1); ok {
		t.Fatal("Delay(NumRetries+1) is not exhausted")
	}
	var total time.Duration
	for i, d := range s {
		if d < 0 || d > time.Duration(r.MaxDelayTarget)*time.Second {
			t.Fatalf("delay %d = %v out of [0, maxDelayTarget]", i+1, d)
		}
		total += d
	}
	if total != r.TotalTime() {
		t.Fatalf("TotalTime %v, schedule sums to %v", r.TotalTime(), total)
	}
	if limits.MaxTotalSeconds > 0 && total > time.Duration(limits.MaxTotalSeconds)*time.Second {
		t.Fatalf("total %v over the limit", total)
	}
}
