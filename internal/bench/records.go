package bench

import (
	"sync"
	"sync/atomic"
)

// Event indexes are split into segments of 1<<segBits records, allocated
// as publishing reaches them, so a run by duration needs no size up front.
const (
	segBits = 16
	segSize = 1 << segBits
	maxSegs = 1 << 12 // 268 million events
)

// record is what the bench knows about one event. start and ack are
// written by the publisher that sent the event and read only after every
// publisher has finished; arrival and count are written by the receiver.
// Times are nanoseconds since the run's base time.
type record struct {
	start   int64 // the publish request carrying the event began
	due     int64 // when the schedule wanted it sent (--rate), else 0
	ack     int64 // the 202 was read; 0 = not acknowledged
	arrival atomic.Int64
	count   atomic.Int32
}

type segment [segSize]record

// records holds every event's record by index: lock-free to read, which the
// receiver does once per Notification.
type records struct {
	mu   sync.Mutex
	segs [maxSegs]atomic.Pointer[segment]
}

// ensure allocates the segments up to index i.
func (r *records) ensure(i int) bool {
	s := i >> segBits
	if s >= maxSegs {
		return false
	}
	if r.segs[s].Load() != nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := 0; k <= s; k++ {
		if r.segs[k].Load() == nil {
			r.segs[k].Store(new(segment))
		}
	}
	return true
}

// get returns event i's record, or nil if it was never allocated.
func (r *records) get(i int) *record {
	if i < 0 {
		return nil
	}
	s := i >> segBits
	if s >= maxSegs {
		return nil
	}
	seg := r.segs[s].Load()
	if seg == nil {
		return nil
	}
	return &seg[i&(segSize-1)]
}
