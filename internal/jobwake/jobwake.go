// Package jobwake tells the job queue (River) at once that jobs were
// committed, inside one process, where the database has no LISTEN/NOTIFY.
//
// River's SQLite driver emulates notifications with an outbox table that
// its listener polls every 50 ms, and an inserting client writes to it at
// most once per fetch cooldown; so on SQLite a new job in practice waits
// for the producer's next poll of the jobs table. With SQLite the server is
// the only process writing the database, so it knows when jobs commit: the
// store calls Listener.Notify after such a commit, and the Listener hands
// River an insert notification, which makes the queue's producer fetch at
// once (after its fetch cooldown). Polling stays as River's backstop.
//
// Where the database has notifications of its own (PostgreSQL), Merge
// adds a Listener to River's: a process can then still wake its own
// producer at once, e.g. while its deliveries are being retried.
package jobwake

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/riverqueue/river/riverdriver"
)

// insertTopic is River's topic of job insert notifications (its notifier
// package is internal). Its payload is {"queue": NAME}.
const insertTopic = "river_insert"

// Listener is an in-process riverdriver.Listener: Notify queues an insert
// notification that WaitForNotification returns. Notifications of a queue
// that are not yet taken coalesce into one: each only asks for a fetch.
type Listener struct {
	mu        sync.Mutex
	connected bool
	listening map[string]bool
	pending   []string // queues notified and not yet taken, each once
	signal    chan struct{}
}

var _ riverdriver.Listener = (*Listener)(nil)

// NewListener returns a Listener with nothing pending.
func NewListener() *Listener {
	return &Listener{listening: map[string]bool{}, signal: make(chan struct{}, 1)}
}

// Notify tells River's producer of queue that jobs were committed to it.
// It never blocks. Nothing is kept while River is not listening: its
// producer fetches when it starts anyway.
func (l *Listener) Notify(queue string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected || !l.listening[insertTopic] {
		return
	}
	for _, q := range l.pending {
		if q == queue {
			return
		}
	}
	l.pending = append(l.pending, queue)
	select {
	case l.signal <- struct{}{}:
	default:
	}
}

// Connect implements riverdriver.Listener.
func (l *Listener) Connect(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.connected {
		return errors.New("jobwake: listener already connected")
	}
	l.connected = true
	return nil
}

// Close implements riverdriver.Listener; what is pending is dropped.
func (l *Listener) Close(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.connected = false
	l.listening = map[string]bool{}
	l.pending = nil
	return nil
}

// Listen implements riverdriver.Listener.
func (l *Listener) Listen(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errors.New("jobwake: listener is not connected")
	}
	l.listening[topic] = true
	return nil
}

// Unlisten implements riverdriver.Listener.
func (l *Listener) Unlisten(_ context.Context, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.connected {
		return errors.New("jobwake: listener is not connected")
	}
	delete(l.listening, topic)
	return nil
}

// Ping implements riverdriver.Listener: there is no connection to lose.
func (l *Listener) Ping(context.Context) error { return nil }

// Schema implements riverdriver.Listener: SQLite has no schemas.
func (l *Listener) Schema() string { return "" }

// SetAfterConnectExec implements riverdriver.Listener; there is nothing to
// execute.
func (l *Listener) SetAfterConnectExec(string) {}

// WaitForNotification implements riverdriver.Listener: it returns the
// oldest pending insert notification, waiting for one until ctx ends.
func (l *Listener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		if n := l.take(); n != nil {
			return n, nil
		}
		select {
		case <-l.signal:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// take removes and returns the oldest pending notification, or nil.
func (l *Listener) take() *riverdriver.Notification {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) == 0 {
		return nil
	}
	queue := l.pending[0]
	l.pending = l.pending[1:]
	if len(l.pending) > 0 {
		select {
		case l.signal <- struct{}{}:
		default:
		}
	}
	return &riverdriver.Notification{Topic: insertTopic, Payload: `{"queue":` + strconv.Quote(queue) + `}`}
}

// Driver wraps a River driver so that River takes its notifications from
// l (nil: a Listener nobody notifies) and never writes any: an inserting
// client leaves the notifying to the store, which knows when its
// transaction commits, and River's own notifications (queue pauses, job
// cancellations, leadership) reach the producers and the elector through
// their periodic polls. Only for a database one process writes.
func Driver[TTx any](d riverdriver.Driver[TTx], l *Listener) riverdriver.Driver[TTx] {
	if l == nil {
		l = NewListener()
	}
	return &driver[TTx]{Driver: d, listener: l}
}

// driver is a riverdriver.Driver whose listener is in-process.
type driver[TTx any] struct {
	riverdriver.Driver[TTx]
	listener *Listener
}

// GetListener returns the in-process listener.
func (d *driver[TTx]) GetListener(*riverdriver.GetListenenerParams) riverdriver.Listener {
	return d.listener
}

// SupportsListener reports true: notifications come from the listener.
func (d *driver[TTx]) SupportsListener() bool { return true }

// SupportsListenNotify reports false, so River writes no notifications.
func (d *driver[TTx]) SupportsListenNotify() bool { return false }
