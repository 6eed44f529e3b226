package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// progress draws the progress line: redrawn in place on a terminal,
// otherwise a line every 5 s.
type progress struct {
	w     io.Writer
	tty   bool
	every time.Duration
	width int
	drawn bool
}

func newProgress(w io.Writer) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w, every: 5 * time.Second}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.every = true, 250*time.Millisecond
		}
	}
	return p
}

func (p *progress) update(line string) {
	if p.tty {
		pad := max(0, p.width-len(line))
		fmt.Fprint(p.w, "\r"+line+strings.Repeat(" ", pad))
		p.width, p.drawn = len(line), true
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) finish() {
	if p != nil && p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
}

// bar draws a fraction as [=====>    ].
func bar(f float64, width int) string {
	f = min(max(f, 0), 1)
	n := int(f * float64(width))
	s := strings.Repeat("=", n)
	if n < width {
		s += ">" + strings.Repeat(" ", width-n-1)
	}
	return "[" + s + "]"
}

// groupInt formats n with thousands separators: 12,345.
func groupInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// countingHandler is the server's logger during a run: it counts warnings
// and errors and keeps the first few; lower levels are dropped.
type countingHandler struct {
	state *countingState
	attrs []slog.Attr
}

type countingState struct {
	mu     sync.Mutex
	n      int64
	sample []string
}

func (c *countingState) snapshot() (int64, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, append([]string(nil), c.sample...)
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.state.mu.Lock()
	defer h.state.mu.Unlock()
	h.state.n++
	if len(h.state.sample) < 5 {
		var b strings.Builder
		b.WriteString(r.Level.String() + " " + r.Message)
		for _, a := range h.attrs {
			b.WriteString(" " + a.String())
		}
		r.Attrs(func(a slog.Attr) bool {
			b.WriteString(" " + a.String())
			return true
		})
		h.state.sample = append(h.state.sample, b.String())
	}
	return nil
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &countingHandler{state: h.state, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h *countingHandler) WithGroup(string) slog.Handler { return h }
