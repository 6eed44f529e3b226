package delivery

import (
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// jobWithFailures is a job row whose nth failure is being scheduled.
func jobWithFailures(id int64, n int) *rivertype.JobRow {
	return &rivertype.JobRow{ID: id, Attempt: n, Errors: make([]rivertype.AttemptError, n-1)}
}

func fixedPolicy(r float64) *ExponentialRetry {
	return &ExponentialRetry{Now: func() time.Time { return epoch }, Rand: func() float64 { return r }}
}

func TestExponentialRetrySchedule(t *testing.T) {
	t.Parallel()
	p := fixedPolicy(0.5) // no jitter at the midpoint
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600}
	for i, w := range want {
		next := p.NextRetry(jobWithFailures(1, i+1))
		require.Equal(t, w*time.Second, next.Sub(epoch), "failure %d", i+1)
	}
	require.Equal(t, time.Hour, p.NextRetry(jobWithFailures(1, 500)).Sub(epoch), "no overflow")
}

func TestExponentialRetryJitter(t *testing.T) {
	t.Parallel()
	require.Equal(t, 900*time.Millisecond, fixedPolicy(0).Delay(1))
	require.Equal(t, 1100*time.Millisecond, fixedPolicy(1).Delay(1))
	require.Equal(t, 3960*time.Second, fixedPolicy(1).Delay(30), "jitter applies on the cap too")

	p := &ExponentialRetry{}
	for range 1000 {
		d := p.Delay(3)
		require.GreaterOrEqual(t, d, 3600*time.Millisecond)
		require.LessOrEqual(t, d, 4400*time.Millisecond)
	}
	none := &ExponentialRetry{Jitter: -1, Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	require.Equal(t, []time.Duration{10, 20, 40, 50}, []time.Duration{
		none.Delay(1) / time.Millisecond, none.Delay(2) / time.Millisecond,
		none.Delay(3) / time.Millisecond, none.Delay(4) / time.Millisecond,
	})
}

func TestExponentialRetryHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		failures   int
		retryAfter time.Duration
		want       time.Duration
	}{
		{"LongerThanBackoff", 1, 30 * time.Second, 30 * time.Second},
		{"ShorterThanBackoffKeepsBackoff", 6, 2 * time.Second, 32 * time.Second},
		{"BelowMinimumRaised", 1, 100 * time.Millisecond, time.Second},
		{"AboveMaximumCapped", 1, 5 * time.Hour, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fixedPolicy(0.5)
			p.RetryAfter(42, tt.retryAfter)
			require.Equal(t, tt.want, p.NextRetry(jobWithFailures(42, tt.failures)).Sub(epoch))
		})
	}
	t.Run("BoundsApplyWhateverTheBase", func(t *testing.T) {
		p := fixedPolicy(0.5)
		p.Base = 10 * time.Millisecond
		p.RetryAfter(7, time.Millisecond)
		require.Equal(t, MinRetryAfter, p.NextRetry(jobWithFailures(7, 1)).Sub(epoch))
	})
}

func TestExponentialRetryHintIsPerJobAndUsedOnce(t *testing.T) {
	t.Parallel()
	p := fixedPolicy(0.5)
	p.RetryAfter(1, time.Minute)
	p.RetryAfter(2, 0) // ignored
	require.Equal(t, time.Second, p.NextRetry(jobWithFailures(2, 1)).Sub(epoch))
	require.Equal(t, time.Minute, p.NextRetry(jobWithFailures(1, 1)).Sub(epoch))
	require.Equal(t, time.Second, p.NextRetry(jobWithFailures(1, 1)).Sub(epoch), "consumed")
	require.Empty(t, p.hints)
}

func TestExponentialRetryConcurrent(t *testing.T) {
	t.Parallel()
	p := &ExponentialRetry{}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			p.RetryAfter(int64(i), time.Second)
			_ = p.NextRetry(jobWithFailures(int64(i), 1))
		})
	}
	wg.Wait()
	require.Empty(t, p.hints)
}
