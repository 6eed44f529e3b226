package jobwake

import (
	"context"

	"github.com/riverqueue/river/riverdriver"
)

// Merge wraps a River driver whose database has its own notifications
// (PostgreSQL's LISTEN/NOTIFY) so that River also takes notifications
// from l: those of other nodes and of River's own inserts still arrive
// from the database, and a process can wake its own producer through l
// without a round trip.
func Merge[TTx any](d riverdriver.Driver[TTx], l *Listener) riverdriver.Driver[TTx] {
	return &mergedDriver[TTx]{Driver: d, local: l}
}

// mergedDriver is a riverdriver.Driver whose listener is merged with an
// in-process one.
type mergedDriver[TTx any] struct {
	riverdriver.Driver[TTx]
	local *Listener
}

// GetListener returns the database's listener merged with the local one.
func (d *mergedDriver[TTx]) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &mergedListener{Listener: d.Driver.GetListener(params), local: d.local}
}

// mergedListener is the database's listener, whose wait also ends with a
// local notification. River uses a listener from one goroutine at a time
// and interrupts a wait by cancelling its context (it does so every few
// seconds to ping the connection), which is how a local wake interrupts
// the database's wait too.
type mergedListener struct {
	riverdriver.Listener
	local *Listener
}

// Connect connects the database's listener and the local one.
func (m *mergedListener) Connect(ctx context.Context) error {
	if err := m.Listener.Connect(ctx); err != nil {
		return err
	}
	if err := m.local.Connect(ctx); err != nil {
		_ = m.Listener.Close(ctx)
		return err
	}
	return nil
}

// Close closes both.
func (m *mergedListener) Close(ctx context.Context) error {
	_ = m.local.Close(ctx)
	return m.Listener.Close(ctx)
}

// Listen listens on both.
func (m *mergedListener) Listen(ctx context.Context, topic string) error {
	if err := m.Listener.Listen(ctx, topic); err != nil {
		return err
	}
	return m.local.Listen(ctx, topic)
}

// Unlisten stops listening on both.
func (m *mergedListener) Unlisten(ctx context.Context, topic string) error {
	if err := m.Listener.Unlisten(ctx, topic); err != nil {
		return err
	}
	return m.local.Unlisten(ctx, topic)
}

// WaitForNotification returns a local notification if one is pending, and
// otherwise waits for the database's next notification, cutting that wait
// short when a local one arrives.
func (m *mergedListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		if n := m.local.take(); n != nil {
			return n, nil
		}
		// Woken with nothing from the database: take the local one. If the
		// database's came first, the local one stays pending for the next
		// call.
		if n, err, woken := m.waitDatabase(ctx); !woken || n != nil || ctx.Err() != nil {
			return n, err
		}
	}
}

// waitDatabase waits for the database's next notification until ctx ends
// or a local notification arrives (woken).
func (m *mergedListener) waitDatabase(ctx context.Context) (n *riverdriver.Notification, err error, woken bool) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-m.local.signal:
			woken = true
			cancel()
		case <-wctx.Done():
		}
	}()
	n, err = m.Listener.WaitForNotification(wctx)
	cancel()
	<-done // woken is set before done closes
	return n, err, woken
}
