package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// RetentionWorker deletes attempts older than the retention period and
// confirmation tokens that have expired.
type RetentionWorker struct {
	river.WorkerDefaults[jobs.Retention]
	Store     store.Store
	Retention time.Duration
	Logger    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Work implements river.Worker.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[jobs.Retention]) error {
	now := clockNow(w.Now)
	attempts, err := w.Store.AttemptDeleteBefore(ctx, now.Add(-w.Retention))
	if err != nil {
		return err
	}
	tokens, err := w.Store.TokenDeleteExpired(ctx, now)
	if err != nil {
		return err
	}
	if attempts+tokens > 0 {
		w.Logger.InfoContext(ctx, "retention: deleted old records", "attempts", attempts, "tokens", tokens,
			"retention", w.Retention)
	}
	return nil
}
