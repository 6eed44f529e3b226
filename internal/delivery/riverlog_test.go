package delivery

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRiverLoggerDemotesInfo(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		want  []string // lines seen at info, at debug
	}{
		{slog.LevelInfo, []string{"", "level=DEBUG msg=chatter"}},
		{slog.LevelDebug, []string{"", "level=DEBUG msg=chatter"}},
		{slog.LevelWarn, []string{"level=WARN msg=chatter", "level=WARN msg=chatter"}},
		{slog.LevelError, []string{"level=ERROR msg=chatter", "level=ERROR msg=chatter"}},
	} {
		for i, min := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
			var b bytes.Buffer
			h := slog.NewTextHandler(&b, &slog.HandlerOptions{Level: min, ReplaceAttr: dropTime})
			l := riverLogger(slog.New(h)).With("component", "river").WithGroup("g")
			l.Log(context.Background(), tc.level, "chatter", "k", 1)
			if tc.want[i] == "" {
				require.Empty(t, b.String(), "%s at %s", tc.level, min)
				continue
			}
			require.True(t, strings.HasPrefix(b.String(), tc.want[i]), "%s at %s: %s", tc.level, min, b.String())
			require.Contains(t, b.String(), "component=river g.k=1")
		}
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://hooks.example.com/ivvy":                    "https://hooks.example.com/ivvy",
		"https://hooks.example.com/ivvy?token=s3cret&x=1":   "https://hooks.example.com/ivvy?…",
		"https://user:pw@hooks.example.com:8443/a?s3cret#f": "https://hooks.example.com:8443/a?…",
		"http://127.0.0.1:9/x?":                             "http://127.0.0.1:9/x?…",
		"http://[::1]:9/%zz":                                "",
	} {
		require.Equal(t, want, redactURL(raw), raw)
	}
}

// FuzzRedactURL: never panics, and neither a query nor user info
// survives.
func FuzzRedactURL(f *testing.F) {
	f.Add("https://u:p@h.example/p?q=s3cret#frag")
	f.Add("http://h/?")
	f.Fuzz(func(t *testing.T, raw string) {
		got := redactURL(raw)
		if got == "" {
			return
		}
		base, _ := strings.CutSuffix(got, "?…")
		u, err := url.Parse(base)
		require.NoError(t, err, "%q -> %q", raw, got)
		require.Nil(t, u.User, "%q -> %q", raw, got)
		require.Empty(t, u.RawQuery, "%q -> %q", raw, got)
	})
}
