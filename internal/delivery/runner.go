package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// Runner defaults.
const (
	// DefaultMaxWorkers is how many deliveries one node sends at once.
	DefaultMaxWorkers = 50
	// DefaultFetchPollInterval is how often the queue is polled for work
	// while it is busy (see Config.Wake), or always without a Wake: for
	// retries coming due and for jobs whose commit did not wake the
	// producer (on SQLite the store wakes it, see package jobwake;
	// PostgreSQL notifies at most once per 100 ms).
	DefaultFetchPollInterval = 10 * time.Millisecond
	// DefaultFetchCooldown is the least time between two fetches.
	DefaultFetchCooldown = 5 * time.Millisecond
	// DefaultMaxInFlight is each subscription's limit of requests in flight.
	// SNS itself sets none; the limit keeps a slow or dead endpoint from
	// holding every worker (with 50 workers, it takes seven at once). It
	// also caps one subscription's rate at MaxInFlight ÷ request time: 4
	// held a fast receiver's deliveries behind publishing on a busy node
	// (docs/benchmarks.md), 8 did not.
	DefaultMaxInFlight = 8
	// DefaultRetention is how long attempts stay in the attempt log.
	DefaultRetention = 30 * 24 * time.Hour
	// infraMaxAttempts bounds River's own retries, which happen only when
	// a job fails for the server's reasons (e.g. a database error), never
	// for a receiver's: those are the delivery policy's snoozes.
	infraMaxAttempts = 100
	// MinRetryAfter and MaxRetryAfter bound the receiver's Retry-After.
	MinRetryAfter = time.Second
	MaxRetryAfter = time.Hour
	// jobTimeoutMargin is added to the request timeout to bound a whole
	// job (loading and recording included).
	jobTimeoutMargin = 30 * time.Second
	// rescueMargin is how long past the job timeout a job left running is
	// presumed orphaned by a dead node.
	rescueMargin = 15 * time.Second
	// hardStopGrace bounds the wait for cancelled jobs to return once
	// Stop's own bound has passed.
	hardStopGrace = 5 * time.Second
)

