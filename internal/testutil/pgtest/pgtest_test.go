package pgtest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStartTime(t *testing.T) {
	stat := "4242 (go (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 12 0 987654 1000000 100"
	require.Equal(t, "987654", startTime(stat))
	require.Equal(t, "0", startTime("garbage"))
}

func TestURLSkipsWithoutTheVariable(t *testing.T) {
	t.Setenv(URLEnv, "")
	t.Setenv("CI", "")
	notices := 0
	saved := noticeOnce
	noticeOnce = func() { notices++ } // this skip is staged: no notice
	t.Cleanup(func() { noticeOnce = saved })
	var skipped bool
	t.Run("inner", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		URL(t)
	})
	require.True(t, skipped)
	require.Equal(t, 1, notices)
	t.Setenv(URLEnv, "postgres://x")
	require.Equal(t, "postgres://x", URL(t))
}
