package bench

import "time"

// SigningPrice compares what a signature cost during the load with what
// it cost while the ceilings were measured, both on the signing thread's
// own CPU clock (signclock), which counts neither other goroutines' work
// nor time spent waiting for a core.
//
// This machine's speed moves within minutes, and the ceilings are
// measured only before and after the load. When signatures cost more
// during the load than in the ceilings, the machine was slower then, and
// the ratios to the ceiling read low for a reason that is not the
// pipeline's; when they cost less, the ratios read high. The ratios "at
// the load's price" scale the ceiling by the change. They forgive one
// thing that is the pipeline's: signatures slowed by the rest of the
// pipeline's work sharing the cores' caches.
type SigningPrice struct {
	// CeilingMs is the mean of the ceilings' CPU time per signature.
	CeilingMs float64 `json:"ceilingMs"`
	// LoadMs is the load's CPU time per signature.
	LoadMs float64 `json:"loadMs"`
	// LoadSampled is how many of the load's signatures were timed.
	LoadSampled int64 `json:"loadSampled"`
	// Change is LoadMs / CeilingMs − 1: +0.1 when a signature cost 10 %
	// more during the load.
	Change float64 `json:"change"`
	// DeliveredOverCeiling and SustainedOverCeiling are the run's ratios
	// with the ceiling scaled to the load's price: the ratio × LoadMs /
	// CeilingMs.
	DeliveredOverCeiling float64 `json:"deliveredOverCeiling"`
	SustainedOverCeiling float64 `json:"sustainedOverCeiling"`
}

// applySigningPrice sets res.SigningPrice from the ceilings' and the
// load's thread clocks, once the ratios are set; it stays nil when any of
// them is unknown.
func (res *Result) applySigningPrice() {
	load := res.loadSignature
	c := res.Ceiling
	if c == nil || c.ThreadCPUPerSignatureMs <= 0 || load.CPUPerSignature <= 0 {
		return
	}
	ceiling := c.ThreadCPUPerSignatureMs
	if a := res.CeilingAfter; a != nil {
		if a.ThreadCPUPerSignatureMs <= 0 {
			return
		}
		ceiling = (ceiling + a.ThreadCPUPerSignatureMs) / 2
	}
	loadMs := ms(load.CPUPerSignature)
	scale := loadMs / ceiling
	res.SigningPrice = &SigningPrice{
		CeilingMs: ceiling, LoadMs: loadMs, LoadSampled: load.Sampled, Change: scale - 1,
		DeliveredOverCeiling: res.DeliveredOverCeiling * scale,
		SustainedOverCeiling: res.SustainedOverCeiling * scale,
	}
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
