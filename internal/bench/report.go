package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// WriteText writes res as a readable table.
func WriteText(w io.Writer, res *Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	c, m := res.Config, res.Machine
	mode := "full speed"
	if c.Rate > 0 {
		mode = fmt.Sprintf("%s events/s", fnum(c.Rate))
	}
	what := fmt.Sprintf("%s events", groupInt(int64(c.Events)))
	if c.DurationSeconds > 0 {
		what = fmt.Sprintf("%gs", c.DurationSeconds)
		if c.Events > 0 {
			what += fmt.Sprintf(" (at most %s events)", groupInt(int64(c.Events)))
		}
	}
	rcv := "in-process receiver"
	if c.ReceiverProcess {
		rcv = "receiver in its own process"
	}
	if c.ReceiverDown {
		rcv += ", answering 503 (down)"
	}
	row("run", "%s, %s, %s", what, mode, c.Database)
	row("", "%d accounts, batch %d, %d publishers, %d delivery workers, %d in flight per subscription, %d direct sends, %s",
		c.Accounts, c.Batch, c.Concurrency, c.DeliveryWorkers, c.MaxInFlight, c.DirectSends, rcv)
	row("machine", "%s, %d CPUs (%d for this process, GOMAXPROCS %d), %s MB, %s %s/%s; load average %s at the start",
		m.CPUModel, m.NumCPU, m.Cores, m.GOMAXPROCS,
		groupInt(m.MemoryMB), m.GoVersion, m.OS, m.Arch, m.LoadAverage)
	row("events", "%s sent, %s published (202), %s delivered; %d missing, %d duplicates, %d publish errors",
		groupInt(int64(res.Sent)), groupInt(int64(res.Published)), groupInt(int64(res.Delivered)),
		res.Missing, res.Duplicates, res.PublishErrors)
	if res.FirstPublishError != "" {
		row("first publish error", "%s", res.FirstPublishError)
	}
	if res.NoDelivery > 0 || res.Unexpected > 0 {
		row("anomalies", "%d acknowledged without a delivery, %d unexpected notifications", res.NoDelivery, res.Unexpected)
	}
	row("published", "%s events/s (%.2f s, first request → last 202)", fnum(res.PublishedPerSec), res.PublishSeconds)
	if !c.ReceiverDown {
		row("delivered", "%s events/s (%.2f s, first request → last arrival); sustained (min of acked and arrived, 10–90 %% of acks) %s events/s",
			fnum(res.DeliveredPerSec), res.DeliverSeconds, fnum(res.SustainedPerSec))
		row("latency", "%s  (publish request start → arrival)", flat(res.Latency))
		row("latency from 202", "%s  (%s arrived before the 202 was read)", flat(res.LatencyFromAck), groupInt(int64(res.ArrivedBeforeAck)))
		if res.LatencyFromSchedule != nil {
			row("latency from schedule", "%s  (scheduled start → arrival)", flat(res.LatencyFromSchedule))
		}
	}
	row("publish request", "%s", flat(res.PublishRequest))
	if res.ScheduleLag != nil {
		row("schedule lag", "%s  (request start − scheduled time)", flat(res.ScheduleLag))
	}
	per := "event delivered"
	if c.ReceiverDown {
		per = "event published"
	}
	who := "server + publishers + receiver"
	if c.ReceiverProcess {
		who = "server + publishers"
	}
	row("CPU", "%.3f ms per %s (user %.2f s + sys %.2f s; %s); %.0f %% of %d cores",
		res.CPU.PerEventMs, per, res.CPU.UserSeconds, res.CPU.SysSeconds, who, res.CPU.Utilization*100, m.Cores)
	if res.OtherCPUCores >= 0 {
		note := ""
		switch {
		case c.Database == "postgres":
			note = "  (the PostgreSQL server's included)"
		case res.OtherCPUCores > 0.1:
			note = "  ← the machine was not quiet: figures are low"
		}
		row("other processes", "%.2f cores busy on average during the load%s", res.OtherCPUCores, note)
	}
	if res.StolenCPUCores >= 0 {
		note := "  (a virtual machine's CPU time the hypervisor gave to others; 0 on bare metal)"
		if res.StolenCPUCores > 0.1 {
			note = "  ← the host took CPU from this machine: figures are low"
		}
		row("stolen by the host", "%.2f cores on average during the load%s", res.StolenCPUCores, note)
	}
	if rc := res.ReceiverCPU; rc != nil {
		row("receiver CPU", "%.3f ms per event (user %.2f s + sys %.2f s), peak RSS %.1f MB", rc.PerEventMs, rc.UserSeconds, rc.SysSeconds, res.ReceiverPeakRSSMB)
	}
	if d := res.DB; d != nil {
		row("database", "connections busy %.0f %% of the time (of %d), %.1f goroutines waiting for one on average, %s waits; %s delivery jobs snoozed %s times",
			d.ConnBusy*100, d.MaxConns, d.AvgWaiters, groupInt(d.WaitCount), groupInt(d.DeliveryJobs), groupInt(d.Snoozes))
		if rp := d.Reads; rp != nil {
			row("read pool", "connections busy %.0f %% of the time (of %d), %.1f goroutines waiting for one on average, %s waits",
				rp.ConnBusy*100, rp.MaxConns, rp.AvgWaiters, groupInt(rp.WaitCount))
		}
	}
	row("peak RSS", "%.1f MB (whole bench process)", res.PeakRSSMB)
	if ce := res.Ceiling; ce != nil {
		row("signing ceiling", "%s signatures/s with %d goroutines over %.1f s (%.3f ms CPU each) → %s events/s; other processes %.2f cores, stolen %.2f",
			fnum(ce.SignaturesPerSec), ce.Workers, ce.Seconds, ce.CPUPerSignatureMs, fnum(ce.EventsPerSec), ce.OtherCPUCores, ce.StolenCPUCores)
		if a := res.CeilingAfter; a != nil {
			row("", "after the load: %s signatures/s (%.3f ms CPU each) → %s events/s; ratios use the mean, %s events/s",
				fnum(a.SignaturesPerSec), a.CPUPerSignatureMs, fnum(a.EventsPerSec), fnum(res.CeilingEventsPerSec))
			if math.Abs(res.CeilingChange) > unsteadyChange {
				row("", "← the ceiling moved %+.0f %% across the load: the machine's speed changed during the run, so the ratios are uncertain by about ±%.0f %%",
					res.CeilingChange*100, math.Abs(res.CeilingChange)*50)
			}
		}
		if !c.ReceiverDown {
			row("delivered / ceiling", "%.2f (sustained %.2f)", res.DeliveredOverCeiling, res.SustainedOverCeiling)
		}
		row("signing share of CPU", "%.0f %% (2 signatures × events × CPU per signature / CPU)", res.SigningShare*100)
		if res.SigningShare > 1 {
			row("", "← over 100 %%: the load's signatures cost less than the ceiling's, so the machine signed faster during the load than when the ceiling was measured, and the ratios read high")
		}
		if p := res.SigningPrice; p != nil {
			row("signing price", "%.3f ms CPU per signature during the load, %.3f in the ceilings (%+.0f %%; thread clocks, %s sampled)",
				p.LoadMs, p.CeilingMs, p.Change*100, groupInt(p.LoadSampled))
			if !c.ReceiverDown {
				row("", "at the load's price: delivered / ceiling %.2f (sustained %.2f)", p.DeliveredOverCeiling, p.SustainedOverCeiling)
			}
		}
	}
	if b := res.Backlog; b != nil {
		row("backlog", "%s deliveries pending after publishing, %s after a %.0f s hold", groupInt(b.Pending), groupInt(b.PendingAfterHold), b.HoldSeconds)
		row("", "%s retry attempts/s answered 503 during the hold", fnum(b.AttemptsPerSec))
		row("RSS with backlog", "%.1f MB at the end of the hold (highest sampled %.1f MB)", b.RSSMB, b.MaxSampledRSSMB)
		row("publish with backlog", "%d of %d single publishes answered 202; %s", b.ProbesAccepted, b.Probes, flat(b.ProbeLatency))
		if b.ProbeError != "" {
			row("probe error", "%s", b.ProbeError)
		}
	}
	if res.LogWarnings > 0 {
		row("server warnings", "%d, first: %s", res.LogWarnings, strings.Join(res.LogSample, " | "))
	}
	return tw.Flush()
}

// unsteadyChange is the change between the ceilings before and after the
// load above which the report warns that the machine's speed moved.
const unsteadyChange = 0.15

// flat formats a latency summary on one line.
func flat(l *Latency) string {
	if l == nil {
		return "—"
	}
	return fmt.Sprintf("p50 %s ms  p95 %s ms  p99 %s ms  max %s ms  (n=%s)",
		fms(l.P50), fms(l.P95), fms(l.P99), fms(l.Max), groupInt(int64(l.Count)))
}

func fms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// fnum formats a rate: thousands grouped, no decimals above 100.
func fnum(v float64) string {
	if v >= 100 {
		return groupInt(int64(v + 0.5))
	}
	return fmt.Sprintf("%.1f", v)
}
