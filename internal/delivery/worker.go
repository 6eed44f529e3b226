package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
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

// PauseRecheck is how often a paused subscription's deliveries look again.
const PauseRecheck = 5 * time.Second

// Poster makes one delivery attempt; *Sender is the implementation, and
// wrappers (metrics) can stand in for it.
type Poster interface {
	// Send POSTs r once and classifies the result.
	Send(ctx context.Context, r Request) Outcome
}

// Plan is what a subscription's effective delivery policy asks of the
// engine.
type Plan struct {
	// RetryDelay is the delay before retry number n (1-based), false when
	// the policy has no retry n: the delivery then goes to the dead letters.
	RetryDelay func(n int) (time.Duration, bool)
	// MaxReceivesPerSecond throttles the subscription; 0 is unlimited.
	MaxReceivesPerSecond int
}

// Planner resolves a subscription's effective delivery policy.
type Planner interface {
	Plan(sub *store.Subscription) Plan
}

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	// Planner resolves policies (required).
	Planner Planner
	// Gate limits requests in flight and rate per subscription (required).
	Gate Gate
	// MaxInFlight is each subscription's limit of requests in flight.
	MaxInFlight int
	// ConfirmationRetry, when set, replaces the subscription policy's
	// RetryDelay for SubscriptionConfirmation and UnsubscribeConfirmation
	// deliveries (see Config.ConfirmationRetry).
	ConfirmationRetry func(n int) (time.Duration, bool)
	// OnAttempt, when set, observes every attempt's outcome (metrics).
	OnAttempt func(o Outcome, final store.DeliveryStatus)
	// OnWork, when set, is called when a job goes on to the gate and the
	// send: it may snooze or retry soon. A paused subscription's recheck
	// (every PauseRecheck) is not counted, so that a paused backlog does
	// not keep the queue polled fast (see Config.Wake).
	OnWork func()
	// Logger gets one record per attempt; default slog.Default().
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Worker is the River worker of jobs.Deliver: it loads the delivery and
// its subscription, sends the stored bytes with SNS's headers, logs the
// attempt, and schedules the next try by the subscription's policy —
// or moves the delivery to the dead letters.
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
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Worker{store: st, poster: p, cfg: cfg}
}

// Work runs one attempt of a delivery. Retries are snoozes, which River
// does not count against the job: the delivery's own attempt count and
// policy decide, and what the policy gives up on is kept as a dead letter.
func (w *Worker) Work(ctx context.Context, job *river.Job[jobs.Deliver]) error {
	d, sub, err := w.load(ctx, job.Args.DeliveryID)
	if d == nil || err != nil {
		return err
	}
	if reason := skipReason(d, sub); reason != "" {
		return w.cancel(ctx, d, sub, reason, false)
	}
	if sub.Paused {
		return river.JobSnooze(jitter(PauseRecheck))
	}
	if w.cfg.OnWork != nil {
		w.cfg.OnWork()
	}
	plan := w.plan(d, sub)
	release, wait, ok, err := w.cfg.Gate.Acquire(ctx, sub.ID, d.ID, w.cfg.MaxInFlight, plan.MaxReceivesPerSecond)
	if err != nil {
		return fmt.Errorf("delivery %d: gate: %w", d.ID, err)
	}
	if !ok {
		return river.JobSnooze(wait)
	}
	start := w.cfg.Now()
	o := w.poster.Send(ctx, request(d, sub))
	release(o.Duration)
	if cutShort(ctx, o) {
		// Not the receiver's doing: not recorded, and the job is free
		// again at once.
		return river.JobSnooze(0)
	}
	status, next, err := w.finish(ctx, d, sub, plan, start, o, false)
	if err == nil && status == store.DeliveryPending {
		return river.JobSnooze(next)
	}
	return err
}

// cutShort reports whether an attempt ended because ctx did (shutdown),
// before any answer.
func cutShort(ctx context.Context, o Outcome) bool {
	return ctx.Err() != nil && o.Class == Retry && o.StatusCode == 0
}

// load returns the delivery to send and its subscription; a nil delivery
// with a nil error means there is nothing to do.
func (w *Worker) load(ctx context.Context, id int64) (*store.Delivery, *store.Subscription, error) {
	d, err := w.store.DeliveryGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		w.cfg.Logger.InfoContext(ctx, "delivery: nothing to send, delivery not found", slog.Int64("delivery_id", id))
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("delivery %d: %w", id, err)
	}
	if d.Status != store.DeliveryPending {
		return nil, nil, nil
	}
	sub, err := w.store.SubscriptionGet(ctx, d.SubscriptionID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("delivery %d: subscription %d: %w", id, d.SubscriptionID, err)
	}
	return d, sub, nil
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

