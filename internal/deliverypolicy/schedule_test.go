package deliverypolicy

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secs turns whole seconds into durations.
func secs(s ...int) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, v := range s {
		out[i] = time.Duration(v) * time.Second
	}
	return out
}

// repeat returns n copies of s seconds.
func repeat(n, s int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// backoffOnly is a policy whose retries are all in the backoff phase.
func backoffOnly(fn string, lo, hi, n int) RetryPolicy {
	return RetryPolicy{MinDelayTarget: lo, MaxDelayTarget: hi, NumRetries: n, BackoffFunction: fn}
}

// Schedules worked out by hand, i = 1..N, k = i−1, d = N−1, truncated.
//
// min 1, max 10, N 4 (d = 3, span 9):
//
//	linear      1 + 9·k/3              = 1, 4, 7, 10
//	arithmetic  1 + 9·k²/9 = 1 + k²    = 1, 2, 5, 10
//	geometric   10^(k/3): 1, 2.154, 4.642, 10          → 1, 2, 4, 10
//	exponential 1 + 9·(e^k−1)/(e³−1) = 1 + 0.47156·(e^k−1):
//	            1, 1 + 0.810 = 1.81, 1 + 3.013 = 4.01, 10 → 1, 1, 4, 10
//
// min 5, max 260, N 10 (AWS's graph; d = 9, span 255):
//
//	linear      5 + 255·k/9 = 5 + 0, 28.3, 56.7, 85, 113.3, 141.7, 170,
//	            198.3, 226.7, 255
//	arithmetic  5 + 255·k²/81 = 5 + 0, 3.15, 12.6, 28.3, 50.4, 78.7, 113.3,
//	            154.3, 201.5, 255
//	geometric   4 + 256^(k/9) = 4 + 2^(8k/9) = 4 + 1, 1.85, 3.43, 6.35,
//	            11.76, 21.77, 40.32, 74.66, 138.25, 256
//	exponential 5 + 255·(e^k−1)/(e⁹−1) = 5 + 0.031473·(e^k−1) = 5 + 0,
//	            0.054, 0.201, 0.601, 1.687, 4.640, 12.67, 34.48, 93.79, 255
func TestBackoffFunctions(t *testing.T) {
	tests := []struct {
		name string
		r    RetryPolicy
		want []int
	}{
		{"linear 1-10", backoffOnly(Linear, 1, 10, 4), []int{1, 4, 7, 10}},
		{"arithmetic 1-10", backoffOnly(Arithmetic, 1, 10, 4), []int{1, 2, 5, 10}},
		{"geometric 1-10", backoffOnly(Geometric, 1, 10, 4), []int{1, 2, 4, 10}},
		{"exponential 1-10", backoffOnly(Exponential, 1, 10, 4), []int{1, 1, 4, 10}},
		{"linear 5-260", backoffOnly(Linear, 5, 260, 10), []int{5, 33, 61, 90, 118, 146, 175, 203, 231, 260}},
		{"arithmetic 5-260", backoffOnly(Arithmetic, 5, 260, 10), []int{5, 8, 17, 33, 55, 83, 118, 159, 206, 260}},
		{"geometric 5-260", backoffOnly(Geometric, 5, 260, 10), []int{5, 5, 7, 10, 15, 25, 44, 78, 142, 260}},
		{"exponential 5-260", backoffOnly(Exponential, 5, 260, 10), []int{5, 5, 5, 5, 6, 9, 17, 39, 98, 260}},
		// Exact powers must not be truncated down by floating-point error:
		// 256^(k/8) = 2^k, so geometric 1-256 over N 9 is 1 + 2^k − 1.
		{"geometric exact powers", backoffOnly(Geometric, 1, 256, 9), []int{1, 2, 4, 8, 16, 32, 64, 128, 256}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, secs(tt.want...), tt.r.Schedule())
		})
	}
}

