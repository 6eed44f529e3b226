package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// countingTxnIDs counts the duplicate checks made outside transactions.
type countingTxnIDs struct {
	store.Store
	batchChecks, singleChecks *atomic.Int64
}

func (c countingTxnIDs) EventTxnIDsTaken(ctx context.Context, accountID int64, ids []string) (map[string]bool, error) {
	c.batchChecks.Add(1)
	return c.Store.EventTxnIDsTaken(ctx, accountID, ids)
}

func (c countingTxnIDs) EventGetByTxnID(ctx context.Context, accountID int64, id string) (*store.Event, error) {
	c.singleChecks.Add(1)
	return c.Store.EventGetByTxnID(ctx, accountID, id)
}

// TestPublishBatchWithDuplicates publishes a batch again with one new
// event: the repeats are reported as duplicates with the first publish's
// counts and create nothing, the new event is published, and the batch's
// chosen TxnIDs are checked with one query, not one per event.
func TestPublishBatchWithDuplicates(t *testing.T) {
	var batchChecks, singleChecks atomic.Int64
	svc, acct := subscribedDomain(t, func(s store.Store) store.Store {
		return countingTxnIDs{Store: s, batchChecks: &batchChecks, singleChecks: &singleChecks}
	})
	ctx := context.Background()
	withIDs := func(evs []notify.Event, from int) []notify.Event {
		for i := range evs {
			evs[i].TxnID = fmt.Sprintf("%032x", from+i)
		}
		return evs
	}

	first, err := svc.Publish(ctx, acct, withIDs(benchEvents(3, 0), 0))
	require.NoError(t, err)
	for _, p := range first {
		require.False(t, p.Duplicate)
		require.Equal(t, 1, p.Deliveries)
	}

	again, err := svc.Publish(ctx, acct, withIDs(benchEvents(4, 0), 0))
	require.NoError(t, err)
	require.Len(t, again, 4)
	for i, p := range again[:3] {
		require.True(t, p.Duplicate, "event %d", i)
		require.Equal(t, first[i].TxnID, p.TxnID)
		require.Equal(t, 1, p.Deliveries, "the first publish's count")
	}
	require.False(t, again[3].Duplicate)
	require.Equal(t, 1, again[3].Deliveries)

	require.Equal(t, int64(2), batchChecks.Load(), "one check per publish call")
	require.Zero(t, singleChecks.Load(), "no lookup per event outside the transaction")
}

// TestPublishSingleDuplicate publishes one event twice with the same
// chosen TxnID: the second is reported as a duplicate with the first's
// counts, found by the insert itself — a single publish makes no lookup
// before signing.
func TestPublishSingleDuplicate(t *testing.T) {
	var batchChecks, singleChecks atomic.Int64
	svc, acct := subscribedDomain(t, func(s store.Store) store.Store {
		return countingTxnIDs{Store: s, batchChecks: &batchChecks, singleChecks: &singleChecks}
	})
	ctx := context.Background()
	ev := benchEvents(1, 0)
	ev[0].TxnID = fmt.Sprintf("%032x", 7)

	first, err := svc.Publish(ctx, acct, ev)
	require.NoError(t, err)
	require.False(t, first[0].Duplicate)
	require.Equal(t, 1, first[0].Deliveries)

	again, err := svc.Publish(ctx, acct, ev)
	require.NoError(t, err)
	require.Len(t, again, 1)
	require.True(t, again[0].Duplicate)
	require.Equal(t, first[0].TxnID, again[0].TxnID)
	require.Equal(t, 1, again[0].Deliveries, "the first publish's count")

	require.Zero(t, batchChecks.Load(), "no lookup before signing a single event")
	require.Zero(t, singleChecks.Load(), "nor one outside the transaction")

	// The repeat created nothing: a batch with it and a new event finds it
	// taken and publishes only the new one.
	batch := append(ev, benchEvents(1, 1)...)
	batch[1].TxnID = fmt.Sprintf("%032x", 8)
	out, err := svc.Publish(ctx, acct, batch)
	require.NoError(t, err)
	require.True(t, out[0].Duplicate)
	require.Equal(t, 1, out[0].Deliveries)
	require.False(t, out[1].Duplicate)
}

// TestPublishSizeLimit checks SNS's limit on the iVvy message as it will
// be sent, escaping included: a body that is short but doubles when
// embedded is refused, a large one that stays under is accepted, and a
// body with invalid UTF-8 is refused as a body error.
func TestPublishSizeLimit(t *testing.T) {
	svc, acct := newService(t, nil)
	ctx := context.Background()
	body := func(value string) json.RawMessage {
		return json.RawMessage(`{"data":{"id":1,"notes":"` + value + `"}}`)
	}
	tests := []struct {
		name string
		body json.RawMessage
		ok   bool
	}{
		{"large but under the limit", body(strings.Repeat("a", 200_000)), true},
		{"raw size under, escaped size over", body(strings.Repeat(`\"`, 70_000)), false}, // 140 KB, 280 KB embedded
		{"over the limit", body(strings.Repeat("a", notify.MaxMessageBytes)), false},
		{"invalid UTF-8", body("a\xffb"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Publish(ctx, acct, []notify.Event{{Subject: "CompanyAdded", Body: tt.body}})
			if tt.ok {
				require.NoError(t, err)
				return
			}
			var pe *notify.PublishError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, "body", pe.Field, pe.Reason)
		})
	}
}
