package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// childToken is the admin token the child servers are started with.
const childToken = "child-admin-token-0123456789abcdef"

// childBinary builds ./cmd/ivvy-notify into a temporary directory. It is
// built without -race even when the tests are: the child is the system
// under load, and under the race detector its SQLite and RSA code run
// tens of times slower (a batch publish took over a minute), which would
// measure the detector, not the server. Go's build cache makes every
// build after the first a link only.
func childBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the real binary under load; skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "ivvy-notify")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ivvy-notify/ivvy-notify/cmd/ivvy-notify").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// childServer is the real binary running "serve" as a child process.
type childServer struct {
	t         *testing.T
	cmd       *exec.Cmd
	publicURL string
	adminURL  string
	stderr    *childBuffer
	exited    chan struct{}
}

// childBuffer is a bytes.Buffer safe for concurrent use.
type childBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *childBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// tail returns the last n bytes written.
func (b *childBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	return s[max(0, len(s)-n):]
}

// childStart runs bin serve on dataDir with loopback listeners on free
// ports and private endpoints allowed, plus args, and reads its banner.
// The child is killed when the test ends; its stderr is logged if the test
// failed.
func childStart(t *testing.T, bin, dataDir string, args ...string) *childServer {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0",
		"--admin-listen", "127.0.0.1:0", "--allow-private-endpoints"}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IVVY_NOTIFY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "IVVY_NOTIFY_ADMIN_TOKEN="+childToken)
	childOrphanGuard(cmd)
	stdout := &childBuffer{}
	c := &childServer{t: t, cmd: cmd, stderr: &childBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = stdout, c.stderr
	require.NoError(t, cmd.Start())
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			t.Logf("child %d stderr (tail):\n%s", cmd.Process.Pid, c.stderr.tail(16<<10))
		}
	})
	for deadline := time.Now().Add(30 * time.Second); c.adminURL == ""; time.Sleep(10 * time.Millisecond) {
		select {
		case <-c.exited:
			t.Fatalf("ivvy-notify serve exited before printing its banner: %s", c.stderr.tail(4<<10))
		default:
		}
		require.True(t, time.Now().Before(deadline), "no banner from ivvy-notify serve after 30s: %s", c.stderr.tail(4<<10))
		c.publicURL, c.adminURL = childBanner(stdout.tail(4 << 10))
	}
	return c
}

// childBanner returns the public and admin base URLs the banner announces
// ("  iVvy API (public):  http://…/api/1.0/", "  admin API:  http://…/v1/"),
// or "" until both lines are complete.
func childBanner(out string) (public, admin string) {
	for line := range strings.Lines(out) {
		if !strings.HasSuffix(line, "\n") {
			break
		}
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "iVvy API (public):"); ok {
			public = strings.TrimSuffix(strings.TrimSpace(v), "/api/1.0/")
		}
		if v, ok := strings.CutPrefix(line, "admin API:"); ok {
			admin = strings.TrimSuffix(strings.TrimSpace(v), "/v1/")
		}
	}
	if public == "" || admin == "" {
		return "", ""
	}
	return public, admin
}

// childOrphanGuard asks Linux to SIGKILL the child if the test binary
// dies without running its cleanups (a test timeout panics). The field
// exists on Linux only, hence reflection; elsewhere it is a no-op.
func childOrphanGuard(cmd *exec.Cmd) {
	attr := &syscall.SysProcAttr{}
	if f := reflect.ValueOf(attr).Elem().FieldByName("Pdeathsig"); f.IsValid() && f.CanSet() {
		f.Set(reflect.ValueOf(syscall.SIGKILL))
	}
	cmd.SysProcAttr = attr
}

// kill sends SIGKILL (os.Process.Kill on Unix) and waits for the exit.
func (c *childServer) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// admin calls the child's admin API. It never fails the test, so that it
// can run in goroutines and across a kill; out is decoded on 2xx.
func (c *childServer) admin(method, path, body string, out any) (int, error) {
	req, err := http.NewRequest(method, c.adminURL+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+childToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		err = json.Unmarshal(b, out)
	}
	return resp.StatusCode, err
}

// mustAdmin is admin that fails the test unless the answer is want.
func (c *childServer) mustAdmin(want int, method, path, body string, out any) {
	c.t.Helper()
	code, err := c.admin(method, path, body, out)
	require.NoError(c.t, err)
	require.Equal(c.t, want, code)
}

