package delivery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLocalGateInFlightLimit(t *testing.T) {
	g := NewLocalGate()
	now := time.Now()
	var releases []func(time.Duration)
	for range 4 {
		release, _, ok := g.acquire(1, 0, 4, 0, now)
		require.True(t, ok)
		releases = append(releases, release)
	}
	_, wait, ok := g.acquire(1, 0, 4, 0, now)
	require.False(t, ok, "the fifth request waits")
	require.GreaterOrEqual(t, wait, 90*time.Millisecond)

	_, _, ok = g.acquire(2, 0, 4, 0, now)
	require.True(t, ok, "another subscription is not affected")

	releases[0](time.Second)
	_, _, ok = g.acquire(1, 0, 4, 0, now)
	require.True(t, ok, "a released slot is free again")
}

func TestLocalGateWaitGrowsWithQueueAndSlowness(t *testing.T) {
	g := NewLocalGate()
	now := time.Now()
	for range 4 {
		release, _, ok := g.acquire(1, 0, 4, 0, now)
		require.True(t, ok)
		release(10 * time.Second) // a slow endpoint
	}
	for range 4 {
		_, _, ok := g.acquire(1, 0, 4, 0, now)
		require.True(t, ok)
	}
	var last time.Duration
	for d := range int64(100) {
		_, last, _ = g.acquire(1, d, 4, 0, now)
	}
	require.Greater(t, last, 20*time.Second, "a long queue behind a slow endpoint waits long, sparing the database")
	require.LessOrEqual(t, last, maxGateWait+maxGateWait/10)
	for range 50 {
		_, again, _ := g.acquire(1, 99, 4, 0, now)
		require.LessOrEqual(t, again, last+last/5, "a delivery refused again is not counted twice")
	}
}

func TestLocalGateThrottle(t *testing.T) {
	g := NewLocalGate()
	now := time.Now()
	for range 2 {
		release, _, ok := g.acquire(1, 0, 0, 2, now)
		require.True(t, ok)
		release(0)
	}
	_, wait, ok := g.acquire(1, 0, 0, 2, now)
	require.False(t, ok, "2 per second: the third in the same instant waits")
	require.InDelta(t, 500, wait.Milliseconds(), 1)
	_, _, ok = g.acquire(1, 0, 0, 2, now.Add(500*time.Millisecond))
	require.True(t, ok, "a token has refilled after 1/rate")
}
