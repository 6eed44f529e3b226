package notify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// recordingDirect is a DirectSender with a fixed capacity that records
// what publishes hand it.
type recordingDirect struct {
	capacity int
	hold     time.Time
	asked    []int
	sent     [][]*store.Delivery
	reserved []int
}

func (r *recordingDirect) Reserve(n int) (int, time.Time) {
	r.asked = append(r.asked, n)
	return min(n, r.capacity), r.hold
}

func (r *recordingDirect) Send(ds []*store.Delivery, reserved int) {
	r.sent = append(r.sent, ds)
	r.reserved = append(r.reserved, reserved)
}

// failingCreateManyStore fails every DeliveryCreateMany inside transactions.
type failingCreateManyStore struct{ store.Store }

var errInjected = errors.New("injected")

func (f failingCreateManyStore) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	return f.Store.InTx(ctx, func(q store.Queries) error { return fn(failingCreateMany{q}) })
}

type failingCreateMany struct{ store.Queries }

func (failingCreateMany) DeliveryCreateMany(context.Context, []store.DeliveryCreateParams) ([]*store.Delivery, error) {
	return nil, errInjected
}

// TestPublishDirect checks what a publish asks of its direct sender: room
// for every delivery, the reserved ones created held and handed
// over after the commit, the rest left to the queue; and every
// reservation ended, also when the publish fails or creates nothing.
func TestPublishDirect(t *testing.T) {
	ctx := context.Background()
	svc, acct := subscribedDomain(t, nil)
	direct := &recordingDirect{capacity: 3, hold: time.Now().Add(45 * time.Second)}
	svc.SetDirect(direct)

	evs := benchEvents(4, 0)
	for i := range evs {
		evs[i].TxnID = fmt.Sprintf("%032x", 100+i)
	}
	_, err := svc.Publish(ctx, acct, evs)
	require.NoError(t, err)
	require.Equal(t, []int{4}, direct.asked, "room for every delivery")
	require.Equal(t, []int{3}, direct.reserved)
	require.Len(t, direct.sent[0], 4, "every committed delivery")
	held := 0
	for _, d := range direct.sent[0] {
		if !d.HeldUntil.IsZero() {
			held++
			require.NotEmpty(t, d.Body, "the stored bytes, to send without a read")
		}
	}
	require.Equal(t, 3, held, "as many held as reserved; the fourth goes to the queue")

	// The same batch again: its TxnIDs are found taken before signing,
	// so there is nothing to send and nothing is reserved.
	_, err = svc.Publish(ctx, acct, evs)
	require.NoError(t, err)
	require.Equal(t, []int{4}, direct.asked)

	// A single event again is found a duplicate only by its insert: the
	// reservation made for it ends with nothing to send.
	_, err = svc.Publish(ctx, acct, evs[:1])
	require.NoError(t, err)
	require.Equal(t, []int{4, 1}, direct.asked)
	require.Equal(t, []int{3, 1}, direct.reserved)
	require.Empty(t, direct.sent[1])
}

// TestPublishDirectFailure checks that a publish whose transaction fails
// ends its reservation with nothing to send.
func TestPublishDirectFailure(t *testing.T) {
	svc, acct := subscribedDomain(t, func(s store.Store) store.Store { return failingCreateManyStore{s} })
	direct := &recordingDirect{capacity: 8, hold: time.Now().Add(time.Minute)}
	svc.SetDirect(direct)
	_, err := svc.Publish(context.Background(), acct, benchEvents(2, 0))
	require.ErrorIs(t, err, errInjected)
	require.Equal(t, []int{2}, direct.reserved)
	require.Nil(t, direct.sent[0])
}
