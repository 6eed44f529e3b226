// Package jobs defines the job queue's job kinds: the arguments a store
// backend enqueues and a worker receives. It is a leaf, so backends and
// workers can share it without importing each other.
package jobs

// QueueDeliveries is the queue that delivery jobs run on.
const QueueDeliveries = "deliveries"

// Deliver sends one stored delivery to its subscription.
type Deliver struct {
	DeliveryID int64 `json:"deliveryId"`
}

// Kind names the job kind in the queue.
func (Deliver) Kind() string { return "deliver" }

// QueueMaintenance is the queue of periodic housekeeping jobs.
const QueueMaintenance = "maintenance"

// Retention deletes old attempts and expired confirmation tokens.
type Retention struct{}

// Kind names the job kind in the queue.
func (Retention) Kind() string { return "retention" }

// ReleaseHolds hands to the queue the deliveries whose hold for a direct
// send ended before anyone lifted it.
type ReleaseHolds struct{}

// Kind names the job kind in the queue.
func (ReleaseHolds) Kind() string { return "release_holds" }
