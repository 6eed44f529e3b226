package app

import (
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
