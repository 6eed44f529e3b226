package deliverypolicy

import (
	"math"
	"math/rand/v2"
	"time"
)

// JitterFraction is Jitter's relative spread: ±10 %.
const JitterFraction = 0.1

// roundingSlack absorbs floating-point error before truncating a delay to
// whole seconds, so that an exact value such as 4 computed as 3.9999999
// still counts as 4 s.
const roundingSlack = 1e-6

// Phase is the part of a retry policy a retry falls in (SNS.md §4.3).
type Phase int

// The phases, in the order they run. PhaseNone is "not a retry": before
// the first retry, or after the last.
const (
	PhaseNone Phase = iota
	PhaseImmediate
	PhasePreBackoff
	PhaseBackoff
	PhasePostBackoff
)

// String returns the phase's name.
func (p Phase) String() string {
	switch p {
	case PhaseImmediate:
		return "immediate"
	case PhasePreBackoff:
		return "pre-backoff"
	case PhaseBackoff:
		return "backoff"
	case PhasePostBackoff:
		return "post-backoff"
	}
	return "none"
}

// BackoffRetries is the number of retries in the backoff phase: NumRetries
// less the three other phases, never negative.
func (r RetryPolicy) BackoffRetries() int {
	return max(0, r.NumRetries-r.NumNoDelayRetries-r.NumMinDelayRetries-r.NumMaxDelayRetries)
}

// Phase returns the phase of retry number retry (1-based).
func (r RetryPolicy) Phase(retry int) Phase {
	ph, _ := r.locate(retry)
	return ph
}

// locate returns retry's phase and, in the backoff phase, its 1-based
// index i within that phase.
func (r RetryPolicy) locate(retry int) (Phase, int) {
	if retry < 1 || retry > r.NumRetries {
		return PhaseNone, 0
	}
	immediate := r.NumNoDelayRetries
	pre := immediate + r.NumMinDelayRetries
	backoff := pre + r.BackoffRetries()
	switch {
	case retry <= immediate:
		return PhaseImmediate, 0
	case retry <= pre:
		return PhasePreBackoff, 0
	case retry <= backoff:
		return PhaseBackoff, retry - pre
	}
	return PhasePostBackoff, 0
}

// Delay returns the delay before retry number retry, 1-based: retry 1
// follows the initial attempt. It returns false when retry is not a retry
// of this policy (retry < 1 or retry > NumRetries). The delay is nominal;
// the delivery engine applies Jitter.
func (r RetryPolicy) Delay(retry int) (time.Duration, bool) {
	ph, i := r.locate(retry)
	var s int64
	switch ph {
	case PhaseNone:
		return 0, false
	case PhasePreBackoff:
		s = int64(r.MinDelayTarget)
	case PhaseBackoff:
		s = backoffSeconds(r.BackoffFunction, i, r.BackoffRetries(), int64(r.MinDelayTarget), int64(r.MaxDelayTarget))
	case PhasePostBackoff:
		s = int64(r.MaxDelayTarget)
	}
	return time.Duration(s) * time.Second, true
}

// Schedule returns the delays before every retry, in order; it has
// NumRetries entries. Meant for validated policies.
func (r RetryPolicy) Schedule() []time.Duration {
	out := make([]time.Duration, 0, max(r.NumRetries, 0))
	for i := 1; ; i++ {
		d, ok := r.Delay(i)
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

// TotalTime returns the sum of all retry delays: how long after the
// initial attempt the last retry starts, attempt durations and jitter
// aside. It saturates at the largest time.Duration.
func (r RetryPolicy) TotalTime() time.Duration {
	s := r.totalSeconds()
	if s > int64(math.MaxInt64/time.Second) {
		return math.MaxInt64
	}
	return time.Duration(s) * time.Second
}

// totalSeconds sums the schedule in seconds, in closed form outside the
// backoff phase.
func (r RetryPolicy) totalSeconds() int64 {
	lo, hi := int64(r.MinDelayTarget), int64(r.MaxDelayTarget)
	total := int64(max(r.NumMinDelayRetries, 0))*lo + int64(max(r.NumMaxDelayRetries, 0))*hi
	n := r.BackoffRetries()
	for i := 1; i <= n; i++ {
		total += backoffSeconds(r.BackoffFunction, i, n, lo, hi)
	}
	return total
}

// backoffSeconds is the delay, in whole seconds, of backoff retry i of n,
// from lo to hi (SNS.md §4.4, CMB's formulas with k = i−1, d = n−1):
//
//	linear:      lo + (hi−lo)·k/d
//	arithmetic:  lo + (hi−lo)·k²/d²
//	geometric:   lo − 1 + (hi−lo+1)^(k/d)
//	exponential: lo + (hi−lo)·(e^k − 1)/(e^d − 1)
//
// truncated to whole seconds. The first retry is lo and the last hi
// exactly; with n ≤ 1 or lo ≥ hi every delay is lo. Unknown functions
// count as linear. Results are clamped to [lo, hi].
func backoffSeconds(fn string, i, n int, lo, hi int64) int64 {
	if n <= 1 || i <= 1 || hi <= lo {
		return lo
	}
	if i >= n {
		return hi
	}
	span, k, d := hi-lo, int64(i-1), int64(n-1)
	var v int64
	switch fn {
	case Arithmetic:
		v = lo + arithmetic(span, k, d)
	case Geometric:
		v = lo - 1 + truncate(math.Pow(float64(span+1), float64(k)/float64(d)))
	case Exponential:
		v = lo + truncate(float64(span)*expRatio(k, d))
	default:
		v = lo + span*k/d
	}
	return min(max(v, lo), hi)
}

// arithmetic returns span·k²/d², exactly in integers when that cannot
// overflow (always, within ServerLimits), else in floating point.
func arithmetic(span, k, d int64) int64 {
	if span < 1<<20 && d < 1<<20 {
		return span * k * k / (d * d)
	}
	f := float64(k) / float64(d)
	return truncate(float64(span) * f * f)
}

// expRatio returns (e^k − 1)/(e^d − 1) for 0 ≤ k ≤ d, rewritten as
// (e^(k−d) − e^(−d))/(1 − e^(−d)) so that no power of e overflows.
func expRatio(k, d int64) float64 {
	return (math.Exp(float64(k-d)) - math.Exp(float64(-d))) / -math.Expm1(float64(-d))
}

// truncate drops the fraction of x ≥ 0, after roundingSlack.
func truncate(x float64) int64 {
	return int64(math.Floor(x + roundingSlack))
}

// Jitter spreads d uniformly over ±JitterFraction: d·(1 + 0.1·(2u − 1))
// with u = rnd() in [0, 1), truncated to the nanosecond. The result lies
// in [0.9·d, 1.1·d]; it is never negative and 0 stays 0. A nil rnd uses
// math/rand/v2; values of rnd outside [0, 1] are clamped.
func Jitter(d time.Duration, rnd func() float64) time.Duration {
	if d <= 0 {
		return 0
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	u := rnd()
	if !(u >= 0) { // also catches NaN
		u = 0
	}
	v := float64(d) * (1 + JitterFraction*(2*min(u, 1)-1))
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(v)
}