// cancel marks d cancelled without sending it; held says a direct send
// found it so (see finish).
func (w *Worker) cancel(ctx context.Context, d *store.Delivery, sub *store.Subscription, reason string, held bool) error {
	p := store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryCancelled, Error: reason, Held: held}
	if err := w.record(ctx, p); errors.Is(err, store.ErrConflict) {
		return nil // no longer pending: cancelled meanwhile
	} else if err != nil {
		return err
	}
	attrs := []slog.Attr{slog.Int64("delivery_id", d.ID), slog.String("reason", reason)}
	if sub != nil {
		attrs = append(attrs, slog.String("subscription_arn", sub.ARN))
	}
	w.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "delivery: cancelled", attrs...)
	return nil
}

// finish logs the attempt and decides: done, retry after the wait it
// returns, or dead letter. held says the attempt was a direct send of a
// held delivery: the record lifts the hold (store), enqueueing the retry
// itself; a queue job is snoozed by its caller instead.
func (w *Worker) finish(ctx context.Context, d *store.Delivery, sub *store.Subscription, plan Plan, start time.Time,
	o Outcome, held bool) (store.DeliveryStatus, time.Duration, error) {
	status, snooze, reason := decide(d.Attempts+1, plan, o)
	now := w.cfg.Now()
	p := store.DeliveryAttemptParams{ID: d.ID, Status: status, Error: reason, At: now, Attempt: &store.Attempt{
		StartedAt: start, Duration: o.Duration, StatusCode: o.StatusCode, Outcome: o.Class.String(),
		Error: o.Err, ResponseExcerpt: []byte(o.Excerpt),
	}, Held: held, RetryAt: now.Add(snooze)}
	if err := w.record(ctx, p); errors.Is(err, store.ErrConflict) {
		status = store.DeliveryCancelled // meanwhile, by the operator
	} else if err != nil {
		return status, 0, err
	}
	if w.cfg.OnAttempt != nil {
		w.cfg.OnAttempt(o, status)
	}
	if status == store.DeliveryCancelled {
		w.logStale(ctx, d, sub, o)
		return status, 0, nil
	}
	w.logAttempt(ctx, d, sub, o, status, snooze, reason)
	return status, snooze, nil
}

// decide turns attempt number n's outcome into the delivery's next status,
// the wait before the next try, and the error to keep.
func decide(n int, plan Plan, o Outcome) (store.DeliveryStatus, time.Duration, string) {
	switch o.Class {
	case Delivered:
		return store.DeliveryDelivered, 0, ""
	case Retry:
		delay, ok := plan.RetryDelay(n)
		if !ok {
			return store.DeliveryDead, 0, fmt.Sprintf("retries exhausted after %d attempt(s); last: %s", n, o.Err)
		}
		return store.DeliveryPending, max(jitter(delay), clampRetryAfter(o.RetryAfter)), o.Err
	default:
		return store.DeliveryDead, 0, o.Err
	}
}

// clampRetryAfter bounds a receiver's Retry-After to [1 s, 1 h]; 0 stays 0.
func clampRetryAfter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return min(max(d, MinRetryAfter), MaxRetryAfter)
}

// jitter spreads a delay by ±10 % so retries of many deliveries do not
// arrive at a recovering receiver all at once.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// record stores an attempt's result, even if ctx has ended.
func (w *Worker) record(ctx context.Context, p store.DeliveryAttemptParams) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if p.At.IsZero() {
		p.At = w.cfg.Now()
	}
	if err := w.store.DeliveryRecordAttempt(rctx, p); err != nil {
		return fmt.Errorf("delivery %d: record %s: %w", p.ID, p.Status, err)
	}
	return nil
}

// logAttempt logs one attempt: at debug when delivered, info when it
// will be retried, warn when it is the delivery's last (a dead letter,
// then with the endpoint URL, query values redacted, and the reason kept).
// Other lines carry only the endpoint's host: the path and query of a
// webhook URL often carry secrets.
func (w *Worker) logAttempt(ctx context.Context, d *store.Delivery, sub *store.Subscription, o Outcome,
	status store.DeliveryStatus, next time.Duration, reason string) {
	level, msg := slog.LevelDebug, "delivery: delivered"
	switch status {
	case store.DeliveryPending:
		level, msg = slog.LevelInfo, "delivery: failed, will retry"
	case store.DeliveryDead:
		level, msg = slog.LevelWarn, "delivery: moved to dead letters"
	}
	attrs := []slog.Attr{
		slog.Int64("delivery_id", d.ID), slog.Int("attempt", d.Attempts+1),
		slog.String("subscription_arn", sub.ARN), slog.String("host", hostOf(sub.URL)),
		slog.String("outcome", o.Class.String()), slog.Int("status", o.StatusCode), slog.Duration("duration", o.Duration),
	}
	if o.Err != "" {
		attrs = append(attrs, slog.String("error", o.Err))
	}
	switch status {
	case store.DeliveryPending:
		attrs = append(attrs, slog.Duration("next_in", next))
	case store.DeliveryDead:
		attrs = append(attrs, slog.String("url", redactURL(sub.URL)), slog.String("reason", reason))
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
