package delivery

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// Retry defaults and the bounds on a receiver's Retry-After.
const (
	// DefaultMaxAttempts is how many attempts a delivery gets, the first
	// included.
	DefaultMaxAttempts = 25
	// DefaultRetryBase is the first retry delay of ExponentialRetry.
	DefaultRetryBase = time.Second
	// DefaultRetryMax caps ExponentialRetry's delays.
	DefaultRetryMax = time.Hour
	// DefaultRetryJitter is ExponentialRetry's jitter, ±10 %.
	DefaultRetryJitter = 0.1
	// MinRetryAfter is the shortest receiver Retry-After honoured.
	MinRetryAfter = time.Second
	// MaxRetryAfter is the longest receiver Retry-After honoured.
	MaxRetryAfter = time.Hour
)

// RetryPolicy schedules failed delivery jobs. The runner installs it as
// River's ClientRetryPolicy; River calls NextRetry, on the node that ran
// the attempt, right after the worker returns an error.
//
// A receiver's Retry-After reaches the policy through RetryAfter: the
// worker calls it just before returning that error, and NextRetry consumes
// it. The hint lives in memory, keyed by job ID, rather than in job
// metadata, because River hands NextRetry the job row as it was fetched,
// before this attempt's metadata updates are applied. A crash between the
// two calls only loses the hint; the job is then rescued and retried on
// the plain schedule.
type RetryPolicy interface {
	// NextRetry returns when the job, which has just failed, runs again.
	NextRetry(job *rivertype.JobRow) time.Time
	// RetryAfter records that the receiver asked for d before the job's
	// next attempt.
	RetryAfter(jobID int64, d time.Duration)
}

// ExponentialRetry is the default RetryPolicy: after the nth failure it
// waits Base·2^(n−1), capped at Max, ±Jitter, and at least a recorded
// Retry-After (clamped to [MinRetryAfter, MaxRetryAfter]). Zero fields
// take the defaults, so &ExponentialRetry{} is ready to use. Its methods
// are safe for concurrent use.
type ExponentialRetry struct {
	// Base is the first delay; default DefaultRetryBase.
	Base time.Duration
	// Max caps the delay before jitter; default DefaultRetryMax.
	Max time.Duration
	// Jitter is the relative spread: 0.1 means ±10 %; default
	// DefaultRetryJitter. A negative value disables jitter.
	Jitter float64
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1) for the jitter; default math/rand/v2.
	Rand func() float64

	mu    sync.Mutex
	hints map[int64]time.Duration
}

var _ RetryPolicy = (*ExponentialRetry)(nil)

// NextRetry implements RetryPolicy. The failure count is taken from the
// job's recorded errors (this failure not yet among them), as River's own
// policy does, so interrupted runs do not advance the schedule.
func (p *ExponentialRetry) NextRetry(job *rivertype.JobRow) time.Time {
	delay := p.Delay(len(job.Errors) + 1)
	if hint, ok := p.takeHint(job.ID); ok {
		delay = max(delay, min(max(hint, MinRetryAfter), MaxRetryAfter))
	}
	return p.now().Add(delay)
}

// RetryAfter implements RetryPolicy.
func (p *ExponentialRetry) RetryAfter(jobID int64, d time.Duration) {
	if d <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hints == nil {
		p.hints = make(map[int64]time.Duration)
	}
	p.hints[jobID] = d
}

// takeHint removes and returns the job's Retry-After, if any.
func (p *ExponentialRetry) takeHint(jobID int64) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.hints[jobID]
	delete(p.hints, jobID)
	return d, ok
}

// Delay returns the jittered delay after the given number of failures
// (1 for the first).
func (p *ExponentialRetry) Delay(failures int) time.Duration {
	base, ceiling := p.Base, p.Max
	if base <= 0 {
		base = DefaultRetryBase
	}
	if ceiling <= 0 {
		ceiling = DefaultRetryMax
	}
	d := min(base, ceiling)
	for i := 1; i < failures && d < ceiling; i++ {
		d = min(2*d, ceiling)
	}
	return p.jitter(d)
}

// jitter spreads d uniformly over d·(1 ± Jitter).
func (p *ExponentialRetry) jitter(d time.Duration) time.Duration {
	j := p.Jitter
	if j == 0 {
		j = DefaultRetryJitter
	}
	if j < 0 {
		return d
	}
	r := rand.Float64
	if p.Rand != nil {
		r = p.Rand
	}
	return time.Duration(float64(d) * (1 + j*(2*r()-1)))
}

func (p *ExponentialRetry) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
