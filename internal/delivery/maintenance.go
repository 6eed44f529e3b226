package delivery

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/ivvy-notify/ivvy-notify/internal/jobs"
)

// maintenanceJob runs args on the maintenance queue every interval, and
// once at start.
func maintenanceJob(interval time.Duration, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return args, &river.InsertOpts{Queue: jobs.QueueMaintenance}
		}, &river.PeriodicJobOpts{RunOnStart: true})
}

// clockNow returns now(), or time.Now() when now is nil: the clock of the
// workers and the gate, which tests replace.
func clockNow(now func() time.Time) time.Time {
	if now != nil {
		return now()
	}
	return time.Now()
}
