package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestParseCPUStat: steal is counted apart from busy, idle and iowait are
// neither, guest time (already in user) is not counted twice, and a line
// that is not /proc/stat's "cpu" line gives nothing.
func TestParseCPUStat(t *testing.T) {
	tick := 10 * time.Millisecond
	for _, tc := range []struct {
		name               string
		line               string
		busy, steal, total time.Duration
		ok                 bool
	}{
		{"all ten fields", "cpu  100 2 30 500 7 1 3 40 9 1", 136 * tick, 40 * tick, 683 * tick, true},
		{"no steal field (old kernels)", "cpu 100 2 30 500 7", 132 * tick, 0, 639 * tick, true},
		{"a per-CPU line", "cpu0 100 2 30 500 7 1 3 40 0 0", 0, 0, 0, false},
		{"too short", "cpu 1 2 3", 0, 0, 0, false},
		{"not a number", "cpu 1 2 x 4 5", 0, 0, 0, false},
		{"negative", "cpu 1 2 -3 4 5", 0, 0, 0, false},
		{"empty", "", 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := parseCPUStat(tc.line)
			require.Equal(t, tc.ok, s.ok)
			require.Equal(t, tc.busy, s.busy, "busy")
			require.Equal(t, tc.steal, s.steal, "steal")
			require.Equal(t, tc.total, s.total, "total")
		})
	}
}

// TestStolenAndOtherCores: over 2 s of wall time, 1 s stolen is half a
// core, and it is not counted as other processes' work.
func TestStolenAndOtherCores(t *testing.T) {
	a := parseCPUStat("cpu 1000 0 0 5000 0 0 0 100 0 0")
	b := parseCPUStat("cpu 1300 0 100 5100 0 0 0 200 0 0")
	wall := 2 * time.Second
	require.InDelta(t, 0.5, stolenCores(a, b, wall), 1e-9)
	// busy grew by 4 s, of which 3 s were ours: 1 s of others over 2 s.
	require.InDelta(t, 0.5, otherCores(a, b, 3*time.Second, wall), 1e-9)
	require.Equal(t, -1.0, stolenCores(cpuStat{}, b, wall), "unknown")
	require.Equal(t, -1.0, stolenCores(a, b, 0), "no wall time")
}
