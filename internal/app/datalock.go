package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// LockFile is the data directory's lock file (mode 0600). The process that
// holds its lock (flock) is the only one that writes the data directory:
// one serve, or one command such as `account create` while no serve runs.
// Its content says who holds it (LockHolder), for the others.
const LockFile = "serve.lock"

// ServeCommand is the LockHolder.Command of a running server.
const ServeCommand = "serve"

// errLockBusy is what lockFile returns when another open file holds the lock.
var errLockBusy = errors.New("locked")

// LockHolder is what the lock file says about the process holding it.
type LockHolder struct {
	// PID is the holder's process id.
	PID int `json:"pid"`
	// Command is the holder's ivvy-notify command: "serve", "key rotate"…;
	// empty when not known.
	Command string `json:"command,omitempty"`
	// AdminURL is a server's admin API base URL, set once its listeners
	// are bound.
	AdminURL string `json:"adminUrl,omitempty"`
	// AdminTokenSource says where the server's admin token comes from
	// (never the token): "from $IVVY_NOTIFY_ADMIN_TOKEN" or the file.
	AdminTokenSource string `json:"adminTokenSource,omitempty"`
	// Since is when the lock was taken (RFC 3339, UTC).
	Since string `json:"since"`
}

// Serving reports whether the holder is a server whose admin API is up.
func (h *LockHolder) Serving() bool { return h != nil && h.Command == ServeCommand && h.AdminURL != "" }

// describe names the holder for messages: "ivvy-notify serve (PID 1234,
// admin API http://127.0.0.1:8081)".
func (h *LockHolder) describe() string {
	if h == nil || h.PID == 0 {
		return "another ivvy-notify process"
	}
	name := "another ivvy-notify process"
	if h.Command != "" {
		name = "ivvy-notify " + h.Command
	}
	if h.AdminURL != "" {
		return fmt.Sprintf("%s (PID %d, admin API %s)", name, h.PID, h.AdminURL)
	}
	return fmt.Sprintf("%s (PID %d)", name, h.PID)
}

// LockedError reports a data directory locked by another process.
type LockedError struct {
	// Dir is the data directory, absolute.
	Dir string
	// Holder is what its lock file says, nil if it says nothing readable.
	Holder *LockHolder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("data directory %s is in use by %s", e.Dir, e.Holder.describe())
}

// DataLock is this process's exclusive lock on a data directory. The
// operating system releases it when the process exits, however it exits.
type DataLock struct {
	mu     sync.Mutex
	f      *os.File
	holder LockHolder
}

// LockDataDir creates the data directory (mode 0700) if needed and locks
// it for command, without waiting: if another process holds the lock, it
// returns a *LockedError naming that process.
func LockDataDir(dir, command string) (*DataLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLockBusy) {
			return nil, &LockedError{Dir: absDir(dir), Holder: readHolderSoon(dir)}
		}
		return nil, fmt.Errorf("data dir lock %s: %w", path, err)
	}
	l := &DataLock{f: f, holder: LockHolder{PID: os.Getpid(), Command: command, Since: time.Now().UTC().Format(time.RFC3339)}}
	if err := l.write(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// ServerUp records in the lock file that this process serves its admin
// API at adminURL, with the admin token from tokenSource.
func (l *DataLock) ServerUp(adminURL, tokenSource string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.holder.AdminURL, l.holder.AdminTokenSource = reachableURL(adminURL), tokenSource
	return l.write()
}

// write replaces the lock file's content with the holder record.
func (l *DataLock) write() error {
	b, err := json.Marshal(l.holder)
	if err != nil {
		return err
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("data dir lock: %w", err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("data dir lock: %w", err)
	}
	return nil
}

// Close empties the lock file and releases the lock. It may be called
// more than once.
func (l *DataLock) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0) // no stale holder for the next reader
	err := l.f.Close()  // closing the last descriptor releases the flock
	l.f = nil
	return err
}

// ReadLockHolder reads who holds dir's lock, from its lock file; nil if the
// file is missing, empty (nobody, or a holder still writing it) or
// unreadable.
func ReadLockHolder(dir string) *LockHolder {
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil {
		return nil
	}
	return parseLockHolder(b)
}

// readHolderSoon is ReadLockHolder, retried for a moment: a holder that
// has just taken the lock writes its record right after.
func readHolderSoon(dir string) *LockHolder {
	for i := 0; ; i++ {
		if h := ReadLockHolder(dir); h != nil || i == 10 {
			return h
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// parseLockHolder reads a lock file's content; nil unless it is a holder
// record with a PID.
func parseLockHolder(b []byte) *LockHolder {
	var h LockHolder
	if json.Unmarshal(b, &h) != nil || h.PID <= 0 {
		return nil
	}
	return &h
}

// reachableURL turns a listener bound to every address (0.0.0.0, ::) into
// its loopback address, which the commands on this machine can call.
func reachableURL(u string) string {
	const scheme = "http://"
	if len(u) <= len(scheme) || u[:len(scheme)] != scheme {
		return u
	}
	host, port, err := net.SplitHostPort(u[len(scheme):])
	if err != nil {
		return u
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		loop := "127.0.0.1"
		if ip.To4() == nil {
			loop = "::1"
		}
		return scheme + net.JoinHostPort(loop, port)
	}
	return u
}

func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// LockOrFindServer locks dir for command, or finds the server that holds
// it: it returns either this process's lock or the serving holder. A
// holder that is not (yet) serving — another command, or a server still
// starting — is waited for, polling, up to wait; then the *LockedError is
// returned.
func LockOrFindServer(dir, command string, wait time.Duration) (*DataLock, *LockHolder, error) {
	l, err := lockWaiting(dir, command, wait, (*LockHolder).Serving)
	var le *LockedError
	if errors.As(err, &le) && le.Holder.Serving() {
		return nil, le.Holder, nil
	}
	return l, nil, err
}

// lockWaiting is LockDataDir, tried again every 50 ms for up to wait while
// another process holds the lock, unless stop says that its holder will
// not let go soon.
func lockWaiting(dir, command string, wait time.Duration, stop func(*LockHolder) bool) (*DataLock, error) {
	deadline := time.Now().Add(wait)
	for {
		l, err := LockDataDir(dir, command)
		var le *LockedError
		if !errors.As(err, &le) || stop(le.Holder) || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// isServer reports whether the holder is a server, serving or starting.
func isServer(h *LockHolder) bool { return h != nil && h.Command == ServeCommand }
