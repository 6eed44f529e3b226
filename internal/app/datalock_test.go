package app

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

func requireFlock(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no flock on " + runtime.GOOS)
	}
}

func TestDataLockIsExclusive(t *testing.T) {
	requireFlock(t)
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LockDataDir(dir, ServeCommand)
	require.NoError(t, err)
	info, err := os.Stat(filepath.Join(dir, LockFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	_, err = LockDataDir(dir, "key rotate")
	var le *LockedError
	require.ErrorAs(t, err, &le)
	require.Equal(t, os.Getpid(), le.Holder.PID)
	require.Equal(t, ServeCommand, le.Holder.Command)
	abs, _ := filepath.Abs(dir)
	require.Equal(t, fmt.Sprintf("data directory %s is in use by ivvy-notify serve (PID %d)", abs, os.Getpid()), err.Error())
	require.False(t, le.Holder.Serving(), "no admin URL yet")

	require.NoError(t, first.ServerUp("http://0.0.0.0:8081", "from $IVVY_NOTIFY_ADMIN_TOKEN"))
	_, err = LockDataDir(dir, "key rotate")
	require.ErrorAs(t, err, &le)
	require.True(t, le.Holder.Serving())
	require.Equal(t, "http://127.0.0.1:8081", le.Holder.AdminURL, "a wildcard listener is reached on loopback")
	require.Contains(t, err.Error(), fmt.Sprintf("ivvy-notify serve (PID %d, admin API http://127.0.0.1:8081)", os.Getpid()))

	require.NoError(t, first.Close())
	require.NoError(t, first.Close(), "Close twice is harmless")
	require.Nil(t, ReadLockHolder(dir), "a released lock leaves no holder record")
	second, err := LockDataDir(dir, "account create")
	require.NoError(t, err, "the lock is free once closed")
	require.Equal(t, "account create", ReadLockHolder(dir).Command)
	require.NoError(t, second.Close())
}

func TestOpenCoreRefusesLockedDataDir(t *testing.T) {
	requireFlock(t)
	dir := filepath.Join(t.TempDir(), "data")
	l, err := LockDataDir(dir, ServeCommand)
	require.NoError(t, err)
	defer l.Close()
	cfg := testCoreConfig(dir)
	_, err = OpenCore(t.Context(), cfg, nil)
	var le *LockedError
	require.ErrorAs(t, err, &le)
	require.NoFileExists(t, filepath.Join(dir, "ivvy-notify.db"), "the store is not opened behind the holder's back")
	start := time.Now()
	_, err = NewServer(t.Context(), cfg, nil)
	require.ErrorContains(t, err, fmt.Sprintf("is in use by ivvy-notify serve (PID %d): stop it, or give this server another --data-dir", os.Getpid()))
	require.Less(t, time.Since(start), time.Second, "another server is not waited for")
}

// TestServerWaitsForCommand: a server starting while a command such as
// account create holds the data directory starts once it is done.
func TestServerWaitsForCommand(t *testing.T) {
	requireFlock(t)
	dir := filepath.Join(t.TempDir(), "data")
	l, err := LockDataDir(dir, "account create")
	require.NoError(t, err)
	time.AfterFunc(300*time.Millisecond, func() { l.Close() })
	srv, err := NewServer(t.Context(), testCoreConfig(dir), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.True(t, ReadLockHolder(dir).Serving())
	srv.closeListeners()
	require.NoError(t, srv.Core.Close())
}

// TestDataLockFreedWhenHolderDies: a process SIGKILLed while holding the
// lock leaves it free (the record it wrote stays, but names a dead PID).
func TestDataLockFreedWhenHolderDies(t *testing.T) {
	requireFlock(t)
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDataLockHelperProcess$")
	cmd.Env = append(os.Environ(), "IVVY_NOTIFY_TEST_LOCK_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)

	_, err = LockDataDir(dir, "key create")
	var le *LockedError
	require.ErrorAs(t, err, &le)
	require.Equal(t, cmd.Process.Pid, le.Holder.PID)

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	l, err := LockDataDir(dir, "key create")
	require.NoError(t, err, "the dead holder's lock is released by the kernel")
	require.NoError(t, l.Close())
}

// TestDataLockHelperProcess holds the lock of $IVVY_NOTIFY_TEST_LOCK_DIR
// until killed; it runs only as TestDataLockFreedWhenHolderDies's child.
func TestDataLockHelperProcess(t *testing.T) {
	dir := os.Getenv("IVVY_NOTIFY_TEST_LOCK_DIR")
	if dir == "" {
		t.Skip("helper process only")
	}
	if _, err := LockDataDir(dir, ServeCommand); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestLockOrFindServer(t *testing.T) {
	requireFlock(t)
	dir := filepath.Join(t.TempDir(), "data")
	l, h, err := LockOrFindServer(dir, "account list", time.Second)
	require.NoError(t, err)
	require.Nil(t, h)

	start := time.Now()
	_, _, err = LockOrFindServer(dir, "account list", 200*time.Millisecond)
	var le *LockedError
	require.ErrorAs(t, err, &le, "another command's lock is waited for, then reported")
	require.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)

	go func() {
		time.Sleep(100 * time.Millisecond)
		l.Close()
	}()
	l2, _, err := LockOrFindServer(dir, "account list", 5*time.Second)
	require.NoError(t, err, "taken once the other command has finished")
	require.NoError(t, l2.Close())
	l2, err = LockDataDir(dir, ServeCommand)
	require.NoError(t, err)
	require.NoError(t, l2.ServerUp("http://127.0.0.1:1234", "x"))
	_, h, err = LockOrFindServer(dir, "account list", time.Second)
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:1234", h.AdminURL, "a serving holder is found at once")
	require.NoError(t, l2.Close())
}

func TestParseLockHolder(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want *LockHolder
	}{
		{"", nil},
		{"{", nil},
		{`{"pid":0}`, nil},
		{`{"pid":-3}`, nil},
		{`[1]`, nil},
		{`{"pid":12,"command":"serve","adminUrl":"http://127.0.0.1:8081","since":"2026-12-04T21:00:00Z"}` + "\n",
			&LockHolder{PID: 12, Command: "serve", AdminURL: "http://127.0.0.1:8081", Since: "2026-12-04T21:00:00Z"}},
		{`{"pid":7,"extra":true}`, &LockHolder{PID: 7}},
	} {
		require.Equal(t, tc.want, parseLockHolder([]byte(tc.in)), tc.in)
	}
}

func FuzzParseLockHolder(f *testing.F) {
	f.Add([]byte(`{"pid":12,"command":"serve","adminUrl":"http://127.0.0.1:8081"}`))
	f.Add([]byte(`{"pid":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h := parseLockHolder(b)
		if h != nil && h.PID <= 0 {
			t.Fatalf("holder without a PID: %+v", h)
		}
		_ = h.describe()
		_ = (&LockedError{Dir: "/d", Holder: h}).Error()
	})
}

func TestReachableURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://0.0.0.0:8081":     "http://127.0.0.1:8081",
		"http://[::]:8081":        "http://[::1]:8081",
		"http://127.0.0.1:8081":   "http://127.0.0.1:8081",
		"http://10.1.2.3:8081":    "http://10.1.2.3:8081",
		"http://admin.local:8081": "http://admin.local:8081",
		"https://0.0.0.0:1":       "https://0.0.0.0:1",
		"http://":                 "http://",
	} {
		require.Equal(t, want, reachableURL(in), in)
	}
}

// testCoreConfig is the default configuration on dir, listening on free
// loopback ports.
func testCoreConfig(dir string) config.Config {
	cfg := config.Default()
	cfg.DataDir, cfg.Listen, cfg.AdminListen = dir, "127.0.0.1:0", "127.0.0.1:0"
	return cfg
}