// subscribe creates an account with an account-level key and subscribes
// url to its companies endpoint through the iVvy API; it returns the
// account id. The receiver at url must confirm.
func (c *childServer) subscribe(url string) string {
	c.t.Helper()
	var acct struct{ ID string }
	c.mustAdmin(201, "POST", "/v1/accounts", `{"name":"Acme"}`, &acct)
	var key createdKey
	c.mustAdmin(201, "POST", "/v1/accounts/"+acct.ID+"/keys", `{}`, &key)
	_, err := ivvyclient.New(c.publicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(),
		ivvyclient.Endpoints{Companies: url})
	require.NoError(c.t, err)
	return acct.ID
}

// pending returns how many deliveries are pending (up to 1000).
func (c *childServer) pending() (int, error) {
	var out struct{ Deliveries []json.RawMessage }
	_, err := c.admin("GET", "/v1/deliveries?status=pending&limit=1000", "", &out)
	return len(out.Deliveries), err
}

// childBatch is the body of a batch publish of CompanyAdded events with
// the given txnIds.
func childBatch(txnIDs []string) string {
	events := make([]string, len(txnIDs))
	for i, id := range txnIDs {
		events[i] = fmt.Sprintf(`{"subject":"CompanyAdded","body":{"data":{"id":%d}},"txnId":%q}`, i+1, id)
	}
	return `{"events":[` + strings.Join(events, ",") + `]}`
}

// crashReceiver confirms subscriptions and counts every Notification's
// TxnId; it answers 200. While stall is set it answers no Notification:
// it counts it in stalled and holds it until the sender gives up.
type crashReceiver struct {
	t         *testing.T
	srv       *httptest.Server
	confirmed atomic.Bool
	stall     atomic.Bool
	stalled   atomic.Int64
	mu        sync.Mutex
	got       map[string]int
	total     int
}

