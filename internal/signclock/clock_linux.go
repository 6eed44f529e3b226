package signclock

import "golang.org/x/sys/unix"

// threadNanos reads the CPU clock of the calling OS thread.
func threadNanos() (int64, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return ts.Nano(), true
}
