package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/riverqueue/river"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// recordTimeout bounds writing an attempt's result. The write runs even
// when the job's context has ended, so that an answer received just
// before a shutdown is not lost.
const recordTimeout = 10 * time.Second

// Poster makes one delivery attempt; *Sender is the implementation, and
// wrappers (throttles, metrics) can stand in for it.
type Poster interface {
	// Send POSTs r once and classifies the result.
	Send(ctx context.Context, r Request) Outcome
}

// WorkerConfig configures a Worker. Zero fields take the defaults.
type WorkerConfig struct {
	// Retry receives the receiver's Retry-After hints; nil ignores them.
	// It should be the policy River schedules retries with.
	Retry RetryPolicy
	// MaxAttempts caps the attempts of a delivery, the first included,
	// below the job's own limit; default DefaultMaxAttempts.
	MaxAttempts int
	// Logger gets one record per attempt; default slog.Default().
	Logger *slog.Logger
	// Now is the clock for the attempt times stored; default time.Now.
	Now func() time.Time
}

// Worker is the River worker of jobs.Deliver: it loads the delivery and
// its subscription, sends the stored bytes with SNS's headers, records the
// attempt and tells River whether to retry.
type Worker struct {
	river.WorkerDefaults[jobs.Deliver]
	store  store.Store
	poster Poster
	cfg    WorkerConfig
}

var _ river.Worker[jobs.Deliver] = (*Worker)(nil)

// NewWorker returns a Worker reading and recording deliveries in st and
// sending them through p.
func NewWorker(st store.Store, p Poster, cfg WorkerConfig) *Worker {
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Worker{store: st, poster: p, cfg: cfg}
}

// Work runs one attempt of a delivery. It returns nil when the delivery is
// done (delivered, cancelled, already finished or gone), an error for River
// to retry it, and river.JobCancel to stop without retrying.
func (w *Worker) Work(ctx context.Context, job *river.Job[jobs.Deliver]) error {
	id := job.Args.DeliveryID
	d, err := w.store.DeliveryGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		w.cfg.Logger.InfoContext(ctx, "delivery: nothing to send, delivery not found", slog.Int64("delivery_id", id))
		return nil
	}
	if err != nil {
		return fmt.Errorf("delivery %d: %w", id, err)
	}
	if d.Status == store.DeliveryDelivered || d.Status == store.DeliveryCancelled {
		w.cfg.Logger.DebugContext(ctx, "delivery: already finished", slog.Int64("delivery_id", id),
			slog.String("status", string(d.Status)))
		return nil
	}
	sub, err := w.store.SubscriptionGet(ctx, d.SubscriptionID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delivery %d: subscription %d: %w", id, d.SubscriptionID, err)
	}
	if reason := skipReason(d, sub); reason != "" {
		return w.cancel(ctx, d, sub, reason)
	}
	o := w.poster.Send(ctx, request(d, sub))
	if ctx.Err() != nil && o.Class == Retry && o.StatusCode == 0 {
		// Cut short by shutdown or the job timeout before any answer, not
		// the receiver's doing: not recorded; River puts the job back.
		return fmt.Errorf("delivery %d: %w", id, ctx.Err())
	}
	return w.finish(ctx, job, d, sub, o)
}

// skipReason says why a delivery must not be sent, or "" to send it.
// Notifications need a confirmed subscription; a SubscriptionConfirmation
// any live one; an UnsubscribeConfirmation is sent to a deleted
// subscription, which is what it announces.
func skipReason(d *store.Delivery, sub *store.Subscription) string {
	if sub == nil {
		return "subscription not found"
	}
	switch {
	case d.MessageType == sns.TypeUnsubscribeConfirmation:
		return ""
	case sub.Status == store.SubscriptionDeleted:
		return "subscription deleted"
	case d.MessageType == sns.TypeSubscriptionConfirmation:
		return ""
	case sub.Status != store.SubscriptionConfirmed:
		return "subscription not confirmed"
	}
	return ""
}

// request builds the POST of d: its stored bytes and SNS's headers, with
// no subscription ARN on a SubscriptionConfirmation.
func request(d *store.Delivery, sub *store.Subscription) Request {
	subArn := sub.ARN
	if d.MessageType == sns.TypeSubscriptionConfirmation {
		subArn = ""
	}
	m := &sns.Message{Type: d.MessageType, MessageId: d.MessageID, TopicArn: sub.TopicARN}
	return Request{URL: sub.URL, Body: d.Body, Header: sns.Headers(m, subArn)}
}

