package bench

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/signclock"
)

// Ceiling is the signing throughput of this machine, measured in the run:
// every event costs two RSA-2048 signatures (the account's and SNS's), so
// no pipeline can deliver more than half as many events per second as the
// cores can sign.
type Ceiling struct {
	// Workers is how many goroutines signed at once: one per core the
	// process may use (app.Cores; GOMAXPROCS is one more, see
	// app.AddSpareProc).
	Workers int `json:"workers"`
	// Seconds is how long they signed.
	Seconds float64 `json:"seconds"`
	// Signatures is how many signatures they made.
	Signatures int64 `json:"signatures"`
	// SignaturesPerSec is Signatures / Seconds.
	SignaturesPerSec float64 `json:"signaturesPerSec"`
	// CPUPerSignatureMs is the CPU time of one signature: Workers ×
	// Seconds / Signatures, in milliseconds.
	CPUPerSignatureMs float64 `json:"cpuPerSignatureMs"`
	// EventsPerSec is SignaturesPerSec / 2: the most events per second
	// any implementation signing both messages with Go's crypto/rsa could
	// publish and deliver on these cores.
	EventsPerSec float64 `json:"eventsPerSec"`
	// OtherCPUCores is how many cores other processes kept busy while it
	// was measured (from /proc/stat; -1 when unknown): above a few tenths,
	// the machine was not quiet and the ceiling is low.
	OtherCPUCores float64 `json:"otherCPUCores"`
	// StolenCPUCores is how many cores the hypervisor ran something else
	// on meanwhile (-1 when unknown; see Result.StolenCPUCores).
	StolenCPUCores float64 `json:"stolenCPUCores"`
	// ThreadCPUPerSignatureMs is the mean CPU time of a signature on its
	// own thread's clock (a sample, see signclock), to compare with the
	// load's (Result.SigningPrice); 0 when unknown.
	ThreadCPUPerSignatureMs float64 `json:"threadCPUPerSignatureMs,omitempty"`
}

// priceSampleEvery is how many signatures signclock lets pass for each
// it times, in the ceilings and in the load.
const priceSampleEvery = 4

// MeasureCeiling signs for about d with a goroutine per core, each with
// its own freshly generated RSA-2048 key: RSASSA-PKCS1-v1_5 over SHA-1 of
// a message the size of a Notification's string to sign, as both of an
// event's signatures are made (SNS SignatureVersion 1).
func MeasureCeiling(ctx context.Context, d time.Duration) (*Ceiling, error) {
	workers := app.Cores()
	keys := make([]*rsa.PrivateKey, workers)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("bench: ceiling: %w", err)
		}
		keys[i] = k
	}
	msg := []byte(strings.Repeat("Message\n{\"TxnId\":\"0123456789abcdef0123456789abcdef\",\"Body\":\"…\"}\n", 12))
	// Warm up: one signature each, outside the measurement.
	for _, k := range keys {
		h := sha1.Sum(msg)
		if _, err := signclock.SignPKCS1v15(k, crypto.SHA1, h[:]); err != nil {
			return nil, fmt.Errorf("bench: ceiling: %w", err)
		}
	}
	var count atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	var firstErr atomic.Value
	stat0, ru0 := readCPUStat(), getRusage()
	meter := signclock.Start(priceSampleEvery)
	start := time.Now()
	for _, k := range keys {
		wg.Go(func() {
			for !stop.Load() && ctx.Err() == nil {
				h := sha1.Sum(msg)
				if _, err := signclock.SignPKCS1v15(k, crypto.SHA1, h[:]); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				count.Add(1)
			}
		})
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	stop.Store(true)
	wg.Wait()
	wall := time.Since(start)
	price := meter.Stop()
	elapsed := wall.Seconds()
	stat1 := readCPUStat()
	other := otherCores(stat0, stat1, getRusage().cpu()-ru0.cpu(), wall)
	if err, _ := firstErr.Load().(error); err != nil {
		return nil, fmt.Errorf("bench: ceiling: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := count.Load()
	c := &Ceiling{Workers: workers, Seconds: elapsed, Signatures: n, OtherCPUCores: other,
		StolenCPUCores: stolenCores(stat0, stat1, wall), ThreadCPUPerSignatureMs: ms(price.CPUPerSignature)}
	if n > 0 {
		c.SignaturesPerSec = float64(n) / elapsed
		c.CPUPerSignatureMs = float64(workers) * elapsed / float64(n) * 1e3
		c.EventsPerSec = c.SignaturesPerSec / 2
	}
	return c, nil
}
