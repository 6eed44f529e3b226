//go:build !unix

package app

import "os"

// lockFile is a no-op where flock does not exist: the lock file is still
// written, so commands find a running server's admin API through it, but
// two servers on one data directory are not prevented.
func lockFile(*os.File) error { return nil }
