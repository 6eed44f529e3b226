package delivery

import (
	"context"
	"log/slog"
)

// riverLogger is the logger River gets: the app's, with River's
// info-level records (its producers', elector's and scheduler's periodic
// chatter) demoted to debug. Its warnings and errors pass unchanged.
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(demoteInfo{l.Handler()})
}

// demoteInfo passes records below warn at debug level at most.
type demoteInfo struct{ inner slog.Handler }

func demote(l slog.Level) slog.Level {
	if l < slog.LevelWarn && l > slog.LevelDebug {
		return slog.LevelDebug
	}
	return l
}

// Enabled reports whether the demoted level is enabled.
func (h demoteInfo) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, demote(l))
}

// Handle passes the record on at its demoted level.
func (h demoteInfo) Handle(ctx context.Context, r slog.Record) error {
	r.Level = demote(r.Level)
	return h.inner.Handle(ctx, r)
}

// WithAttrs keeps the demotion on the derived handler.
func (h demoteInfo) WithAttrs(attrs []slog.Attr) slog.Handler {
	return demoteInfo{h.inner.WithAttrs(attrs)}
}

// WithGroup keeps the demotion on the derived handler.
func (h demoteInfo) WithGroup(name string) slog.Handler {
	return demoteInfo{h.inner.WithGroup(name)}
}
