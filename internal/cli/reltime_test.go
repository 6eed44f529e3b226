package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseTimeFlag(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-20T08:30:00Z", time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)},
		{"2026-11-20T08:30:00.5+02:00", time.Date(2026, 11, 20, 6, 30, 0, 5e8, time.UTC)},
		{"30m", now.Add(-30 * time.Minute)},
		{"1h", now.Add(-time.Hour)},
		{"2d", now.Add(-48 * time.Hour)},
		{"1w", now.Add(-7 * 24 * time.Hour)},
		{"90s", now.Add(-90 * time.Second)},
		{"1h30m", now.Add(-90 * time.Minute)},
		{"0m", now},
	} {
		got, err := parseTimeFlag("--since", tc.in, now)
		require.NoError(t, err, tc.in)
		require.True(t, tc.want.Equal(got), "%s: got %s, want %s", tc.in, got, tc.want)
	}
	for _, in := range []string{"", "h", "1", "-1h", "1y", "1.5h", "1h ", " 1h", "1H", "yesterday",
		"2026-11-20", "2026-11-20 08:30:00", "1000000000h", "36600d", "1h1"} {
		_, err := parseTimeFlag("--since", in, now)
		require.Error(t, err, "%q", in)
		require.Contains(t, err.Error(), `--since "`+in+`": want an RFC 3339 time`)
	}
}

func TestTimeFlagValue(t *testing.T) {
	v, err := timeFlagValue("--until", "")
	require.NoError(t, err)
	require.Empty(t, v)
	v, err = timeFlagValue("--until", "2026-11-20T08:30:00+01:00")
	require.NoError(t, err)
	require.Equal(t, "2026-11-20T07:30:00Z", v)
	v, err = timeFlagValue("--until", "1h")
	require.NoError(t, err)
	got, err := time.Parse(time.RFC3339Nano, v)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(-time.Hour), got, 5*time.Second)
}

// FuzzParseTimeFlag: any input either fails with the flag named or gives
// a time; an age gives a time no later than now and at most maxAge before.
func FuzzParseTimeFlag(f *testing.F) {
	for _, s := range []string{"1h", "30m", "2d", "1w2d3h4m5s", "2026-11-20T08:30:00Z", "999999999w", "", "1h1"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseTimeFlag("--since", in, now)
		if err != nil {
			require.Contains(t, err.Error(), "--since")
			return
		}
		if age, ok := parseAge(in); ok {
			require.False(t, got.After(now))
			require.LessOrEqual(t, age, maxAge)
			require.Equal(t, now.Add(-age), got)
		}
	})
}