func newCrashReceiver(t *testing.T) *crashReceiver {
	r := &crashReceiver{t: t, got: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *crashReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	m, err := receiver.ParseSNSMessage(body)
	if err != nil {
		r.t.Errorf("crash receiver: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch m.Type {
	case receiver.SNSTypeSubscriptionConfirmation:
		if _, err := httpGet(m.SubscribeURL); err != nil {
			r.t.Errorf("crash receiver: confirm: %v", err)
		}
		r.confirmed.Store(true)
	case receiver.SNSTypeNotification:
		if r.stall.Load() {
			r.stalled.Add(1)
			<-req.Context().Done()
			return
		}
		inner, err := receiver.ParseIvvyMessage([]byte(m.Message))
		if err != nil {
			r.t.Errorf("crash receiver: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got[inner.TxnId]++
		r.total++
		r.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

// missing returns the txnIds not received yet, and the received counts.
func (r *crashReceiver) missing(want []string) (missing []string, unique, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range want {
		if r.got[id] == 0 {
			missing = append(missing, id)
		}
	}
	return missing, len(r.got), r.total
}

// crashDiagnose logs what the server holds for the events that did not
// arrive: pending deliveries through the admin API, and the job queue's
// rows that are not completed, read from the database directly (River's
// own table; diagnostics only). Jobs the killed process had fetched stay
// "running" until River's stuck-job rescuer takes them back, by default
// an hour plus the job timeout after they started.
func crashDiagnose(t *testing.T, c *childServer, dataDir string) {
	var list struct {
		Deliveries []struct {
			ID        int64
			Attempts  int
			CreatedAt string
			LastError string
		}
	}
	if _, err := c.admin("GET", "/v1/deliveries?status=pending&limit=1000", "", &list); err == nil {
		for _, d := range list.Deliveries {
			t.Logf("pending delivery %d: %d attempts, created %s %s", d.ID, d.Attempts, d.CreatedAt, d.LastError)
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "ivvy-notify.db")+"?mode=ro")
	if err != nil {
		return
	}
	defer db.Close()
	rows, err := db.Query(`SELECT state, count(*), min(attempted_at), max(attempted_at) FROM river_job
		WHERE state <> 'completed' GROUP BY state`)
	if err != nil {
		t.Logf("river_job: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		var first, last sql.NullString
		if rows.Scan(&state, &n, &first, &last) == nil {
			t.Logf("river_job: %d %s, attempted_at %s … %s", n, state, first.String, last.String)
		}
	}
}

// Crash test sizes.
const (
	crashEvents = 2000
	crashBatch  = 25
	// crashKillAfter is how many acknowledged events trigger the SIGKILL.
	crashKillAfter = 800
	// crashWait bounds the wait for every event once all are published;
	// a few seconds are enough when nothing is stuck.
	crashWait = 40 * time.Second
)

// crashPublish publishes batches[from:] in order until one fails; it
// returns the index of the first batch not acknowledged (answered 202),
// adding the acknowledged events to acked and those the server already
// had (a txnId published again) to dups.
func crashPublish(c *childServer, acct string, batches [][]string, from int, acked, dups *atomic.Int64) (int, error) {
	for i := from; i < len(batches); i++ {
		var out struct {
			Results []struct {
				TxnID     string
				Duplicate bool
			}
		}
		if _, err := c.admin("POST", "/v1/accounts/"+acct+"/events/batch", childBatch(batches[i]), &out); err != nil {
			return i, err
		}
		if len(out.Results) != len(batches[i]) {
			return i, fmt.Errorf("batch %d: %d results for %d events", i, len(out.Results), len(batches[i]))
		}
		for j, r := range out.Results {
			if r.TxnID != batches[i][j] {
				return i, fmt.Errorf("batch %d: txnId %s acknowledged as %s", i, batches[i][j], r.TxnID)
			}
			if r.Duplicate {
				dups.Add(1)
			}
		}
		acked.Add(int64(len(batches[i])))
	}
	return len(batches), nil
}

// crashStart starts the real binary on a new data directory with one
// account whose companies endpoint is subscribed, and confirmed, to a new
// crashReceiver.
func crashStart(t *testing.T) (bin, dataDir string, rcv *crashReceiver, c *childServer, acct string) {
	bin = childBinary(t)
	dataDir = filepath.Join(t.TempDir(), "data")
	rcv = newCrashReceiver(t)
	c = childStart(t, bin, dataDir)
	acct = c.subscribe(rcv.srv.URL + "/companies")
	require.Eventually(t, rcv.confirmed.Load, 20*time.Second, 10*time.Millisecond)
	return bin, dataDir, rcv, c, acct
}

// TestCrashSIGKILLLosesNothing publishes 2,000 events to a confirmed
// subscription of the real binary, SIGKILLs it once 40 % are acknowledged
// (deliveries in flight), restarts it on the same data directory,
// publishes the rest (the batch cut short by the kill again, with the same
// txnIds), and checks that every acknowledged event arrives at least once
// and that nothing is left pending.
func TestCrashSIGKILLLosesNothing(t *testing.T) {
	bin, dataDir, rcv, first, acct := crashStart(t)

	var all []string
	var batches [][]string
	for i := range crashEvents {
		all = append(all, fmt.Sprintf("c7a5%028x", i))
		if i%crashBatch == crashBatch-1 {
			batches = append(batches, all[len(all)-crashBatch:])
		}
	}
	var acked, dups atomic.Int64
	type result struct {
		next int
		err  error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		n, err := crashPublish(first, acct, batches, 0, &acked, &dups)
		done <- result{n, err}
	}()
	require.Eventually(t, func() bool { return acked.Load() >= crashKillAfter }, 60*time.Second, time.Millisecond,
		"only %d events acknowledged", acked.Load())
	first.kill()
	killedAt := acked.Load()
	res := <-done
	require.Error(t, res.err, "publishing went on after the kill")
	_, unique, _ := rcv.missing(nil)
	t.Logf("SIGKILL after %s: %d events acknowledged, %d received; publishing then failed: %v",
		time.Since(start).Round(time.Millisecond), killedAt, unique, res.err)

	second := childStart(t, bin, dataDir)
	n, err := crashPublish(second, acct, batches, res.next, &acked, &dups)
	require.NoError(t, err, "batch %d after the restart", n)
	require.EqualValues(t, crashEvents, acked.Load())
	t.Logf("after the restart: published the other %d events; %d of the batch cut short by the kill had been stored before it",
		crashEvents-killedAt, dups.Load())

	deadline := time.Now().Add(crashWait)
	var missing []string
	for {
		missing, _, _ = rcv.missing(all)
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, unique, total := rcv.missing(nil)
	t.Logf("acknowledged %d, received %d Notifications, %d unique, %d duplicates, %s after the first publish",
		acked.Load(), total, unique, total-unique, time.Since(start).Round(time.Millisecond))
	if len(missing) > 0 {
		crashDiagnose(t, second, dataDir)
	}
	require.Empty(t, missing, "%d acknowledged events never arrived", len(missing))
	require.Eventually(t, func() bool { n, err := second.pending(); return err == nil && n == 0 },
		20*time.Second, 20*time.Millisecond, "deliveries left pending")
}
