// Package bench measures ivvy-notify end to end on one machine: it starts
// the server in-process on loopback ports, a built-in receiver (in-process
// or a separate process), sets up accounts with confirmed subscriptions,
// publishes events through the admin API at full speed or at a fixed rate,
// and reports publish and delivery rates, publish→receive latency, CPU per
// event and peak RSS — beside the signing ceiling measured in the same run
// on the same cores: every event costs two RSA-2048 signatures, so no
// implementation can deliver more than half the signatures per second the
// cores make.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/signclock"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

// Defaults of Options.
const (
	DefaultEvents          = 10_000
	DefaultAccounts        = 4
	DefaultBatch           = 50
	DefaultConcurrency     = 4
	DefaultCeilingDuration = 3 * time.Second
	DefaultDrainTimeout    = 60 * time.Second
	DefaultHold            = 10 * time.Second
	DefaultProbes          = 20
)

// Options configure a run. Zero fields take the defaults.
type Options struct {
	// Events is how many events to publish (default 10,000, unless
	// Duration is set); with Duration, a cap (0 = none).
	Events int
	// Duration publishes for this long instead of a number of events.
	Duration time.Duration
	// Rate publishes this many events per second, on a fixed schedule
	// (open loop: a slow server makes requests late, not fewer); 0 is full
	// speed.
	Rate float64
	// RateOfCeiling, when positive, sets Rate to this fraction of the
	// signing ceiling measured in the run (the first), e.g. 0.5.
	RateOfCeiling float64
	// Accounts is how many accounts publish, round-robin, each with one
	// confirmed companies subscription to the receiver (default 4).
	Accounts int
	// Batch is how many events one publish request carries (default 50,
	// at most 100); 1 publishes each event on its own
	// (POST /v1/accounts/{id}/events).
	Batch int
	// Concurrency is how many publish requests are in flight at most
	// (default 4).
	Concurrency int
	// DatabaseURL runs the server on PostgreSQL: a scratch database is
	// created on that server for the run and dropped afterwards. Empty is
	// the embedded SQLite database in DataDir.
	DatabaseURL string
	// DataDir is the server's data directory; empty is a temporary
	// directory, removed afterwards.
	DataDir string
	// ReceiverDown makes the receiver answer every Notification 503, so
	// that deliveries pile up pending; the run then holds the backlog for
	// Hold, measuring RSS and whether publishing is still accepted.
	ReceiverDown bool
	// Progress, when set, receives a progress line (published, delivered,
	// rates); on a terminal it is redrawn in place.
	Progress io.Writer

	// ReceiverCommand, when set, runs the receiver as a separate process
	// (argv; the process must run ServeReceiver), so that its CPU is not
	// counted as the server's.
	ReceiverCommand []string
	// DeliveryWorkers and MaxInFlight override the server's defaults
	// (--delivery-workers, --max-in-flight) when positive.
	DeliveryWorkers int
	MaxInFlight     int
	// DirectSends overrides the server's --direct-sends when positive;
	// negative turns direct sends off.
	DirectSends int
	// CeilingDuration is how long the signing ceiling is measured
	// (default 3 s); negative skips it.
	CeilingDuration time.Duration
	// DrainTimeout gives up waiting for deliveries after this long without
	// a new arrival (default 60 s).
	DrainTimeout time.Duration
	// Hold is how long a ReceiverDown run keeps its backlog while
	// measuring (default 10 s); Probes single publishes are sent during
	// it (default 20).
	Hold   time.Duration
	Probes int
	// CPUProfile and MemProfile, when set, receive a CPU profile of the
	// load phase and a heap profile at its end.
	CPUProfile io.Writer
	MemProfile io.Writer
	// Logger gets the server's logs; default: warnings and errors are
	// counted and the first few kept in the Result.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Events == 0 && o.Duration == 0 {
		o.Events = DefaultEvents
	}
	o.Accounts = cmpOr(o.Accounts, DefaultAccounts)
	o.Batch = cmpOr(o.Batch, DefaultBatch)
	o.Concurrency = cmpOr(o.Concurrency, DefaultConcurrency)
	if o.CeilingDuration == 0 {
		o.CeilingDuration = DefaultCeilingDuration
	}
	o.DrainTimeout = cmpOr(o.DrainTimeout, DefaultDrainTimeout)
	o.Hold = cmpOr(o.Hold, DefaultHold)
	o.Probes = cmpOr(o.Probes, DefaultProbes)
	return o
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (o Options) validate() error {
	switch {
	case o.Events < 0 || o.Duration < 0 || o.Rate < 0 || o.RateOfCeiling < 0:
		return errors.New("bench: events, duration and rate must not be negative")
	case o.RateOfCeiling > 0 && o.CeilingDuration < 0:
		return errors.New("bench: a rate relative to the ceiling needs the ceiling measured")
	case o.Batch > notify.MaxBatch:
		return fmt.Errorf("bench: batch must be 1 to %d", notify.MaxBatch)
	case o.Accounts > 1000:
		return errors.New("bench: at most 1000 accounts")
	case o.Events > maxSegs*segSize:
		return fmt.Errorf("bench: at most %d events", maxSegs*segSize)
	}
	return nil
}

