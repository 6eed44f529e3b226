package delivery

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTurnstiles: at most size sends of a subscription hold a place, the
// next waits until one leaves or its wait ends, other subscriptions are
// not affected, and an unused subscription's entry goes away.
func TestTurnstiles(t *testing.T) {
	ctx := context.Background()
	var ts turnstiles
	leave1, ok := ts.enter(ctx, 1, 2, time.Second)
	require.True(t, ok)
	leave2, ok := ts.enter(ctx, 1, 2, time.Second)
	require.True(t, ok)
	_, ok = ts.enter(ctx, 1, 2, 20*time.Millisecond)
	require.False(t, ok, "both places taken")
	leaveOther, ok := ts.enter(ctx, 2, 2, 20*time.Millisecond)
	require.True(t, ok, "another subscription has its own")
	leaveOther()

	got := make(chan bool, 1)
	go func() {
		leave, ok := ts.enter(ctx, 1, 2, 5*time.Second)
		if ok {
			leave()
		}
		got <- ok
	}()
	time.Sleep(20 * time.Millisecond)
	leave1()
	require.True(t, <-got, "a place given back goes to the one waiting")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	leave2()
	leave3, ok := ts.enter(cctx, 1, 2, time.Second)
	if ok { // a free place may win over the cancelled context
		leave3()
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	require.Empty(t, ts.subs, "no entry is kept for subscriptions nobody waits for")
}
