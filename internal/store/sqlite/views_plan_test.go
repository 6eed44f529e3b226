package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// TestDeliveryListPlanIsIndexed: whatever the filter, the list's joins
// look rows up by primary key and its filters use an index, so a page
// costs its rows, not the deliveries table.
func TestDeliveryListPlanIsIndexed(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), FileName))
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	since := time.Now()
	for name, p := range map[string]store.DeliveryListParams{
		"all":          {Limit: 100},
		"page":         {BeforeID: 500, Limit: 100},
		"subscription": {SubscriptionID: 1, Limit: 100},
		"account":      {AccountID: 1, Limit: 100},
		"dead":         {Status: store.DeliveryDead, Limit: 100},
		"dead since":   {Status: store.DeliveryDead, CreatedAfter: &since, Limit: 100},
		"redrive of":   {SubscriptionID: 1, RedrivenFrom: 5, Limit: 1},
	} {
		query, args := deliveryListQuery(p)
		rows, err := s.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		require.NoError(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Close())
		all := strings.Join(plan, "\n")
		for _, line := range plan {
			if line == "SCAN s" && p.AccountID != 0 {
				continue // the account's subscriptions, a small table, to find its deliveries by index
			}
			if strings.HasPrefix(line, "SCAN") {
				require.Regexp(t, `^SCAN d( USING INTEGER PRIMARY KEY)?$`, line, "%s:\n%s", name, all)
			}
		}
		if p.SubscriptionID != 0 || p.Status != "" {
			require.NotContains(t, all, "SCAN d", "%s: the filter's index is used:\n%s", name, all)
		}
	}
}
