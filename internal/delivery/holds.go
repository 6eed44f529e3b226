package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// HoldReleaseInterval is how often the queue looks for holds that ended
// (ReleaseHoldsWorker): a delivery whose direct send died with its node
// is sent at most this long after its hold ends, as River's scheduler
// would have made a scheduled job available.
const HoldReleaseInterval = 5 * time.Second

// holdReleaseBatch is how many holds one transaction hands over.
const holdReleaseBatch = 1000

// ReleaseHoldsWorker hands to the queue every delivery whose hold for a
// direct send has ended: its node died, or could not record the attempt.
type ReleaseHoldsWorker struct {
	river.WorkerDefaults[jobs.ReleaseHolds]
	Store  store.Store
	Logger *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Work implements river.Worker.
func (w *ReleaseHoldsWorker) Work(ctx context.Context, _ *river.Job[jobs.ReleaseHolds]) error {
	now := clockNow(w.Now)
	total := 0
	for {
		n, err := w.Store.DeliveryReleaseExpiredHolds(ctx, now, holdReleaseBatch)
		total += n
		if err != nil || n < holdReleaseBatch {
			if total > 0 {
				w.Logger.WarnContext(ctx, "delivery: direct sends never recorded; their deliveries go to the queue",
					slog.Int("deliveries", total))
			}
			return err
		}
	}
}
