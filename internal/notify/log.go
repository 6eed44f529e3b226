package notify

import (
	"context"
	"log/slog"
	"slices"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
)

// resultNames are the unsubscribe results as the logs name them.
var resultNames = map[int]string{
	ResultSuccess:            "unsubscribed",
	ResultUnknownError:       "unknown error",
	ResultNotFound:           "not found",
	ResultIncorrectSource:    "incorrect source",
	ResultStatusNotConfirmed: "not confirmed",
}

// logUnsubscribe logs one requested endpoint of an iVvy API
// unsubscribeFromNotifications: the subscription's ARN (when one was
// found) and the result.
func (s *Service) logUnsubscribe(ctx context.Context, c Caller, e catalog.Endpoint, arn string, result int) {
	attrs := []slog.Attr{
		slog.Int64("account", c.AccountID), slog.String("endpoint", e.Name()), slog.String("key", c.Key),
	}
	if arn != "" {
		attrs = append(attrs, slog.String("subscription_arn", arn))
	}
	attrs = append(attrs, slog.String("outcome", resultNames[result]), slog.Int("result", result))
	s.Logger.LogAttrs(ctx, slog.LevelInfo, "notify: unsubscribeFromNotifications", attrs...)
}

// logPublished logs one line per successful publish: the account, the
// subjects, how many events and deliveries it created, and the TxnId (of
// a single event) or how many TxnIds (of a batch).
func (s *Service) logPublished(ctx context.Context, accountID int64, events []Event, out []Published) {
	subjects := make([]string, 0, len(events))
	for _, ev := range events {
		if !slices.Contains(subjects, ev.Subject) {
			subjects = append(subjects, ev.Subject)
		}
	}
	newEvents, deliveries := countNew(out)
	attrs := []slog.Attr{
		slog.Int64("account", accountID), slog.Any("subjects", subjects),
		slog.Int("events", newEvents), slog.Int("deliveries", deliveries),
	}
	if len(out) == 1 {
		attrs = append(attrs, slog.String("txn_id", out[0].TxnID))
	} else {
		attrs = append(attrs, slog.Int("txn_ids", len(out)))
	}
	if dups := len(out) - newEvents; dups > 0 {
		attrs = append(attrs, slog.Int("duplicates", dups))
	}
	s.Logger.LogAttrs(ctx, slog.LevelInfo, "notify: published", attrs...)
}
