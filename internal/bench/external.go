package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// externalReceiver is the built-in receiver running as a separate process
// (ServeReceiver), so that its CPU time is not the server's.
type externalReceiver struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	url    string
	mu     sync.Mutex
	usage  chan rusage
	done   chan struct{}
	stderr strings.Builder
}

// startExternalReceiver runs argv and reads its reports into hooks;
// arrival times come as Unix nanoseconds.
func startExternalReceiver(ctx context.Context, argv []string, hooks receiverHooks) (*externalReceiver, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = os.Environ()
	e := &externalReceiver{cmd: cmd, usage: make(chan rusage, 1), done: make(chan struct{})}
	cmd.Stderr = &e.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	e.stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: receiver process: %w", err)
	}
	addr := make(chan string, 1)
	go e.read(stdout, hooks, addr)
	select {
	case e.url = <-addr:
	case <-e.done:
		_ = cmd.Wait()
		return nil, fmt.Errorf("%w: %s", errNoAddr, strings.TrimSpace(e.stderr.String()))
	case <-time.After(30 * time.Second):
		e.close()
		return nil, errNoAddr
	}
	return e, nil
}

func (e *externalReceiver) read(stdout io.Reader, hooks receiverHooks, addr chan<- string) {
	defer close(e.done)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 2 {
			continue
		}
		rest := line[2:]
		switch line[0] {
		case 'n':
			// n TXNID UNIXNANO R
			f := strings.Fields(string(rest))
			if len(f) != 3 {
				continue
			}
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			var txn []byte
			if f[0] != "-" {
				txn = []byte(f[0])
			}
			hooks.notification(txn, time.Unix(0, ns), f[2] == "1")
		case 'c':
			hooks.confirmed(string(rest))
		case 'x':
			hooks.failure(fmt.Errorf("receiver process: %s", rest))
		case 'u':
			f := strings.Fields(string(rest))
			if len(f) == 3 {
				u, _ := strconv.ParseInt(f[0], 10, 64)
				s, _ := strconv.ParseInt(f[1], 10, 64)
				m, _ := strconv.ParseInt(f[2], 10, 64)
				e.usage <- rusage{user: time.Duration(u), sys: time.Duration(s), maxRSSKB: m}
			}
		default:
			if v, ok := strings.CutPrefix(string(line), "addr "); ok {
				addr <- v
			}
		}
	}
}

// command sends one line to the child.
func (e *externalReceiver) command(s string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err := io.WriteString(e.stdin, s+"\n")
	return err
}

func (e *externalReceiver) setDown(down bool) error {
	if down {
		return e.command("down 1")
	}
	return e.command("down 0")
}

// rusage asks the child for its CPU time and peak RSS.
func (e *externalReceiver) rusage() (rusage, error) {
	if err := e.command("rusage"); err != nil {
		return rusage{}, err
	}
	select {
	case u := <-e.usage:
		return u, nil
	case <-e.done:
		return rusage{}, fmt.Errorf("bench: the receiver process exited: %s", strings.TrimSpace(e.stderr.String()))
	case <-time.After(10 * time.Second):
		return rusage{}, fmt.Errorf("bench: the receiver process did not report its usage")
	}
}

// close ends the child (its stdin closes) and waits for it.
func (e *externalReceiver) close() {
	_ = e.stdin.Close()
	select {
	case <-e.done:
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
	}
	_ = e.cmd.Wait()
}
