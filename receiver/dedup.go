package receiver

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Deduper remembers which messages were handled, so that a redelivered
// message (SNS and ivvy-notify retry with the same MessageId) reaches the
// user's handler once. A Handler calls Seen before the user's handler and
// Mark only after it returns nil: a message whose handling failed is handled
// again when it is retried. Implementations must be safe for concurrent use;
// back one with a shared store (a database table, Redis SET NX with a TTL)
// when several processes receive the same subscription.
type Deduper interface {
	// Seen reports whether messageID was marked.
	Seen(ctx context.Context, messageID string) (bool, error)
	// Mark records that messageID was handled.
	Mark(ctx context.Context, messageID string) error
}

// Defaults of NewMemoryDeduper.
const (
	// DefaultDedupSize is how many MessageIds a MemoryDeduper keeps.
	DefaultDedupSize = 10000
	// DefaultDedupTTL is how long a MemoryDeduper keeps a MessageId.
	DefaultDedupTTL = 24 * time.Hour
)

// MemoryDeduper is an in-process Deduper: the most recent MessageIds, each
// kept for a limited time. It is the Handler's default.
type MemoryDeduper struct {
	size int
	ttl  time.Duration
	now  func() time.Time

	mu    sync.Mutex
	order *list.List               // of dedupEntry, most recently marked first
	items map[string]*list.Element // id → element
}

type dedupEntry struct {
	id     string
	expiry time.Time
}

// NewMemoryDeduper returns a MemoryDeduper keeping at most size MessageIds
// (0 means DefaultDedupSize) for ttl each (0 means DefaultDedupTTL).
func NewMemoryDeduper(size int, ttl time.Duration) *MemoryDeduper {
	return &MemoryDeduper{
		size:  max(orDefault(size, DefaultDedupSize), 1),
		ttl:   orDefault(ttl, DefaultDedupTTL),
		now:   time.Now,
		order: list.New(),
		items: map[string]*list.Element{},
	}
}

// Seen reports whether messageID was marked within the TTL and not evicted.
func (d *MemoryDeduper) Seen(_ context.Context, messageID string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	el, ok := d.items[messageID]
	if !ok {
		return false, nil
	}
	if d.now().After(el.Value.(dedupEntry).expiry) {
		d.order.Remove(el)
		delete(d.items, messageID)
		return false, nil
	}
	return true, nil
}

// Mark records messageID, evicting the oldest MessageId when full.
func (d *MemoryDeduper) Mark(_ context.Context, messageID string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := dedupEntry{id: messageID, expiry: d.now().Add(d.ttl)}
	if el, ok := d.items[messageID]; ok {
		el.Value = e
		d.order.MoveToFront(el)
		return nil
	}
	d.items[messageID] = d.order.PushFront(e)
	for d.order.Len() > d.size {
		oldest := d.order.Back()
		d.order.Remove(oldest)
		delete(d.items, oldest.Value.(dedupEntry).id)
	}
	return nil
}