// TestBackoffEdgeCases: N = 1 gives min, N = 2 gives min then max, min =
// max gives a flat schedule, N = 0 skips the phase — for every function.
func TestBackoffEdgeCases(t *testing.T) {
	for _, fn := range backoffFunctions {
		t.Run(fn, func(t *testing.T) {
			assert.Equal(t, secs(7), backoffOnly(fn, 7, 90, 1).Schedule(), "N = 1")
			assert.Equal(t, secs(7, 90), backoffOnly(fn, 7, 90, 2).Schedule(), "N = 2")
			assert.Equal(t, secs(30, 30, 30, 30, 30), backoffOnly(fn, 30, 30, 5).Schedule(), "min = max")
			skip := RetryPolicy{MinDelayTarget: 2, MaxDelayTarget: 9, NumRetries: 3,
				NumNoDelayRetries: 1, NumMinDelayRetries: 1, NumMaxDelayRetries: 1, BackoffFunction: fn}
			assert.Equal(t, secs(0, 2, 9), skip.Schedule(), "N = 0")
			assert.Empty(t, backoffOnly(fn, 1, 9, 0).Schedule(), "no retries")
		})
	}
}

// TestBackoffFirstMinLastMax checks the pinned ends for many shapes,
// including ServerLimits' extremes where e^(N−1) would overflow.
func TestBackoffFirstMinLastMax(t *testing.T) {
	for _, fn := range backoffFunctions {
		for _, c := range [][3]int{{1, 2, 3}, {1, 3600, 100}, {20, 86400, 100000}, {1, 86400, 5000}} {
			r := backoffOnly(fn, c[0], c[1], c[2])
			first, _ := r.Delay(1)
			last, _ := r.Delay(c[2])
			assert.Equal(t, time.Duration(c[0])*time.Second, first, "%s %v", fn, c)
			assert.Equal(t, time.Duration(c[1])*time.Second, last, "%s %v", fn, c)
			s := r.Schedule()
			for i := 1; i < len(s); i++ {
				if s[i-1] > s[i] {
					t.Fatalf("%s %v: not monotonic at %d", fn, c, i)
				}
			}
		}
	}
}

// TestPhaseBoundaries walks min 2, max 50: 2 immediate, 2 pre-backoff,
// 3 linear backoff (2, 2 + 48·1/2 = 26, 50), 2 post-backoff.
func TestPhaseBoundaries(t *testing.T) {
	r := RetryPolicy{MinDelayTarget: 2, MaxDelayTarget: 50, NumRetries: 9,
		NumNoDelayRetries: 2, NumMinDelayRetries: 2, NumMaxDelayRetries: 2, BackoffFunction: Linear}
	tests := []struct {
		retry int
		want  int
		ok    bool
		phase Phase
	}{
		{-1, 0, false, PhaseNone},
		{0, 0, false, PhaseNone},        // the initial attempt is not a retry
		{1, 0, true, PhaseImmediate},    // first immediate
		{2, 0, true, PhaseImmediate},    // last immediate
		{3, 2, true, PhasePreBackoff},   // first pre-backoff
		{4, 2, true, PhasePreBackoff},   // last pre-backoff
		{5, 2, true, PhaseBackoff},      // first backoff = min
		{6, 26, true, PhaseBackoff},     // middle backoff
		{7, 50, true, PhaseBackoff},     // last backoff = max
		{8, 50, true, PhasePostBackoff}, // first post-backoff
		{9, 50, true, PhasePostBackoff}, // last retry
		{10, 0, false, PhaseNone},       // exhausted
	}
	for _, tt := range tests {
		d, ok := r.Delay(tt.retry)
		assert.Equal(t, tt.ok, ok, "retry %d", tt.retry)
		assert.Equal(t, time.Duration(tt.want)*time.Second, d, "retry %d", tt.retry)
		assert.Equal(t, tt.phase, r.Phase(tt.retry), "retry %d", tt.retry)
	}
	assert.Equal(t, secs(0, 0, 2, 2, 2, 26, 50, 50, 50), r.Schedule())
	assert.Equal(t, 182*time.Second, r.TotalTime())
}

