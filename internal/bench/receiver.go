package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
)

// txnMarker precedes the TxnId inside a Notification's body: the iVvy
// message is a JSON string within the SNS JSON, so its quotes are escaped.
var txnMarker = []byte(`TxnId\":\"`)

// extractTxnID finds the TxnId in a Notification body without parsing it.
func extractTxnID(body []byte) []byte {
	i := bytes.Index(body, txnMarker)
	if i < 0 || len(body) < i+len(txnMarker)+32 {
		return nil
	}
	return body[i+len(txnMarker) : i+len(txnMarker)+32]
}

// receiverHooks is what the receiver reports.
type receiverHooks struct {
	// notification is called for every Notification with its TxnId (nil if
	// none was found), the time its body was read, and whether it was
	// refused (the receiver is down).
	notification func(txn []byte, at time.Time, refused bool)
	// confirmed is called once a SubscriptionConfirmation for path has been
	// confirmed by visiting its SubscribeURL.
	confirmed func(path string)
	// failure reports something the bench did not expect.
	failure func(err error)
}

// receiver is the built-in webhook endpoint: it confirms subscriptions,
// and takes each Notification's TxnId and arrival time without verifying
// or parsing the message (the bench measures the server, not a receiver).
type receiver struct {
	hooks  receiverHooks
	down   atomic.Bool
	client *http.Client
	ln     net.Listener
	srv    *http.Server
	bufs   sync.Pool
}

// startReceiver listens on a free loopback port and serves.
func startReceiver(h receiverHooks) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: receiver: %w", err)
	}
	r := &receiver{hooks: h, ln: ln, client: &http.Client{Timeout: 30 * time.Second}}
	r.bufs.New = func() any { return new(bytes.Buffer) }
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// URL is the receiver's base URL.
func (r *receiver) URL() string { return "http://" + r.ln.Addr().String() }

// close stops the receiver at once.
func (r *receiver) close() { _ = r.srv.Close() }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	buf := r.bufs.Get().(*bytes.Buffer)
	defer r.bufs.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(req.Body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	at := time.Now()
	switch req.Header.Get(sns.HeaderMessageType) {
	case sns.TypeNotification:
		down := r.down.Load()
		r.hooks.notification(extractTxnID(buf.Bytes()), at, down)
		if down {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	case sns.TypeSubscriptionConfirmation:
		if err := r.confirm(req.Context(), buf.Bytes()); err != nil {
			r.hooks.failure(err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		r.hooks.confirmed(req.URL.Path)
	}
	w.WriteHeader(http.StatusOK)
}

// confirm visits a SubscriptionConfirmation's SubscribeURL.
func (r *receiver) confirm(ctx context.Context, body []byte) error {
	var m struct{ SubscribeURL string }
	if err := json.Unmarshal(body, &m); err != nil || m.SubscribeURL == "" {
		return fmt.Errorf("bench: receiver: SubscriptionConfirmation without SubscribeURL: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.SubscribeURL, nil)
	if err != nil {
		return err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("bench: receiver: confirm: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: receiver: confirm: HTTP %d", resp.StatusCode)
	}
	return nil
}

// The separate-process receiver speaks a line protocol with the bench:
//
//	child → bench:  "addr URL"            once, when listening
//	                "c PATH"              a subscription confirmed
//	                "n TXNID UNIXNANO R"  a Notification (R = 1 if refused)
//	                "x MESSAGE"           a failure
//	                "u USER_NS SYS_NS MAXRSS_KB"  answer to "rusage"
//	bench → child:  "down 1" / "down 0"   refuse Notifications or not
//	                "rusage"              report CPU time and peak RSS
//
// The child exits when its standard input closes.

// ServeReceiver runs the built-in receiver as a separate process's main:
// commands on in, reports on out (see the protocol above).
func ServeReceiver(ctx context.Context, in io.Reader, out io.Writer) error {
	w := &lineWriter{w: bufio.NewWriterSize(out, 64<<10)}
	r, err := startReceiver(receiverHooks{
		notification: func(txn []byte, at time.Time, refused bool) {
			if txn == nil {
				txn = []byte("-")
			}
			ref := byte('0')
			if refused {
				ref = '1'
			}
			w.line(func(b []byte) []byte {
				b = append(b, "n "...)
				b = append(b, txn...)
				b = append(b, ' ')
				b = strconv.AppendInt(b, at.UnixNano(), 10)
				return append(b, ' ', ref)
			})
		},
		confirmed: func(path string) {
			w.line(func(b []byte) []byte { return append(append(b, "c "...), path...) })
			w.flush()
		},
		failure: func(err error) {
			msg := strings.ReplaceAll(err.Error(), "\n", " ")
			w.line(func(b []byte) []byte { return append(append(b, "x "...), msg...) })
		},
	})
	if err != nil {
		return err
	}
	defer r.close()
	w.line(func(b []byte) []byte { return append(append(b, "addr "...), r.URL()...) })
	w.flush()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // flush often: arrival times are in the lines, not when they are read
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.flush()
			}
		}
	}()
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch cmd := sc.Text(); cmd {
		case "down 1", "down 0":
			r.down.Store(cmd == "down 1")
		case "rusage":
			u := getRusage()
			w.line(func(b []byte) []byte {
				b = append(b, "u "...)
				b = strconv.AppendInt(b, int64(u.user), 10)
				b = append(b, ' ')
				b = strconv.AppendInt(b, int64(u.sys), 10)
				b = append(b, ' ')
				return strconv.AppendInt(b, u.maxRSSKB, 10)
			})
			w.flush()
		}
	}
	w.flush()
	return sc.Err()
}

// lineWriter serialises lines from many goroutines onto one writer.
type lineWriter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
	err error
}

func (l *lineWriter) line(build func([]byte) []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(build(l.buf[:0]), '\n')
	if _, err := l.w.Write(l.buf); err != nil && l.err == nil {
		l.err = err
	}
}

func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.w.Flush(); err != nil && l.err == nil {
		l.err = err
	}
}

// rusage is a process's CPU time and peak resident set.
type rusage struct {
	user, sys time.Duration
	maxRSSKB  int64
}

func (u rusage) cpu() time.Duration { return u.user + u.sys }

// getRusage reads this process's resource usage (all threads).
func getRusage() rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return rusage{}
	}
	return rusage{
		user:     time.Duration(ru.Utime.Nano()),
		sys:      time.Duration(ru.Stime.Nano()),
		maxRSSKB: int64(ru.Maxrss), // kilobytes on Linux
	}
}

// errNoAddr is a child receiver that never said where it listens.
var errNoAddr = errors.New("bench: the receiver process did not report its address")
