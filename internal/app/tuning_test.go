package app

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSplitPool: --database-pool-size is the node's connections in all,
// shared by the store and the delivery engine.
func TestSplitPool(t *testing.T) {
	for _, tc := range []struct {
		total         int
		store, engine int32
	}{
		{total: 20, store: 14, engine: 6},
		{total: 9, store: 6, engine: 3},
		{total: 4, store: 2, engine: 2},
		{total: 3, store: 1, engine: 2},
		{total: 1, store: 1, engine: 2}, // the least that works: 3
	} {
		store, engine := splitPool(tc.total)
		require.Equal(t, tc.store, store, "store of %d", tc.total)
		require.Equal(t, tc.engine, engine, "engine of %d", tc.total)
	}
}

// TestAddSpareProc: serve runs one P more than its cores, unless the
// GOMAXPROCS environment variable chose.
func TestAddSpareProc(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })

	t.Setenv("GOMAXPROCS", "")
	require.Equal(t, Cores()+1, AddSpareProc())
	require.Equal(t, Cores()+1, runtime.GOMAXPROCS(0))

	runtime.GOMAXPROCS(1)
	t.Setenv("GOMAXPROCS", "1")
	require.Equal(t, 1, AddSpareProc(), "the operator's choice stands")
	require.Equal(t, 1, runtime.GOMAXPROCS(0))
}