// Config configures a Runner. Zero fields take the defaults.
type Config struct {
	// MaxWorkers is how many deliveries run at once on this node, across
	// all subscriptions; default 50.
	MaxWorkers int
	// MaxInFlight is each subscription's limit of requests in flight;
	// default 4.
	MaxInFlight int
	// RequestTimeout bounds one HTTP attempt; default 15 s.
	RequestTimeout time.Duration
	// Policy is the SSRF policy checked on every connection.
	Policy webhookurl.Policy
	// Planner resolves subscriptions' delivery policies (required).
	Planner Planner
	// Gate limits subscriptions' requests; default a LocalGate.
	Gate Gate
	// OnAttempt, when set, observes every attempt (metrics).
	OnAttempt func(o Outcome, final store.DeliveryStatus)
	// ConfirmationRetry is the retry schedule (a RetryDelay) of
	// SubscriptionConfirmation and UnsubscribeConfirmation deliveries,
	// whatever the subscription's or account's policy; default
	// SNSConfirmationRetry. What it gives up on goes to the dead letters.
	ConfirmationRetry func(n int) (time.Duration, bool)
	// Retention is how long the attempt log keeps attempts; default 30 days.
	Retention time.Duration
	// RetentionInterval is how often old attempts and expired tokens are
	// deleted; default 1 h.
	RetentionInterval time.Duration
	// Logger gets the runner's and the queue's logs; default slog.Default().
	Logger *slog.Logger
	// FetchPollInterval is how often the queue is polled; default 10 ms.
	// With a Wake, only while the queue is busy (see BusyWindow).
	FetchPollInterval time.Duration
	// Wake, when set, makes the queue's producer look for jobs at once
	// (package jobwake). The runner then calls it every
	// FetchPollInterval for BusyWindow after each job it works, and River
	// itself polls only every IdlePollInterval, so an idle server does not
	// poll a hundred times a second. Without it River polls every
	// FetchPollInterval.
	Wake func()
	// BusyWindow is how long the runner keeps waking the producer after a
	// job; default 10 s.
	BusyWindow time.Duration
	// IdlePollInterval is River's own poll when there is a Wake; default 1 s.
	IdlePollInterval time.Duration
	// FetchCooldown is the least time between fetches; default 5 ms.
	FetchCooldown time.Duration
	// Poster sends the attempts; default NewSender(Policy, RequestTimeout).
	Poster Poster
	// DirectSends is how many first attempts may be sent at once right
	// after their publish commits, without the queue (see Direct), beside
	// the MaxWorkers of the queue; default 512, negative for none.
	DirectSends int
	// OnDirect, when set, counts what became of the deliveries offered to
	// direct sends: DirectSent, DirectReleased or DirectNoRoom (metrics).
	OnDirect func(result string, n int)
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	c.MaxWorkers = cmpOr(c.MaxWorkers, DefaultMaxWorkers)
	c.MaxInFlight = cmpOr(c.MaxInFlight, DefaultMaxInFlight)
	c.RequestTimeout = cmpOr(c.RequestTimeout, DefaultRequestTimeout)
	c.Retention = cmpOr(c.Retention, DefaultRetention)
	c.RetentionInterval = cmpOr(c.RetentionInterval, time.Hour)
	c.FetchPollInterval = cmpOr(c.FetchPollInterval, DefaultFetchPollInterval)
	c.FetchCooldown = cmpOr(c.FetchCooldown, DefaultFetchCooldown)
	c.BusyWindow = cmpOr(c.BusyWindow, DefaultBusyWindow)
	c.IdlePollInterval = cmpOr(c.IdlePollInterval, DefaultIdlePollInterval)
	if c.DirectSends == 0 {
		c.DirectSends = DefaultDirectSends
	}
	if c.Gate == nil {
		c.Gate = NewLocalGate()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Poster == nil {
		c.Poster = NewSender(c.Policy, c.RequestTimeout)
	}
	return c
}

// cmpOr returns v, or def when v is zero or negative.
func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Validate reports the first invalid field of a defaulted Config.
func (c Config) Validate() error {
	switch {
	case c.Planner == nil:
		return errors.New("delivery: a Planner is required")
	case c.MaxWorkers < 1 || c.MaxWorkers > 10_000:
		return fmt.Errorf("delivery: MaxWorkers must be 1–10000, got %d", c.MaxWorkers)
	case c.FetchPollInterval < c.FetchCooldown:
		return fmt.Errorf("delivery: FetchPollInterval (%s) must not be shorter than FetchCooldown (%s)",
			c.FetchPollInterval, c.FetchCooldown)
	case c.IdlePollInterval < c.FetchPollInterval:
		return fmt.Errorf("delivery: IdlePollInterval (%s) must not be shorter than FetchPollInterval (%s)",
			c.IdlePollInterval, c.FetchPollInterval)
	}
	return nil
}

// Runner owns the job queue client that works the deliveries queue.
type Runner[TTx any] struct {
	client *river.Client[TTx]
	logger *slog.Logger
	// pulse wakes the producer while busy; nil without Config.Wake.
	pulse *pulse
	// stopPulse ends the pulse's goroutine; set by Start.
	stopPulse context.CancelFunc
	// direct sends first attempts without the queue; nil when off.
	direct *Direct
}

// New builds a Runner working jobs.QueueDeliveries through driver, which
// must reach the database st enqueues delivery jobs in. It also runs the
// retention job and the release of ended holds periodically, on one node
// at a time (River's leader).
func New[TTx any](driver riverdriver.Driver[TTx], st store.Store, cfg Config) (*Runner[TTx], error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var p *pulse
	poll := cfg.FetchPollInterval
	if cfg.Wake != nil {
		p = newPulse(cfg.Wake, cfg.FetchPollInterval, cfg.BusyWindow, time.Now)
		poll = cfg.IdlePollInterval
	}
	workers := river.NewWorkers()
	wcfg := WorkerConfig{
		Planner: cfg.Planner, Gate: cfg.Gate, MaxInFlight: cfg.MaxInFlight, OnAttempt: cfg.OnAttempt, Logger: cfg.Logger,
		ConfirmationRetry: cfg.ConfirmationRetry,
	}
	if p != nil {
		wcfg.OnWork = p.worked
	}
	worker := NewWorker(st, cfg.Poster, wcfg)
	river.AddWorker(workers, worker)
	river.AddWorker(workers, &RetentionWorker{Store: st, Retention: cfg.Retention, Logger: cfg.Logger})
	river.AddWorker(workers, &ReleaseHoldsWorker{Store: st, Logger: cfg.Logger})
	client, err := river.NewClient(driver, &river.Config{
		Queues: map[string]river.QueueConfig{
			jobs.QueueDeliveries: {MaxWorkers: cfg.MaxWorkers},
			// Retention is periodic and never urgent: River's default polling.
			jobs.QueueMaintenance: {MaxWorkers: 1, FetchPollInterval: time.Second, FetchCooldown: 100 * time.Millisecond},
		},
		Workers: workers,
		PeriodicJobs: []*river.PeriodicJob{
			maintenanceJob(cfg.RetentionInterval, jobs.Retention{}),
			maintenanceJob(HoldReleaseInterval, jobs.ReleaseHolds{}),
		},
		MaxAttempts: infraMaxAttempts,
		JobTimeout:  cfg.RequestTimeout + jobTimeoutMargin,
		// A job still "running" after this belonged to a node that died:
		// another node (or this one, restarted) takes it over.
		RescueStuckJobsAfter: cfg.RequestTimeout + jobTimeoutMargin + rescueMargin,
		FetchPollInterval:    poll,
		FetchCooldown:        cfg.FetchCooldown,
		Logger:               riverLogger(cfg.Logger),
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: job queue: %w", err)
	}
	r := &Runner[TTx]{client: client, logger: cfg.Logger, pulse: p}
	if cfg.DirectSends > 0 {
		// A delivery held for a direct send waits as long as the queue
		// lets a job run, so a send in flight never meets the queue's
		// attempt.
		r.direct = newDirect(worker, cfg.DirectSends, cfg.RequestTimeout+jobTimeoutMargin, cfg.OnDirect)
	}
	return r, nil
}

// Direct returns the runner's direct sender, nil when Config.DirectSends
// turned it off.
func (r *Runner[TTx]) Direct() *Direct { return r.direct }

// Client returns the job queue client, e.g. to subscribe to job events.
func (r *Runner[TTx]) Client() *river.Client[TTx] { return r.client }

// Start starts working deliveries in the background. Jobs run under ctx:
// cancelling it stops the runner too, so pass a context that lives as long
// as the runner and end it with Stop.
func (r *Runner[TTx]) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("delivery: start: %w", err)
	}
	if r.pulse != nil {
		pctx, cancel := context.WithCancel(ctx)
		r.stopPulse = cancel
		go r.pulse.run(pctx)
	}
	return nil
}

// Stop stops fetching and waits for the deliveries in flight to finish,
// for as long as ctx allows. If ctx ends first, the remaining attempts are
// cancelled (River makes their jobs available again, not counting the
// attempt), Stop waits up to 5 s more for them to return, and it returns
// ctx's error.
func (r *Runner[TTx]) Stop(ctx context.Context) error {
	// Direct sends and the queue's jobs finish side by side, each within
	// ctx; a direct send cut short is released to the queue, for the next
	// start (or another node) if the queue has stopped.
	derr := make(chan error, 1)
	go func() {
		if r.direct == nil {
			derr <- nil
			return
		}
		derr <- r.direct.Stop(ctx)
	}()
	if r.stopPulse != nil {
		r.stopPulse()
	}
	err := r.client.Stop(ctx)
	if err != nil {
		r.logger.WarnContext(ctx, "delivery: graceful stop timed out; cancelling deliveries in flight")
		hctx, cancel := context.WithTimeout(context.Background(), hardStopGrace)
		defer cancel()
		if herr := r.client.StopAndCancel(hctx); herr != nil {
			err = errors.Join(err, herr)
		}
	}
	if e := <-derr; e != nil {
		err = errors.Join(e, err)
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("delivery: stop: %w", err)
}