// RunConfig is what was run.
type RunConfig struct {
	Database        string  `json:"database"`
	Events          int     `json:"events"`
	DurationSeconds float64 `json:"durationSeconds,omitempty"`
	Rate            float64 `json:"rate"`
	Accounts        int     `json:"accounts"`
	Batch           int     `json:"batch"`
	Concurrency     int     `json:"concurrency"`
	ReceiverDown    bool    `json:"receiverDown"`
	ReceiverProcess bool    `json:"receiverProcess"`
	DeliveryWorkers int     `json:"deliveryWorkers"`
	MaxInFlight     int     `json:"maxInFlight"`
	DirectSends     int     `json:"directSends"`
}

// Latency summarises durations, in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Ms"`
	P95   float64 `json:"p95Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
	Mean  float64 `json:"meanMs"`
}

// CPU is a process's CPU time over the load phase.
type CPU struct {
	UserSeconds float64 `json:"userSeconds"`
	SysSeconds  float64 `json:"sysSeconds"`
	// PerEventMs is (user + sys) / events delivered (published, when the
	// receiver is down), in milliseconds.
	PerEventMs float64 `json:"perEventMs"`
	// Utilization is (user + sys) / (wall time × Machine.Cores).
	Utilization float64 `json:"utilization"`
}

// Backlog is what a ReceiverDown run measured while holding its backlog.
type Backlog struct {
	// Pending is the store's pending deliveries once publishing ended, and
	// PendingAfterHold at the end of the hold.
	Pending          int64   `json:"pending"`
	PendingAfterHold int64   `json:"pendingAfterHold"`
	HoldSeconds      float64 `json:"holdSeconds"`
	// AttemptsPerSec is the receiver's 503s per second during the hold:
	// the retry load the backlog causes.
	AttemptsPerSec float64 `json:"attemptsPerSec"`
	// RSSMB is the resident set at the end of the hold; MaxSampledRSSMB
	// the highest sampled during it (every 250 ms).
	RSSMB           float64 `json:"rssMB"`
	MaxSampledRSSMB float64 `json:"maxSampledRSSMB"`
	// Probes single publishes were sent during the hold; ProbesAccepted
	// were answered 202, in ProbeLatency.
	Probes         int      `json:"probes"`
	ProbesAccepted int      `json:"probesAccepted"`
	ProbeLatency   *Latency `json:"probeLatency"`
	ProbeError     string   `json:"probeError,omitempty"`
}

// Result is what a run measured.
type Result struct {
	Machine Machine   `json:"machine"`
	Config  RunConfig `json:"config"`
	// Ceiling is the signing ceiling, measured before the server starts;
	// nil when skipped. CeilingAfter is the same measured again
	// right after the load (not with ReceiverDown): a virtual machine's
	// speed can change within minutes, and a ratio to a ceiling measured
	// in a slow minute would flatter a load run in a fast one.
	// CeilingEventsPerSec, the mean of the two, is what ratios use.
	// CeilingChange is how much the second differs from the first, as a
	// fraction of the first (-0.2: the machine signed 20 % slower after
	// the load): a large change means the machine's speed moved during
	// the run, and the ratios are uncertain by about half of it.
	Ceiling             *Ceiling `json:"ceiling"`
	CeilingAfter        *Ceiling `json:"ceilingAfter,omitempty"`
	CeilingEventsPerSec float64  `json:"ceilingEventsPerSec,omitempty"`
	CeilingChange       float64  `json:"ceilingChange,omitempty"`

	// Sent events were in publish requests; Published were acknowledged
	// (202) with one delivery each; PublishErrors were in requests that
	// failed (FirstPublishError says why); NoDelivery were acknowledged
	// without a delivery (no confirmed subscription: a setup fault).
	Sent              int    `json:"sent"`
	Published         int    `json:"published"`
	PublishErrors     int    `json:"publishErrors"`
	FirstPublishError string `json:"firstPublishError,omitempty"`
	NoDelivery        int    `json:"noDelivery"`
	// Delivered acknowledged events arrived at least once; Missing did not
	// (within DrainTimeout); Duplicates counts extra arrivals; Unexpected
	// counts Notifications that are none of the run's events.
	Delivered  int `json:"delivered"`
	Missing    int `json:"missing"`
	Duplicates int `json:"duplicates"`
	Unexpected int `json:"unexpected"`
	// Refused counts the 503s of a ReceiverDown run.
	Refused int64 `json:"refused"`

	// PublishSeconds runs from the first publish request's start to the
	// last acknowledgement; DeliverSeconds to the last arrival.
	PublishSeconds  float64 `json:"publishSeconds"`
	DeliverSeconds  float64 `json:"deliverSeconds"`
	PublishedPerSec float64 `json:"publishedPerSec"`
	DeliveredPerSec float64 `json:"deliveredPerSec"`
	// SustainedPerSec is the steady-state rate: over the middle of the
	// publishing, the lower of events acknowledged and events arrived per
	// second (see sustained).
	SustainedPerSec float64 `json:"sustainedPerSec"`

	// Latency runs from the start of the publish request that carried the
	// event to its arrival at the receiver; LatencyFromAck from the
	// publisher's reading of the 202 (0 when the notification arrived
	// before, which ArrivedBeforeAck counts). PublishRequest is the
	// duration of publish requests; ScheduleLag (with Rate) how late
	// requests started against the schedule.
	Latency        *Latency `json:"latency"`
	LatencyFromAck *Latency `json:"latencyFromAck"`
	// LatencyFromSchedule (with Rate) runs from the time the schedule
	// meant the request to start: unlike Latency, it does not hide the
	// waiting of requests that started late because the publishers were
	// all busy.
	LatencyFromSchedule *Latency `json:"latencyFromSchedule,omitempty"`
	ArrivedBeforeAck    int      `json:"arrivedBeforeAck"`
	PublishRequest      *Latency `json:"publishRequest"`
	ScheduleLag         *Latency `json:"scheduleLag,omitempty"`

	// CPU is this process's CPU time over the load phase (from the first
	// publish to the last arrival, or to the end of publishing when the
	// receiver is down): the server, the publishers and, unless it runs in
	// its own process (ReceiverCPU), the receiver.
	CPU CPU `json:"cpu"`
	// OtherCPUCores is how many cores other processes (not the bench, nor
	// its receiver process) kept busy on average during the load, from
	// /proc/stat; -1 when unknown. A figure above a few tenths means the
	// machine was shared and the run is not representative — except that
	// on PostgreSQL it includes the database server.
	OtherCPUCores float64 `json:"otherCPUCores"`
	// StolenCPUCores is how many cores the hypervisor gave to other
	// virtual machines on average during the load (steal in /proc/stat;
	// -1 when unknown): CPU this machine wanted and did not get, so the
	// utilisation cannot reach 100 % and the run's rates are low against
	// a ceiling measured in a quieter moment.
	StolenCPUCores float64 `json:"stolenCPUCores"`
	ReceiverCPU    *CPU    `json:"receiverCPU,omitempty"`
	// SigningShare estimates the part of CPU spent on RSA signatures:
	// 2 × events × the ceilings' mean CPU per signature / CPU.
	SigningShare float64 `json:"signingShare"`
	// SigningPrice compares what a signature cost during the load with
	// what it cost in the ceilings; nil when either is unknown.
	SigningPrice *SigningPrice `json:"signingPrice,omitempty"`
	// loadSignature is the load's signclock reading (SigningPrice).
	loadSignature signclock.Reading
	// PeakRSSMB is this process's peak resident set (getrusage Maxrss),
	// setup and ceiling included.
	PeakRSSMB         float64 `json:"peakRSSMB"`
	ReceiverPeakRSSMB float64 `json:"receiverPeakRSSMB,omitempty"`

	// DeliveredOverCeiling is DeliveredPerSec / CeilingEventsPerSec;
	// SustainedOverCeiling is SustainedPerSec / CeilingEventsPerSec.
	DeliveredOverCeiling float64 `json:"deliveredOverCeiling"`
	SustainedOverCeiling float64 `json:"sustainedOverCeiling"`

	// DB is how the server's database connections were used during the
	// load.
	DB *DBStats `json:"db,omitempty"`

	Backlog *Backlog `json:"backlog,omitempty"`

	// LogWarnings counts the server's warning and error records;
	// LogSample holds the first few.
	LogWarnings int64    `json:"logWarnings"`
	LogSample   []string `json:"logSample,omitempty"`
}

// run is one bench run in progress.
type run struct {
	opts  Options
	base  time.Time
	wall  int64 // base as Unix nanoseconds, for the receiver process's times
	runID string
	rec   records

	srv      *app.Server
	admin    *adminClient
	accounts []string
	rcv      *receiver
	ext      *externalReceiver
	rcvURL   string
	logs     *countingHandler

	sent, acked, errs, noDelivery atomic.Int64
	arrived, dups, unexpected     atomic.Int64
	refused                       atomic.Int64
	errMu                         sync.Mutex
	firstErr                      string
	reqMu                         sync.Mutex
	reqDurations                  []int64
	lagDurations                  []int64

	confMu    sync.Mutex
	confirmed map[string]bool
	failMu    sync.Mutex
	failures  []string
}

// Run sets everything up, measures the ceiling, runs the load and reports.
func Run(ctx context.Context, opts Options) (res *Result, err error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	r := &run{opts: opts, base: time.Now(), confirmed: map[string]bool{}}
	r.wall = r.base.UnixNano()
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	r.runID = hex.EncodeToString(id)
	if opts.Events > 0 {
		r.rec.ensure(opts.Events - 1)
	}
	mach := machine()
	var before *Ceiling
	if opts.CeilingDuration > 0 {
		// Before the server starts: once set up, it still polls its
		// queue fast for a while after the confirmations and collects
		// the setup's garbage, CPU the ceiling would count as signing's.
		r.progressf("measuring the signing ceiling for %s…", opts.CeilingDuration)
		if before, err = MeasureCeiling(ctx, opts.CeilingDuration); err != nil {
			return nil, err
		}
	}

	var cleanups []func()
	defer func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}()
	dataDir := opts.DataDir
	if dataDir == "" {
		if dataDir, err = os.MkdirTemp("", "ivvy-notify-bench-"); err != nil {
			return nil, err
		}
		cleanups = append(cleanups, func() { _ = os.RemoveAll(dataDir) })
	}
	dbURL := opts.DatabaseURL
	if dbURL != "" {
		var drop func()
		if dbURL, drop, err = scratchDatabase(ctx, dbURL); err != nil {
			return nil, err
		}
		cleanups = append(cleanups, drop)
	}

	if err := r.startReceiver(ctx); err != nil {
		return nil, err
	}
	cleanups = append(cleanups, r.closeReceiver)
	stop, err := r.startServer(ctx, dataDir, dbURL)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, stop)

	r.progressf("setting up %d accounts…", opts.Accounts)
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	res = &Result{Machine: mach, Config: r.config(dbURL != ""), Ceiling: before}
	if before != nil && opts.RateOfCeiling > 0 {
		r.opts.Rate = opts.RateOfCeiling * before.EventsPerSec
		res.Config.Rate = r.opts.Rate
		r.progressf("publishing at %.0f events/s (%.2f of the ceiling)", r.opts.Rate, opts.RateOfCeiling)
	}
	if opts.ReceiverDown {
		if err := r.setDown(true); err != nil {
			return nil, err
		}
	}
	if err := r.load(ctx, res); err != nil {
		return nil, err
	}
	if res.Ceiling != nil && !opts.ReceiverDown {
		// The server is stopped first: right after a load it still polls
		// the queue fast for a while (delivery.Config.BusyWindow) and
		// collects the load's garbage, CPU the ceiling would count as
		// signing's. The first ceiling ran before it started.
		stop()
		r.progressf("measuring the signing ceiling again for %s…", opts.CeilingDuration)
		if res.CeilingAfter, err = MeasureCeiling(ctx, opts.CeilingDuration); err != nil {
			return nil, err
		}
	}
	res.applyCeilings()
	return res, nil
}

func (r *run) config(postgres bool) RunConfig {
	o := r.opts
	c := RunConfig{
		Database: "sqlite", Events: o.Events, DurationSeconds: o.Duration.Seconds(), Rate: o.Rate,
		Accounts: o.Accounts, Batch: o.Batch, Concurrency: o.Concurrency, ReceiverDown: o.ReceiverDown,
		ReceiverProcess: len(o.ReceiverCommand) > 0,
		DeliveryWorkers: r.srv.Config.DeliveryWorkers, MaxInFlight: r.srv.Config.MaxInFlight,
		DirectSends: r.srv.Config.DirectSends,
	}
	if postgres {
		c.Database = "postgres"
	}
	return c
}

// hooks binds the receiver's reports to the run.
func (r *run) hooks(external bool) receiverHooks {
	return receiverHooks{
		notification: func(txn []byte, at time.Time, refused bool) {
			var off int64
			if external {
				off = max(1, at.UnixNano()-r.wall)
			} else {
				off = max(1, int64(at.Sub(r.base)))
			}
			r.notification(txn, off, refused)
		},
		confirmed: func(path string) {
			r.confMu.Lock()
			r.confirmed[path] = true
			r.confMu.Unlock()
		},
		failure: func(err error) {
			r.failMu.Lock()
			if len(r.failures) < 5 {
				r.failures = append(r.failures, err.Error())
			}
			r.failMu.Unlock()
		},
	}
}

// notification records one arrival.
func (r *run) notification(txn []byte, at int64, refused bool) {
	if refused {
		r.refused.Add(1)
		return
	}
	rec := r.rec.get(r.index(txn))
	if rec == nil {
		r.unexpected.Add(1)
		return
	}
	if rec.arrival.CompareAndSwap(0, at) {
		r.arrived.Add(1)
	} else {
		r.dups.Add(1)
	}
}

// txnID is event i's TxnId: the run's id and the index, 32 hex digits.
func (r *run) txnID(i int) string {
	const digits = "0123456789abcdef"
	var b [32]byte
	copy(b[:16], r.runID)
	for k := 31; k >= 16; k-- {
		b[k] = digits[i&15]
		i >>= 4
	}
	return string(b[:])
}

// index parses a TxnId of this run back to its index, -1 if it is not one.
func (r *run) index(txn []byte) int {
	if len(txn) != 32 || string(txn[:16]) != r.runID {
		return -1
	}
	n := 0
	for _, c := range txn[16:] {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | int(c-'a'+10)
		default:
			return -1
		}
	}
	return n
}

func (r *run) startReceiver(ctx context.Context) error {
	if len(r.opts.ReceiverCommand) > 0 {
		ext, err := startExternalReceiver(ctx, r.opts.ReceiverCommand, r.hooks(true))
		if err != nil {
			return err
		}
		r.ext, r.rcvURL = ext, ext.url
		return nil
	}
	rcv, err := startReceiver(r.hooks(false))
	if err != nil {
		return err
	}
	r.rcv, r.rcvURL = rcv, rcv.URL()
	return nil
}

func (r *run) closeReceiver() {
	if r.ext != nil {
		r.ext.close()
	}
	if r.rcv != nil {
		r.rcv.close()
	}
}

func (r *run) setDown(down bool) error {
	if r.ext != nil {
		return r.ext.setDown(down)
	}
	r.rcv.down.Store(down)
	return nil
}

// startServer starts ivvy-notify in this process on loopback ports; the
// returned function shuts it down.
func (r *run) startServer(ctx context.Context, dataDir, dbURL string) (func(), error) {
	cfg := config.Default()
	cfg.DataDir, cfg.DatabaseURL = dataDir, dbURL
	cfg.Listen, cfg.AdminListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.AllowPrivateEndpoints = true
	cfg.ShutdownTimeout = 10 * time.Second
	cfg.LogLevel = "warn"
	if r.opts.DeliveryWorkers > 0 {
		cfg.DeliveryWorkers = r.opts.DeliveryWorkers
	}
	if r.opts.MaxInFlight > 0 {
		cfg.MaxInFlight = r.opts.MaxInFlight
	}
	if r.opts.DirectSends != 0 {
		cfg.DirectSends = max(r.opts.DirectSends, 0)
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	cfg.AdminToken = hex.EncodeToString(tok)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := r.opts.Logger
	if log == nil {
		r.logs = &countingHandler{state: &countingState{}}
		log = slog.New(r.logs)
	}
	srv, err := app.NewServer(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("bench: server: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	r.srv = srv
	r.admin = newAdminClient(srv.AdminURL(), srv.AdminToken(), r.opts.Concurrency+r.opts.Probes)
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(cfg.ShutdownTimeout + 10*time.Second):
			}
		})
	}, nil
}

// setup creates the accounts, their API keys and one companies
// subscription each to the receiver (through the iVvy API), and waits
// until every subscription is confirmed.
func (r *run) setup(ctx context.Context) error {
	for i := range r.opts.Accounts {
		var acct struct{ ID string }
		if err := r.admin.json(ctx, "POST", "/v1/accounts", fmt.Sprintf(`{"name":"bench %d"}`, i+1), 201, &acct); err != nil {
			return err
		}
		var key struct{ Key, Secret string }
		if err := r.admin.json(ctx, "POST", "/v1/accounts/"+acct.ID+"/keys", `{}`, 201, &key); err != nil {
			return err
		}
		_, err := ivvyclient.New(r.srv.PublicURL, key.Key, key.Secret).SubscribeToNotifications(ctx,
			ivvyclient.Endpoints{Companies: r.rcvURL + "/account/" + acct.ID})
		if err != nil {
			return fmt.Errorf("bench: subscribe: %w", err)
		}
		r.accounts = append(r.accounts, acct.ID)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		r.confMu.Lock()
		n := len(r.confirmed)
		r.confMu.Unlock()
		if n == len(r.accounts) {
			return nil
		}
		if err := r.failure(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: only %d of %d subscriptions confirmed after 60s", n, len(r.accounts))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// failure returns the receiver's first failure, if any.
func (r *run) failure() error {
	r.failMu.Lock()
	defer r.failMu.Unlock()
	if len(r.failures) > 0 {
		return errors.New(r.failures[0])
	}
	return nil
}

// now is the time since the run's base, in nanoseconds.
func (r *run) now() int64 { return int64(time.Since(r.base)) }

// load publishes, waits for the deliveries (or holds the backlog), and
// fills in res.
func (r *run) load(ctx context.Context, res *Result) error {
	if r.opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(r.opts.CPUProfile); err != nil {
			return fmt.Errorf("bench: cpu profile: %w", err)
		}
	}
	profiling := r.opts.CPUProfile != nil
	stopProfile := func() {
		if profiling {
			pprof.StopCPUProfile()
			profiling = false
		}
	}
	defer stopProfile()
	var rcv0 rusage
	if r.ext != nil {
		var err error
		if rcv0, err = r.ext.rusage(); err != nil {
			return err
		}
	}
	mon := newDBMonitor(r.srv.Store)
	mon.start()
	meter := signclock.Start(priceSampleEvery)
	stat0, cpu0, t0 := readCPUStat(), getRusage(), r.now()
	prog := newProgress(r.opts.Progress)
	progDone := make(chan struct{})
	var progWG sync.WaitGroup
	progWG.Go(func() { r.reportProgress(prog, t0, progDone) })

	total := r.publishAll(ctx, t0)
	if !r.opts.ReceiverDown {
		r.drain(ctx, total)
	}
	stat1, cpu1, t1 := readCPUStat(), getRusage(), r.now()
	res.loadSignature = meter.Stop()
	res.DB = mon.finish(time.Duration(t1 - t0))
	var rcv1 rusage
	if r.ext != nil {
		var err error
		if rcv1, err = r.ext.rusage(); err != nil {
			return err
		}
	}
	ours := cpu1.cpu() - cpu0.cpu() + rcv1.cpu() - rcv0.cpu()
	res.OtherCPUCores = otherCores(stat0, stat1, ours, time.Duration(t1-t0))
	res.StolenCPUCores = stolenCores(stat0, stat1, time.Duration(t1-t0))
	mon.snoozes(ctx, res.DB)
	if r.opts.ReceiverDown {
		b, err := r.hold(ctx, total)
		if err != nil {
			return err
		}
		res.Backlog = b
	}
	stopProfile()
	close(progDone)
	progWG.Wait()
	prog.finish()
	if r.opts.MemProfile != nil {
		if err := pprof.Lookup("heap").WriteTo(r.opts.MemProfile, 0); err != nil {
			return fmt.Errorf("bench: heap profile: %w", err)
		}
	}
	r.summarise(res, total, t0, t1, cpu0, cpu1)
	if r.ext != nil {
		res.ReceiverCPU = cpuOf(rcv0, rcv1, res.Delivered, t1-t0)
		res.ReceiverPeakRSSMB = float64(rcv1.maxRSSKB) / 1024
	}
	if err := r.failure(); err != nil {
		return err
	}
	return ctx.Err()
}

// drain waits until every acknowledged event has arrived, or nothing has
// arrived for DrainTimeout.
func (r *run) drain(ctx context.Context, total int) {
	last, since := r.arrived.Load(), time.Now()
	for ctx.Err() == nil {
		n := r.arrived.Load()
		if n >= r.acked.Load() && r.allArrived(total) {
			return
		}
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > r.opts.DrainTimeout {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// allArrived checks every acknowledged event of the first total.
func (r *run) allArrived(total int) bool {
	for i := range total {
		if rec := r.rec.get(i); rec.ack != 0 && rec.arrival.Load() == 0 {
			return false
		}
	}
	return true
}

// hold keeps the backlog of a ReceiverDown run for Hold, sampling RSS and
// sending probe publishes, which must still be accepted.
func (r *run) hold(ctx context.Context, total int) (*Backlog, error) {
	stats, err := r.srv.Store.DeliveryStats(ctx)
	if err != nil {
		return nil, err
	}
	b := &Backlog{Pending: stats.Pending}
	refused0, start := r.refused.Load(), time.Now()
	var maxRSS int64
	var probes []int64
	every := r.opts.Hold / time.Duration(r.opts.Probes)
	nextProbe := start
	// Hold for Hold, and until every probe has been sent.
	for (time.Since(start) < r.opts.Hold || b.Probes < r.opts.Probes) && ctx.Err() == nil {
		maxRSS = max(maxRSS, currentRSSKB())
		if b.Probes < r.opts.Probes && !time.Now().Before(nextProbe) {
			idx := total + b.Probes
			r.rec.ensure(idx)
			body := r.appendEvent(nil, idx)
			t := time.Now()
			path := "/v1/accounts/" + r.accounts[b.Probes%len(r.accounts)] + "/events"
			raw, code, err := r.admin.do(ctx, "POST", path, body)
			if err == nil && code == http.StatusAccepted {
				probes = append(probes, int64(time.Since(t)))
				b.ProbesAccepted++
			} else if b.ProbeError == "" {
				b.ProbeError = fmt.Sprintf("HTTP %d: %v %s", code, err, bytes.TrimSpace(raw))
			}
			b.Probes++
			nextProbe = nextProbe.Add(every)
			continue
		}
		time.Sleep(min(250*time.Millisecond, max(time.Until(nextProbe), time.Millisecond)))
	}
	b.HoldSeconds = time.Since(start).Seconds()
	b.AttemptsPerSec = float64(r.refused.Load()-refused0) / b.HoldSeconds
	b.ProbeLatency = summarise(probes)
	rss := currentRSSKB()
	b.RSSMB, b.MaxSampledRSSMB = float64(rss)/1024, float64(max(maxRSS, rss))/1024
	if stats, err = r.srv.Store.DeliveryStats(ctx); err != nil {
		return nil, err
	}
	b.PendingAfterHold = stats.Pending
	return b, nil
}

// reportProgress redraws the progress line until done.
func (r *run) reportProgress(p *progress, t0 int64, done <-chan struct{}) {
	if p == nil {
		return
	}
	t := time.NewTicker(p.every)
	defer t.Stop()
	var lastPub, lastDel int64
	lastT := r.now()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		now := r.now()
		pub, del := r.acked.Load(), r.arrived.Load()
		dt := float64(now-lastT) / 1e9
		line := "published " + groupInt(pub)
		if r.opts.Events > 0 {
			line += "/" + groupInt(int64(r.opts.Events)) + " " + bar(float64(pub)/float64(r.opts.Events), 20)
		}
		if r.opts.ReceiverDown {
			line += fmt.Sprintf("  refused %s  %s/s", groupInt(r.refused.Load()), groupInt(int64(float64(pub-lastPub)/dt)))
		} else {
			line += fmt.Sprintf("  delivered %s  (%s/s published, %s/s delivered)", groupInt(del),
				groupInt(int64(float64(pub-lastPub)/dt)), groupInt(int64(float64(del-lastDel)/dt)))
		}
		line += fmt.Sprintf("  %.0fs", float64(now-t0)/1e9)
		p.update(line)
		lastPub, lastDel, lastT = pub, del, now
	}
}

func (r *run) progressf(format string, args ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, format+"\n", args...)
	}
}
