// Package signclock measures, when asked, how much CPU time the RSA
// signatures of the running process take. The bench uses it to tell a
// machine that got slower during a run from a pipeline that spent more
// than signing: it compares what a signature cost while the load ran
// with what it cost while the signing ceiling was measured.
//
// Nothing is measured until Start. Then one signature in every few is
// timed with the CPU clock of its own OS thread (the goroutine is locked
// to the thread while it signs), so the time counts only that signature's
// work: not other goroutines', not time the thread waited for a core.
// Where no thread clock is available (outside Linux) nothing is timed.
package signclock

import (
	"crypto"
	"crypto/rsa"
	"runtime"
	"sync/atomic"
	"time"
)

// Meter accumulates the CPU times of the signatures it samples.
type Meter struct {
	every   int64
	calls   atomic.Int64
	sampled atomic.Int64
	nanos   atomic.Int64
}

// current is the meter signatures report to; nil when none.
var current atomic.Pointer[Meter]

// Start makes a new meter, timing one signature in every, the one that
// signatures report to until Stop.
func Start(every int) *Meter {
	m := &Meter{every: int64(max(every, 1))}
	current.Store(m)
	return m
}

// Reading is what a meter measured.
type Reading struct {
	// Signatures is how many signatures began while the meter ran.
	Signatures int64
	// Sampled is how many of them were timed.
	Sampled int64
	// CPUPerSignature is the mean CPU time of those timed; 0 if none.
	CPUPerSignature time.Duration
}

// Stop ends m (signatures no longer report to it) and returns its
// reading. Signatures being timed when it stops may still add to m.
func (m *Meter) Stop() Reading {
	current.CompareAndSwap(m, nil)
	return m.Read()
}

// Read returns what m has measured so far.
func (m *Meter) Read() Reading {
	r := Reading{Signatures: m.calls.Load(), Sampled: m.sampled.Load()}
	if r.Sampled > 0 {
		r.CPUPerSignature = time.Duration(m.nanos.Load() / r.Sampled)
	}
	return r
}

// SignPKCS1v15 is rsa.SignPKCS1v15 (with no random source: PKCS #1 v1.5
// is deterministic), timed when a meter is running. Every signature of
// the process goes through it.
func SignPKCS1v15(key *rsa.PrivateKey, hash crypto.Hash, hashed []byte) ([]byte, error) {
	span := Begin()
	defer span.End()
	return rsa.SignPKCS1v15(nil, key, hash, hashed)
}

// Span is one signature being timed; the zero Span times nothing.
type Span struct {
	m  *Meter
	t0 int64
}

// Begin is called right before a signature; End, on the Span it returns,
// right after. With no meter running it costs one atomic load.
func Begin() Span {
	m := current.Load()
	if m == nil {
		return Span{}
	}
	if m.calls.Add(1)%m.every != 0 {
		return Span{}
	}
	runtime.LockOSThread()
	t0, ok := threadNanos()
	if !ok {
		runtime.UnlockOSThread()
		return Span{}
	}
	return Span{m: m, t0: t0}
}

// End ends the signature begun with s.
func (s Span) End() {
	if s.m == nil {
		return
	}
	t1, ok := threadNanos()
	runtime.UnlockOSThread()
	if ok && t1 >= s.t0 {
		s.m.nanos.Add(t1 - s.t0)
		s.m.sampled.Add(1)
	}
}
