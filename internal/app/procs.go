package app

import (
	"os"
	"runtime"
)

// cores is the runtime's own GOMAXPROCS, read before AddSpareProc changes
// it: the CPUs this process may use (it follows CPU affinity and cgroup
// limits), or the GOMAXPROCS environment variable.
var cores = runtime.GOMAXPROCS(0)

// Cores returns the CPUs this process may use (see cores).
func Cores() int { return cores }

// AddSpareProc lets the Go scheduler run one goroutine more than there are
// cores, unless the GOMAXPROCS environment variable chose, and returns the
// GOMAXPROCS in force.
//
// Why: a publish spends most of its CPU in RSA signatures of a millisecond
// or more each, which the Go scheduler does not interrupt for less than
// 10 ms. With one P per core, a goroutine that becomes runnable while every
// P signs — a commit that finished, a receiver's answer, a new request —
// waits for a signature to end. A spare P runs it at once, and the kernel,
// which time-slices threads far more finely, shares the cores. Measured
// with `ivvy-notify bench` on 2 cores (docs/benchmarks.md): p99 latency at
// half the signing ceiling 24–30 ms in five runs against 24–92 ms, and 5–7 %
// more events delivered at full speed.
func AddSpareProc() int {
	if os.Getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	runtime.GOMAXPROCS(cores + 1)
	return cores + 1
}
