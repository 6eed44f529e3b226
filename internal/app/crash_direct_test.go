package app_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCrashSIGKILLDirectSendsInFlight kills the real binary while the
// direct sends of acknowledged events are in flight: the receiver holds
// all 8 requests unanswered. After the kill their deliveries are still
// held in the database, with no queue job; the restarted node hands them
// to the queue at start-up, so every event arrives within seconds, not
// after the 45 s hold.
func TestCrashSIGKILLDirectSendsInFlight(t *testing.T) {
	bin, dataDir, rcv, first, acct := crashStart(t)

	rcv.stall.Store(true)
	ids := make([]string, 8) // the subscription's slots (--max-in-flight): all sent at once
	for i := range ids {
		ids[i] = fmt.Sprintf("d1ec%028x", i)
	}
	var acked, dups atomic.Int64
	_, err := crashPublish(first, acct, [][]string{ids}, 0, &acked, &dups)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return rcv.stalled.Load() == int64(len(ids)) }, 10*time.Second, 5*time.Millisecond,
		"only %d of %d direct sends reached the receiver", rcv.stalled.Load(), len(ids))
	first.kill()
	held, queued := heldDeliveries(t, dataDir)
	require.Equal(t, len(ids), held, "each acknowledged event's delivery held while its send was in flight")
	require.Zero(t, queued, "with no queue job")

	rcv.stall.Store(false)
	restart := time.Now()
	second := childStart(t, bin, dataDir)
	require.Eventually(t, func() bool { missing, _, _ := rcv.missing(ids); return len(missing) == 0 },
		15*time.Second, 20*time.Millisecond, "held deliveries not released at start-up")
	t.Logf("all %d events arrived %s after the restart began", len(ids), time.Since(restart).Round(time.Millisecond))
	require.Eventually(t, func() bool { n, err := second.pending(); return err == nil && n == 0 },
		10*time.Second, 20*time.Millisecond, "deliveries left pending")
}

// heldDeliveries counts the deliveries held for a direct send in the
// SQLite database of a stopped server, read directly, and their jobs in
// River's table.
func heldDeliveries(t *testing.T, dataDir string) (held, jobs int) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "ivvy-notify.db")+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM deliveries WHERE held_until IS NOT NULL AND status = 'pending'`).Scan(&held))
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'deliver'
		AND json_extract(args, '$.deliveryId') IN (SELECT id FROM deliveries WHERE held_until IS NOT NULL)`).Scan(&jobs))
	return held, jobs
}
