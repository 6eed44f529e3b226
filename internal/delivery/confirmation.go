package delivery

import (
	"context"
	"log/slog"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/deliverypolicy"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// SNSConfirmationRetry is the default retry schedule of confirmation
// messages: SNS's own policy, 3 retries 20 s apart, then the dead letters.
func SNSConfirmationRetry() func(n int) (time.Duration, bool) {
	r := deliverypolicy.SNSDefault().Retry()
	return r.Delay
}

// isConfirmation reports whether d is a handshake message, whose retries
// follow the confirmation schedule rather than the subscription's policy.
func isConfirmation(d *store.Delivery) bool {
	return d.MessageType == sns.TypeSubscriptionConfirmation || d.MessageType == sns.TypeUnsubscribeConfirmation
}

// plan is the subscription's plan for d: its policy's, but for a
// confirmation the retries of the confirmation schedule (a typo'd URL
// gives up after minutes, not a day). The throttle stays the
// subscription's.
func (w *Worker) plan(d *store.Delivery, sub *store.Subscription) Plan {
	p := w.cfg.Planner.Plan(sub)
	if isConfirmation(d) {
		p.RetryDelay = w.cfg.ConfirmationRetry
		if p.RetryDelay == nil {
			p.RetryDelay = SNSConfirmationRetry()
		}
	}
	return p
}

// logStale logs an attempt whose delivery was cancelled (the operator
// deleted its subscription or cancelled it) while it was in flight: it
// was logged and counted, and the delivery stays cancelled.
func (w *Worker) logStale(ctx context.Context, d *store.Delivery, sub *store.Subscription, o Outcome) {
	w.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "delivery: cancelled while its attempt was in flight; not retried",
		slog.Int64("delivery_id", d.ID), slog.Int("attempt", d.Attempts+1), slog.String("subscription_arn", sub.ARN),
		slog.String("class", o.Class.String()), slog.Int("status", o.StatusCode))
}
