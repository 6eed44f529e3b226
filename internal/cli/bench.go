package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/bench"
)

// benchFlags are the bench command's flags.
type benchFlags struct {
	opts            bench.Options
	json            bool
	quiet           bool
	receiverProcess bool
	cpuProfile      string
	memProfile      string
}

func newBenchCmd(io IO) *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure publish and delivery throughput, latency, CPU and memory against this machine's signing ceiling",
		Long: "bench starts the server in this process on loopback ports (a temporary data directory, or a scratch\n" +
			"PostgreSQL database with --database-url) and a built-in receiver, subscribes --accounts accounts\n" +
			"through the iVvy API, publishes CompanyAdded events through the admin API at full speed or at\n" +
			"--rate, and reports events/s published and delivered, publish→receive latency, CPU per event and\n" +
			"peak RSS, beside the signing ceiling measured in the same run: every event costs two RSA-2048\n" +
			"signatures, so half the signatures/s the cores make is the most any implementation can deliver.\n" +
			"See docs/benchmarks.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return f.run(cmd, io) },
	}
	fs := cmd.Flags()
	o := &f.opts
	fs.IntVar(&o.Events, "events", 0, fmt.Sprintf("events to publish (default %d; with --duration, a cap)", bench.DefaultEvents))
	fs.DurationVar(&o.Duration, "duration", 0, "publish for this long instead of a number of events")
	fs.Float64Var(&o.Rate, "rate", 0, "events per second on a fixed schedule (0 = full speed)")
	fs.Float64Var(&o.RateOfCeiling, "rate-of-ceiling", 0, "events per second as a fraction of the signing ceiling measured in the run, e.g. 0.5 (instead of --rate)")
	fs.IntVar(&o.Accounts, "accounts", bench.DefaultAccounts, "accounts publishing round-robin, one confirmed subscription each")
	fs.IntVar(&o.Batch, "batch", bench.DefaultBatch, "events per publish request (1 = single publishes, at most 100)")
	fs.IntVar(&o.Concurrency, "concurrency", bench.DefaultConcurrency, "publish requests in flight")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "PostgreSQL server to run on (a scratch database is created and dropped); default SQLite")
	fs.StringVar(&o.DataDir, "data-dir", "", "the server's data directory (default: a temporary directory, removed afterwards)")
	fs.BoolVar(&o.ReceiverDown, "receiver-down", false, "the receiver answers 503: measure RSS with the deliveries pending and that publishing is still accepted")
	fs.DurationVar(&o.Hold, "hold", bench.DefaultHold, "with --receiver-down: how long to hold the backlog while measuring")
	fs.IntVar(&o.Probes, "probes", bench.DefaultProbes, "with --receiver-down: single publishes sent during the hold")
	fs.IntVar(&o.DeliveryWorkers, "delivery-workers", 0, "override the server's --delivery-workers (0 = its default)")
	fs.IntVar(&o.MaxInFlight, "max-in-flight", 0, "override the server's --max-in-flight (0 = its default)")
	fs.IntVar(&o.DirectSends, "direct-sends", 0, "override the server's --direct-sends (0 = its default, -1 = none: every attempt through the queue)")
	fs.DurationVar(&o.CeilingDuration, "ceiling-duration", bench.DefaultCeilingDuration, "how long to measure the signing ceiling (0: skip)")
	fs.DurationVar(&o.DrainTimeout, "drain-timeout", bench.DefaultDrainTimeout, "give up waiting for deliveries after this long without an arrival")
	fs.BoolVar(&f.receiverProcess, "receiver-process", false, "run the receiver in a separate process, so that its CPU is not counted as the server's")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress on stderr")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (pprof) of the load phase to this file")
	fs.StringVar(&f.memProfile, "memprofile", "", "write a heap profile (pprof) at the end of the load to this file")
	cmd.AddCommand(newBenchReceiverCmd(io))
	return cmd
}

func (f *benchFlags) run(cmd *cobra.Command, io IO) error {
	app.AddSpareProc() // as serve does: the bench runs the server in this process
	if f.opts.CeilingDuration == 0 {
		f.opts.CeilingDuration = -1
	}
	if !f.quiet {
		f.opts.Progress = io.Stderr
	}
	if f.receiverProcess {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("--receiver-process: %w", err)
		}
		f.opts.ReceiverCommand = []string{exe, "bench", "receiver"}
	}
	if f.cpuProfile != "" {
		w, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer w.Close()
		f.opts.CPUProfile = w
	}
	if f.memProfile != "" {
		w, err := os.Create(f.memProfile)
		if err != nil {
			return err
		}
		defer w.Close()
		f.opts.MemProfile = w
	}
	start := time.Now()
	res, err := bench.Run(cmd.Context(), f.opts)
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(io.Stdout, res)
	}
	if err := bench.WriteText(io.Stdout, res); err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "(whole run %.1f s)\n", time.Since(start).Seconds())
	return nil
}

// newBenchReceiverCmd is the receiver process of bench --receiver-process.
func newBenchReceiverCmd(io IO) *cobra.Command {
	return &cobra.Command{
		Use:    "receiver",
		Short:  "The built-in receiver of bench --receiver-process (speaks a line protocol on stdin/stdout)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := bench.ServeReceiver(cmd.Context(), os.Stdin, io.Stdout)
			if errors.Is(err, os.ErrClosed) {
				return nil
			}
			return err
		},
	}
}
