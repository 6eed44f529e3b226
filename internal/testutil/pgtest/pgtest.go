// Package pgtest gives tests the PostgreSQL server they run against, named
// by IVVY_NOTIFY_TEST_DATABASE_URL. Without it the tests skip (fail under
// CI=true), and the first skip of a `go test` run says so, once, where the
// person running it sees it.
package pgtest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// URLEnv names the PostgreSQL server the tests run against.
const URLEnv = "IVVY_NOTIFY_TEST_DATABASE_URL"

// Notice is what a run without URLEnv prints, once.
const Notice = "ivvy-notify: PostgreSQL tests skipped: " + URLEnv + " is not set. To run them:\n" +
	"  " + URLEnv + "='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./...\n"

// URL returns the test server's URL. Without one the test is skipped,
// except under CI=true, where a missing database is a failure.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(URLEnv)
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(URLEnv + " is not set but CI=true: the PostgreSQL tests must run in CI")
		}
		noticeOnce()
		t.Skip(URLEnv + " is not set; skipping PostgreSQL tests")
	}
	return url
}

var noticeOnce = sync.OnceFunc(func() {
	w, done := noticeWriter()
	defer done()
	_, _ = io.WriteString(w, Notice)
})

// noticeWriter is where the notice goes. go test shows nothing of a
// passing package's output unless run with -v, so on Linux the notice is
// written to the standard error of the test binary's parent, the go
// command, once per go command: the first test binary to create a marker
// file named after the parent's PID and start time writes it. That
// standard error must be a terminal or a pipe (CI logs are pipes); when it
// is a regular file the notice goes to the controlling terminal, if any.
// On other systems, or when that fails, it goes to the binary's own
// standard error, shown with -v.
func noticeWriter() (io.Writer, func()) {
	ppid := os.Getppid()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", ppid))
	if err != nil {
		return os.Stderr, func() {}
	}
	marker := filepath.Join(os.TempDir(), "ivvy-notify-pgtest-"+strconv.Itoa(ppid)+"-"+startTime(string(stat)))
	m, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return io.Discard, func() {} // another package of this run printed it
	}
	m.Close()
	fd := fmt.Sprintf("/proc/%d/fd/2", ppid)
	if st, err := os.Stat(fd); err != nil || st.Mode().IsRegular() {
		// A file opened anew has its own offset: the go command's next
		// writes would overwrite the notice. Tell the terminal, if any.
		fd = "/dev/tty"
	}
	parent, err := os.OpenFile(fd, os.O_WRONLY, 0)
	if err != nil {
		return os.Stderr, func() {}
	}
	return parent, func() { parent.Close() }
}

// startTime is field 22 of /proc/PID/stat: the process's start time, which
// tells a reused PID apart.
func startTime(stat string) string {
	if i := strings.LastIndexByte(stat, ')'); i >= 0 {
		if f := strings.Fields(stat[i+1:]); len(f) > 19 {
			return f[19]
		}
	}
	return "0"
}
