package bench

import (
	"slices"
	"sort"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
)

// summarise computes the result from the records and counters.
func (r *run) summarise(res *Result, total int, t0, t1 int64, cpu0, cpu1 rusage) {
	res.Sent, res.Published = int(r.sent.Load()), int(r.acked.Load())
	res.PublishErrors, res.NoDelivery = int(r.errs.Load()), int(r.noDelivery.Load())
	res.FirstPublishError = r.firstErr
	res.Duplicates, res.Unexpected, res.Refused = int(r.dups.Load()), int(r.unexpected.Load()), r.refused.Load()
	var lat, fromAck, fromDue, acks, arrivals []int64
	firstStart, lastAck, lastArrival := int64(-1), int64(0), int64(0)
	for i := range total {
		rec := r.rec.get(i)
		if rec == nil || rec.start == 0 {
			continue
		}
		if firstStart < 0 || rec.start < firstStart {
			firstStart = rec.start
		}
		if rec.ack == 0 {
			continue
		}
		lastAck = max(lastAck, rec.ack)
		acks = append(acks, rec.ack)
		a := rec.arrival.Load()
		if a == 0 {
			if !r.opts.ReceiverDown {
				res.Missing++
			}
			continue
		}
		res.Delivered++
		lastArrival = max(lastArrival, a)
		arrivals = append(arrivals, a)
		lat = append(lat, a-rec.start)
		if a < rec.ack {
			res.ArrivedBeforeAck++
		}
		fromAck = append(fromAck, max(0, a-rec.ack))
		if r.opts.Rate > 0 {
			fromDue = append(fromDue, a-rec.due)
		}
	}
	if firstStart >= 0 {
		res.PublishSeconds = float64(lastAck-firstStart) / 1e9
		if res.PublishSeconds > 0 {
			res.PublishedPerSec = float64(res.Published) / res.PublishSeconds
		}
		if res.Delivered > 0 {
			res.DeliverSeconds = float64(lastArrival-firstStart) / 1e9
			res.DeliveredPerSec = float64(res.Delivered) / res.DeliverSeconds
		}
	}
	res.SustainedPerSec = sustained(acks, arrivals, res.DeliveredPerSec)
	res.Latency, res.LatencyFromAck, res.LatencyFromSchedule = summarise(lat), summarise(fromAck), summarise(fromDue)
	r.reqMu.Lock()
	res.PublishRequest = summarise(r.reqDurations)
	if r.opts.Rate > 0 {
		res.ScheduleLag = summarise(r.lagDurations)
	}
	r.reqMu.Unlock()

	events := res.Delivered
	if r.opts.ReceiverDown {
		events = res.Published
	}
	res.CPU = *cpuOf(cpu0, cpu1, events, t1-t0)
	res.PeakRSSMB = float64(cpu1.maxRSSKB) / 1024
	if r.logs != nil {
		res.LogWarnings, res.LogSample = r.logs.state.snapshot()
	}
}

// applyCeilings sets the ratios to the ceiling: the mean of the ceilings
// measured before and after the load (only the first when there is no
// second).
func (res *Result) applyCeilings() {
	c := res.Ceiling
	if c == nil || c.EventsPerSec <= 0 {
		return
	}
	perSec, perSig := c.EventsPerSec, c.CPUPerSignatureMs
	if a := res.CeilingAfter; a != nil && a.EventsPerSec > 0 {
		perSec, perSig = (perSec+a.EventsPerSec)/2, (perSig+a.CPUPerSignatureMs)/2
		res.CeilingChange = a.EventsPerSec/c.EventsPerSec - 1
	}
	res.CeilingEventsPerSec = perSec
	res.DeliveredOverCeiling = res.DeliveredPerSec / perSec
	res.SustainedOverCeiling = res.SustainedPerSec / perSec
	events := res.Delivered
	if res.Config.ReceiverDown {
		events = res.Published
	}
	if cpu := res.CPU.UserSeconds + res.CPU.SysSeconds; cpu > 0 {
		res.SigningShare = 2 * float64(events) * perSig / (cpu * 1e3)
	}
	res.applySigningPrice()
}

// cpuOf is the CPU used between two readings, over events and wall ns.
func cpuOf(a, b rusage, events int, wall int64) *CPU {
	c := &CPU{UserSeconds: (b.user - a.user).Seconds(), SysSeconds: (b.sys - a.sys).Seconds()}
	total := c.UserSeconds + c.SysSeconds
	if events > 0 {
		c.PerEventMs = total / float64(events) * 1e3
	}
	if wall > 0 {
		c.Utilization = total / (float64(wall) / 1e9 * float64(app.Cores()))
	}
	return c
}

// sustained is the rate the pipeline sustained in its steady state: over
// the middle of the publishing, from the 10th to the 90th percentile of the
// acknowledgements, the lower of the events acknowledged and the events
// that arrived, per second. An arrival rate alone would count a backlog
// drained once publishing had ended, with nothing left to sign. With fewer
// than 100 events, whole.
func sustained(acks, arrivals []int64, whole float64) float64 {
	if len(acks) < 100 || len(arrivals) < 100 {
		return whole
	}
	slices.Sort(acks)
	lo, hi := acks[len(acks)/10], acks[len(acks)*9/10]
	if hi <= lo {
		return whole
	}
	acked := len(acks)*9/10 - len(acks)/10
	arrived := 0
	for _, a := range arrivals {
		if a >= lo && a <= hi {
			arrived++
		}
	}
	return float64(min(acked, arrived)) / (float64(hi-lo) / 1e9)
}

// summarise returns percentiles of durations in nanoseconds (nearest
// rank), nil for none.
func summarise(ns []int64) *Latency {
	if len(ns) == 0 {
		return nil
	}
	s := append([]int64(nil), ns...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999) - 1
		return float64(s[min(max(i, 0), len(s)-1)]) / 1e6
	}
	var sum float64
	for _, v := range s {
		sum += float64(v)
	}
	return &Latency{Count: len(s), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99),
		Max: float64(s[len(s)-1]) / 1e6, Mean: sum / float64(len(s)) / 1e6}
}