// TestSNSDocumentedExample is SNS.md §4.3's example: 3 immediate, 2 at 1 s,
// 10 exponential 1→60 s, 35 at 60 s. Backoff by hand, 1 + 59·(e^k−1)/(e⁹−1)
// = 1 + 0.0072821·(e^k−1) = 1 + 0, 0.013, 0.047, 0.139, 0.390, 1.073,
// 2.931, 7.978, 21.70, 59 → 1, 1, 1, 1, 1, 2, 3, 8, 22, 60.
func TestSNSDocumentedExample(t *testing.T) {
	r := RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 60, NumRetries: 50,
		NumNoDelayRetries: 3, NumMinDelayRetries: 2, NumMaxDelayRetries: 35, BackoffFunction: Exponential}
	require.NoError(t, (&Policy{HealthyRetryPolicy: &r}).Validate(SNSLimits))
	counts := map[Phase]int{}
	for i := 1; i <= r.NumRetries; i++ {
		counts[r.Phase(i)]++
	}
	assert.Equal(t, map[Phase]int{PhaseImmediate: 3, PhasePreBackoff: 2, PhaseBackoff: 10, PhasePostBackoff: 35}, counts)
	want := append(append(append(repeat(3, 0), 1, 1), 1, 1, 1, 1, 1, 2, 3, 8, 22, 60), repeat(35, 60)...)
	assert.Equal(t, secs(want...), r.Schedule())
	for _, b := range []struct {
		retry int
		phase Phase
	}{{3, PhaseImmediate}, {4, PhasePreBackoff}, {5, PhasePreBackoff}, {6, PhaseBackoff},
		{15, PhaseBackoff}, {16, PhasePostBackoff}, {50, PhasePostBackoff}, {51, PhaseNone}} {
		assert.Equal(t, b.phase, r.Phase(b.retry), "retry %d", b.retry)
	}
	_, ok := r.Delay(51)
	assert.False(t, ok)
	assert.Equal(t, time.Duration(2+100+35*60)*time.Second, r.TotalTime())
}

func TestPhaseString(t *testing.T) {
	names := map[Phase]string{PhaseNone: "none", PhaseImmediate: "immediate", PhasePreBackoff: "pre-backoff",
		PhaseBackoff: "backoff", PhasePostBackoff: "post-backoff"}
	for p, n := range names {
		assert.Equal(t, n, p.String())
	}
}

func TestTotalTimeSaturates(t *testing.T) {
	r := RetryPolicy{MinDelayTarget: math.MaxInt32, MaxDelayTarget: math.MaxInt32,
		NumRetries: math.MaxInt32, NumMaxDelayRetries: math.MaxInt32, BackoffFunction: Linear}
	assert.Equal(t, time.Duration(math.MaxInt64), r.TotalTime())
}

// TestJitterBounds is a property test: for any d and any rnd in [0, 1),
// the result lies in [0.9·d, 1.1·d] (to the nanosecond) and is never
// negative; 0 and negative durations give 0.
func TestJitterBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		d := time.Duration(rng.Int64N(int64(48 * time.Hour)))
		if rng.IntN(10) == 0 {
			d = time.Duration(rng.Int64N(100))
		}
		if j := Jitter(d, rng.Float64); j < 0 || j < d-d/10-1 || j > d+d/10+1 {
			t.Fatalf("Jitter(%v) = %v, outside ±10 %%", d, j)
		}
	}
	assert.Equal(t, time.Duration(0), Jitter(0, rng.Float64))
	assert.Equal(t, time.Duration(0), Jitter(-time.Second, rng.Float64))
}

func TestJitterEnds(t *testing.T) {
	const d = 100 * time.Second
	fixed := func(u float64) func() float64 { return func() float64 { return u } }
	assert.Equal(t, 90*time.Second, Jitter(d, fixed(0)))
	assert.Equal(t, d, Jitter(d, fixed(0.5)))
	assert.Equal(t, 110*time.Second, Jitter(d, fixed(1)))
	assert.Equal(t, 90*time.Second, Jitter(d, fixed(math.NaN())), "NaN clamps to 0")
	assert.Equal(t, 90*time.Second, Jitter(d, fixed(-3)), "below 0 clamps")
	assert.Equal(t, 110*time.Second, Jitter(d, fixed(7)), "above 1 clamps")
	assert.Equal(t, time.Duration(math.MaxInt64), Jitter(math.MaxInt64, fixed(1)), "saturates")
	j := Jitter(d, nil)
	assert.True(t, j >= 90*time.Second && j <= 110*time.Second, "nil rnd: %v", j)
}
