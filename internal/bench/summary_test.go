package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/signclock"
)

// TestApplyCeilings checks the ratios against the mean of the two
// ceilings, the change between them, and the report's warning when the
// machine's speed moved during the run.
func TestApplyCeilings(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after float64 // events/s; after 0: not measured
		wantCeiling   float64
		wantChange    float64
		warns         bool
	}{
		{name: "steady", before: 1000, after: 950, wantCeiling: 975, wantChange: -0.05},
		{name: "slowed", before: 1000, after: 700, wantCeiling: 850, wantChange: -0.3, warns: true},
		{name: "sped up", before: 800, after: 1000, wantCeiling: 900, wantChange: 0.25, warns: true},
		{name: "no second ceiling", before: 1000, wantCeiling: 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &Result{
				Ceiling:         &Ceiling{EventsPerSec: tc.before, CPUPerSignatureMs: 1},
				Delivered:       1000,
				DeliveredPerSec: 600, SustainedPerSec: 510,
				CPU: CPU{UserSeconds: 2.5, SysSeconds: 0.5},
			}
			if tc.after > 0 {
				res.CeilingAfter = &Ceiling{EventsPerSec: tc.after, CPUPerSignatureMs: 1}
			}
			res.applyCeilings()
			require.InDelta(t, tc.wantCeiling, res.CeilingEventsPerSec, 1e-9)
			require.InDelta(t, tc.wantChange, res.CeilingChange, 1e-9)
			require.InDelta(t, 600/tc.wantCeiling, res.DeliveredOverCeiling, 1e-9)
			require.InDelta(t, 510/tc.wantCeiling, res.SustainedOverCeiling, 1e-9)
			require.InDelta(t, 2.0/3, res.SigningShare, 1e-9, "2 signatures × 1,000 events × 1 ms of 3 s")

			var out bytes.Buffer
			require.NoError(t, WriteText(&out, res))
			if tc.warns {
				require.Contains(t, out.String(), "the machine's speed changed during the run")
			} else {
				require.NotContains(t, out.String(), "speed changed")
			}
		})
	}
}

// TestReportSigningShareOverOne: a run whose CPU per event is less than its
// two signatures at the ceiling's price cannot be measured right; the
// report says that the ratios read high.
func TestReportSigningShareOverOne(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cpu   float64 // seconds for 1,000 events at 1 ms per signature
		warns bool
	}{
		{name: "signing most of the CPU", cpu: 2.2},
		{name: "less CPU than the signatures alone", cpu: 1.9, warns: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &Result{
				Ceiling:         &Ceiling{EventsPerSec: 1000, CPUPerSignatureMs: 1},
				CeilingAfter:    &Ceiling{EventsPerSec: 1000, CPUPerSignatureMs: 1},
				Delivered:       1000,
				DeliveredPerSec: 900, SustainedPerSec: 900,
				CPU: CPU{UserSeconds: tc.cpu},
			}
			res.applyCeilings()
			var out bytes.Buffer
			require.NoError(t, WriteText(&out, res))
			require.Equal(t, tc.warns, strings.Contains(out.String(), "over 100 %: the load's signatures cost less"), out.String())
		})
	}
}

// TestApplySigningPrice: the load's signatures against the ceilings', on
// their threads' clocks, and the ratios at the load's price.
func TestApplySigningPrice(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after float64 // the ceilings' thread ms per signature; after 0: no second ceiling
		noAfterClock  bool    // a second ceiling without a thread clock
		load          signclock.Reading
		wantCeiling   float64 // 0: no SigningPrice
		wantChange    float64
	}{
		{name: "slower during the load", before: 1.0, after: 1.2, load: signclock.Reading{Signatures: 8, Sampled: 2, CPUPerSignature: 1210 * time.Microsecond},
			wantCeiling: 1.1, wantChange: 0.1},
		{name: "faster during the load", before: 1.0, after: 1.0, load: signclock.Reading{Signatures: 8, Sampled: 2, CPUPerSignature: 800 * time.Microsecond},
			wantCeiling: 1.0, wantChange: -0.2},
		{name: "no second ceiling", before: 1.25, load: signclock.Reading{Signatures: 4, Sampled: 1, CPUPerSignature: 1250 * time.Microsecond},
			wantCeiling: 1.25, wantChange: 0},
		{name: "no signature of the load timed", before: 1.0, after: 1.0, load: signclock.Reading{Signatures: 3}},
		{name: "the second ceiling without a clock", before: 1.0, after: 1.0, noAfterClock: true,
			load: signclock.Reading{Signatures: 8, Sampled: 2, CPUPerSignature: time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &Result{
				Ceiling:   &Ceiling{EventsPerSec: 1000, CPUPerSignatureMs: 1, ThreadCPUPerSignatureMs: tc.before},
				Delivered: 1000, DeliveredPerSec: 600, SustainedPerSec: 510,
				CPU:           CPU{UserSeconds: 2.5, SysSeconds: 0.5},
				loadSignature: tc.load,
			}
			if tc.after > 0 {
				res.CeilingAfter = &Ceiling{EventsPerSec: 1000, CPUPerSignatureMs: 1, ThreadCPUPerSignatureMs: tc.after}
				if tc.noAfterClock {
					res.CeilingAfter.ThreadCPUPerSignatureMs = 0
				}
			}
			res.applyCeilings()
			var out bytes.Buffer
			require.NoError(t, WriteText(&out, res))
			if tc.wantCeiling == 0 {
				require.Nil(t, res.SigningPrice)
				require.NotContains(t, out.String(), "signing price")
				return
			}
			p := res.SigningPrice
			require.NotNil(t, p)
			require.InDelta(t, tc.wantCeiling, p.CeilingMs, 1e-9)
			require.InDelta(t, tc.wantChange, p.Change, 1e-9)
			require.Equal(t, tc.load.Sampled, p.LoadSampled)
			require.InDelta(t, 0.6*(1+tc.wantChange), p.DeliveredOverCeiling, 1e-9, "the ratio with the ceiling at the load's price")
			require.InDelta(t, 0.51*(1+tc.wantChange), p.SustainedOverCeiling, 1e-9)
			require.InDelta(t, 0.6, res.DeliveredOverCeiling, 1e-9, "the run's own ratio is unchanged")
			require.Contains(t, out.String(), "signing price")
			require.Contains(t, out.String(), "at the load's price")
		})
	}
}