// cancel marks d cancelled without sending it. The store counts this as
// an attempt: DeliveryRecordAttempt is its only way to change a status.
func (w *Worker) cancel(ctx context.Context, d *store.Delivery, sub *store.Subscription, reason string) error {
	if err := w.record(ctx, d.ID, store.DeliveryCancelled, reason); err != nil {
		return err
	}
	attrs := []slog.Attr{slog.Int64("delivery_id", d.ID), slog.String("reason", reason)}
	if sub != nil {
		attrs = append(attrs, slog.String("subscription_arn", sub.ARN))
	}
	w.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "delivery: cancelled", attrs...)
	return nil
}

// finish records the outcome of an attempt and decides what River does.
func (w *Worker) finish(ctx context.Context, job *river.Job[jobs.Deliver], d *store.Delivery,
	sub *store.Subscription, o Outcome) error {
	if o.Class == Delivered {
		if err := w.record(ctx, d.ID, store.DeliveryDelivered, ""); err != nil {
			return err
		}
		w.logAttempt(ctx, slog.LevelDebug, "delivery: delivered", job, sub, o)
		return nil
	}
	if err := w.record(ctx, d.ID, store.DeliveryPending, o.Err); err != nil {
		return err
	}
	err := &attemptError{deliveryID: d.ID, reason: o.Err}
	if o.Class != Retry {
		// Fail and Forbidden: retrying cannot help. For now the delivery
		// stays pending with its error and the job stops; the next step
		// moves it to the dead-letter store instead.
		w.logAttempt(ctx, slog.LevelInfo, "delivery: failed, not retried", job, sub, o)
		return river.JobCancel(err)
	}
	if limit := w.maxAttempts(job); job.Attempt >= limit {
		w.logAttempt(ctx, slog.LevelWarn, "delivery: failed, attempts exhausted", job, sub, o)
		if job.Attempt < job.MaxAttempts {
			return river.JobCancel(err) // our limit is below the job's
		}
		return err // River discards the job
	}
	if o.RetryAfter > 0 && w.cfg.Retry != nil {
		w.cfg.Retry.RetryAfter(job.ID, o.RetryAfter)
	}
	w.logAttempt(ctx, slog.LevelInfo, "delivery: failed, will retry", job, sub, o)
	return err
}

// maxAttempts is the job's attempt limit: the lower of the worker's and
// the one stored on the job when it was enqueued.
func (w *Worker) maxAttempts(job *river.Job[jobs.Deliver]) int {
	if job.MaxAttempts > 0 && job.MaxAttempts < w.cfg.MaxAttempts {
		return job.MaxAttempts
	}
	return w.cfg.MaxAttempts
}

// record stores an attempt's result, even if ctx has ended.
func (w *Worker) record(ctx context.Context, id int64, status store.DeliveryStatus, reason string) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	_, err := w.store.DeliveryRecordAttempt(rctx, store.DeliveryAttemptParams{
		ID: id, Status: status, Error: reason, At: w.cfg.Now(),
	})
	if err != nil {
		return fmt.Errorf("delivery %d: record %s: %w", id, status, err)
	}
	return nil
}

// logAttempt logs one attempt. Only the endpoint's host is logged: the
// path and query of a webhook URL often carry secrets.
func (w *Worker) logAttempt(ctx context.Context, level slog.Level, msg string, job *river.Job[jobs.Deliver],
	sub *store.Subscription, o Outcome) {
	attrs := []slog.Attr{
		slog.Int64("delivery_id", job.Args.DeliveryID),
		slog.Int("attempt", job.Attempt),
		slog.String("subscription_arn", sub.ARN),
		slog.String("host", hostOf(sub.URL)),
		slog.String("class", o.Class.String()),
		slog.Int("status", o.StatusCode),
		slog.Duration("duration", o.Duration),
	}
	if o.Err != "" {
		attrs = append(attrs, slog.String("error", o.Err))
	}
	if o.RetryAfter > 0 {
		attrs = append(attrs, slog.Duration("retry_after", o.RetryAfter))
	}
	w.cfg.Logger.LogAttrs(ctx, level, msg, attrs...)
}

// hostOf returns the host[:port] of a URL, without user info.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// attemptError is the error River stores for a failed attempt.
type attemptError struct {
	deliveryID int64
	reason     string
}

func (e *attemptError) Error() string {
	return fmt.Sprintf("delivery %d: %s", e.deliveryID, e.reason)
}
