package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hold takes n slots of sub and returns their releases.
func hold(t *testing.T, g *LocalGate, sub int64, n int) []func(time.Duration) {
	t.Helper()
	var releases []func(time.Duration)
	for range n {
		release, _, ok, turn := g.acquire(sub, 0, 4, 0, time.Now())
		require.True(t, ok)
		require.Nil(t, turn)
		releases = append(releases, release)
	}
	return releases
}

// busy gives sub a history of fast requests, then takes its 4 slots.
func busy(t *testing.T, g *LocalGate, sub int64) []func(time.Duration) {
	t.Helper()
	for _, release := range hold(t, g, sub, 4) {
		release(time.Millisecond)
	}
	return hold(t, g, sub, 4)
}

func TestLocalGateInFlightLimit(t *testing.T) {
	g := NewLocalGate()
	releases := hold(t, g, 1, 4)
	_, wait, ok, turn := g.acquire(1, 0, 4, 0, time.Now().Add(2*MaxQueueWait))
	require.False(t, ok, "the fifth request does not start")
	require.Nil(t, turn, "all slots held, none released for longer than MaxQueueWait: nobody queues")
	require.GreaterOrEqual(t, wait, 90*time.Millisecond)

	releases[0](time.Millisecond)
	releases[0], _, ok, _ = g.acquire(1, 0, 4, 0, time.Now())
	require.True(t, ok, "a released slot is free again")
	_, _, ok, turn = g.acquire(1, 0, 4, 0, time.Now())
	require.False(t, ok)
	require.NotNil(t, turn, "a slot was just released: the delivery queues for the next")

	_, _, ok, _ = g.acquire(2, 0, 4, 0, time.Now())
	require.True(t, ok, "another subscription is not affected")

	releases[0](time.Millisecond)
	select {
	case <-turn:
	default:
		t.Fatal("a released slot goes to the queued delivery")
	}
	releases[1](time.Millisecond)
	_, _, ok, _ = g.acquire(1, 0, 4, 0, time.Now())
	require.True(t, ok, "with nobody queued, a released slot is free again")
}

// TestLocalGateBurstQueues: a subscription quiet for a while gets a burst
// (a batch published for one account): the deliveries past its slots queue
// for them instead of being snoozed, since the slots were taken just now.
func TestLocalGateBurstQueues(t *testing.T) {
	g := NewLocalGate()
	start := time.Now()
	for _, release := range hold(t, g, 1, 4) {
		release(time.Millisecond)
	}
	later := start.Add(time.Minute)
	for range 4 {
		_, _, ok, _ := g.acquire(1, 0, 4, 0, later)
		require.True(t, ok)
	}
	_, _, ok, turn := g.acquire(1, 0, 4, 0, later.Add(MaxQueueWait/2))
	require.False(t, ok)
	require.NotNil(t, turn, "the slots were taken just now: the delivery queues")
}

func TestLocalGateStuckSlotsQueueNobody(t *testing.T) {
	g := NewLocalGate()
	now := time.Now()
	g.Now = func() time.Time { return now }
	busy(t, g, 1)
	_, _, _, turn := g.acquire(1, 0, 4, 0, now.Add(MaxQueueWait/2))
	require.NotNil(t, turn)
	_, _, _, turn = g.acquire(1, 0, 4, 0, now.Add(2*MaxQueueWait))
	require.Nil(t, turn, "no slot released for longer than MaxQueueWait: the endpoint may hang, workers are not held")
}

func TestLocalGateQueueServesInOrder(t *testing.T) {
	g := NewLocalGate()
	releases := busy(t, g, 1)
	ctx := context.Background()
	got := make(chan int64, 2)
	for _, d := range []int64{10, 11} {
		go func() {
			release, _, ok, err := g.Acquire(ctx, 1, d, 4, 0)
			if err == nil && ok {
				got <- d
				release(time.Millisecond)
			}
		}()
		require.Eventually(t, func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			return len(g.subs[1].queue) == int(d-9)
		}, time.Second, time.Millisecond)
	}
	releases[0](time.Millisecond)
	require.Equal(t, int64(10), <-got, "first come, first served")
	require.Equal(t, int64(11), <-got)
}

func TestLocalGateQueueWaitIsBounded(t *testing.T) {
	g := NewLocalGate()
	busy(t, g, 1)
	start := time.Now()
	_, wait, ok, err := g.Acquire(context.Background(), 1, 5, 4, 0)
	require.NoError(t, err)
	require.False(t, ok, "no slot came: refused")
	require.GreaterOrEqual(t, time.Since(start), MaxQueueWait)
	require.GreaterOrEqual(t, wait, 90*time.Millisecond, "and snoozed for the estimator's wait")
	require.Empty(t, g.subs[1].queue)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, ok, err = g.Acquire(ctx, 1, 6, 4, 0)
	require.NoError(t, err)
	require.False(t, ok, "an ended context ends the wait")
}

func TestLocalGateQueueIsBounded(t *testing.T) {
	g := NewLocalGate()
	busy(t, g, 1)
	for range MaxQueued {
		_, _, _, turn := g.acquire(1, 0, 4, 0, time.Now())
		require.NotNil(t, turn)
	}
	_, wait, ok, turn := g.acquire(1, 0, 4, 0, time.Now())
	require.False(t, ok)
	require.Nil(t, turn, "past MaxQueued a delivery is refused at once")
	require.Positive(t, wait)
}

func TestLocalGateSlowEndpointRefusesAtOnce(t *testing.T) {
	g := NewLocalGate()
	for _, release := range hold(t, g, 1, 4) {
		release(10 * time.Second)
	}
	hold(t, g, 1, 4)
	_, wait, ok, turn := g.acquire(1, 0, 4, 0, time.Now())
	require.False(t, ok)
	require.Nil(t, turn, "behind a slow endpoint no slot comes soon: no worker is held")
	require.Greater(t, wait, time.Second)
}

func TestLocalGateWaitGrowsWithQueueAndSlowness(t *testing.T) {
	g := NewLocalGate()
	for _, release := range hold(t, g, 1, 4) {
		release(10 * time.Second) // a slow endpoint
	}
	hold(t, g, 1, 4)
	var last time.Duration
	for d := range int64(100) {
		_, last, _, _ = g.acquire(1, d, 4, 0, time.Now())
	}
	require.Greater(t, last, 20*time.Second, "a long queue behind a slow endpoint waits long, sparing the database")
	require.LessOrEqual(t, last, maxGateWait+maxGateWait/10)
	for range 50 {
		g.acquire(1, 99, 4, 0, time.Now())
	}
	require.Len(t, g.estimator.subs[1].waiting, 100, "a delivery refused again is not counted twice")
}

func TestLocalGateThrottle(t *testing.T) {
	g := NewLocalGate()
	now := time.Now()
	for range 2 {
		release, _, ok, _ := g.acquire(1, 0, 0, 2, now)
		require.True(t, ok)
		release(0)
	}
	_, wait, ok, turn := g.acquire(1, 0, 0, 2, now)
	require.False(t, ok, "2 per second: the third in the same instant waits")
	require.Nil(t, turn)
	require.InDelta(t, 500, wait.Milliseconds(), 1)
	_, _, ok, _ = g.acquire(1, 0, 0, 2, now.Add(500*time.Millisecond))
	require.True(t, ok, "a token has refilled after 1/rate")
}
