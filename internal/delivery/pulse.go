package delivery

import (
	"context"
	"sync/atomic"
	"time"
)

// Pulse defaults.
const (
	// DefaultIdlePollInterval is River's own poll of the queue when the
	// runner has a Wake: the backstop while nothing is happening.
	DefaultIdlePollInterval = time.Second
	// DefaultBusyWindow is how long after the last job worked the runner
	// keeps waking the producer every FetchPollInterval. It must cover a
	// snooze plus the time River's completer takes to record it (up to
	// 250 ms): snoozes by the gate last well under a second, the first
	// retries of the default policy come within seconds, and a job due
	// later than the window is found by the idle poll, at most
	// DefaultIdlePollInterval late.
	DefaultBusyWindow = 10 * time.Second
)

// pulse wakes the queue's producer every interval while the queue is
// busy: while a job was worked within the last window. A job snoozed or
// retried comes due without any insert to announce it, so while deliveries
// are being worked the producer must look often; an idle server then costs
// only River's slow poll (on SQLite a poll is a write transaction: at
// 100 a second it kept 5 % of a core busy doing nothing).
type pulse struct {
	wake             func()
	interval, window time.Duration
	now              func() time.Time
	// last is when a job was last worked, in Unix nanoseconds.
	last atomic.Int64
	// kick ends an idle pulse's wait.
	kick chan struct{}
}

// newPulse returns a pulse calling wake every interval for window after
// each job worked, by the clock now.
func newPulse(wake func(), interval, window time.Duration, now func() time.Time) *pulse {
	return &pulse{wake: wake, interval: interval, window: window, now: now, kick: make(chan struct{}, 1)}
}

// worked records that a job is being worked now.
func (p *pulse) worked() {
	p.last.Store(p.now().UnixNano())
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// busy reports whether a job was worked within the window.
func (p *pulse) busy() bool {
	return p.now().UnixNano()-p.last.Load() < int64(p.window)
}

// run wakes the producer every interval while busy, until ctx ends.
// While idle it waits for a job without ticking: a ticker firing a hundred
// times a second costs a virtual machine's CPU even when it does nothing.
func (p *pulse) run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		if !p.busy() {
			t.Stop()
			select {
			case <-ctx.Done():
				return
			case <-p.kick:
			}
			t.Reset(p.interval)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if p.busy() {
				p.wake()
			}
		}
	}
}
