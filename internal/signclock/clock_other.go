//go:build !linux

package signclock

// threadNanos has no thread clock to read outside Linux.
func threadNanos() (int64, bool) { return 0, false }
