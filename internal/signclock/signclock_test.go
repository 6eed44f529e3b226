package signclock

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireThreadClock skips where no thread clock is read.
func requireThreadClock(t *testing.T) {
	t.Helper()
	if _, ok := threadNanos(); !ok {
		t.Skipf("no thread CPU clock on %s", runtime.GOOS)
	}
}

// spin keeps the calling goroutine busy for d of wall time.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

func TestNothingCountedWithoutAMeter(t *testing.T) {
	span := Begin()
	require.Equal(t, Span{}, span, "no meter: nothing to time")
	span.End()

	m := Start(1)
	defer m.Stop()
	require.Equal(t, Reading{}, m.Read(), "a signature before Start is not the new meter's")
}

func TestOneSignatureInEveryIsTimed(t *testing.T) {
	requireThreadClock(t)
	m := Start(3)
	for range 9 {
		Begin().End()
	}
	r := m.Stop()
	require.Equal(t, int64(9), r.Signatures)
	require.Equal(t, int64(3), r.Sampled)

	Begin().End()
	require.Equal(t, r, m.Read(), "after Stop, signatures no longer report to the meter")
}

// TestThreadClockCountsWorkNotWaiting is why the thread clock is used: a
// signature's time must not include the time its thread waited.
func TestThreadClockCountsWorkNotWaiting(t *testing.T) {
	requireThreadClock(t)
	m := Start(1)
	span := Begin()
	time.Sleep(60 * time.Millisecond)
	span.End()
	slept := m.Stop()
	require.Equal(t, int64(1), slept.Sampled)
	require.Less(t, slept.CPUPerSignature, 10*time.Millisecond, "sleeping is not CPU time")

	m = Start(1)
	span = Begin()
	spin(60 * time.Millisecond)
	span.End()
	spun := m.Stop()
	require.Greater(t, spun.CPUPerSignature, 5*time.Millisecond, "spinning is")
	require.LessOrEqual(t, spun.CPUPerSignature, 200*time.Millisecond)
}

// TestConcurrentSignatures: goroutines sign at once, as the server's do.
func TestConcurrentSignatures(t *testing.T) {
	requireThreadClock(t)
	m := Start(2)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				span := Begin()
				spin(50 * time.Microsecond)
				span.End()
			}
		})
	}
	wg.Wait()
	r := m.Stop()
	require.Equal(t, int64(400), r.Signatures)
	require.Equal(t, int64(200), r.Sampled)
	require.Positive(t, r.CPUPerSignature)
}

// BenchmarkSpan is what timing costs a signature: with no meter, and with
// a meter that times every signature (the bench times one in four).
func BenchmarkSpan(b *testing.B) {
	b.Run("off", func(b *testing.B) {
		for b.Loop() {
			Begin().End()
		}
	})
	b.Run("every", func(b *testing.B) {
		m := Start(1)
		defer m.Stop()
		for b.Loop() {
			Begin().End()
		}
	})
}
