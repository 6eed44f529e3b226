package admin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// cancelledByOperator is the last error of a delivery the operator cancels.
const cancelledByOperator = "cancelled by the operator"

// cancelDelivery answers POST /v1/deliveries/{delivery}/cancel: a pending
// delivery is cancelled (never sent again, not a dead letter) and shown
// as GET /v1/deliveries/{delivery} shows it; 409 if it is not pending.
// An attempt already in flight still ends, and is logged, but changes
// nothing.
func (a *api) cancelDelivery(w http.ResponseWriter, r *http.Request) {
	id, err := intParam(r.PathValue("delivery"), "delivery id")
	if err == nil {
		_, err = a.store.DeliveryCancel(r.Context(), id, cancelledByOperator, time.Now())
	}
	if errors.Is(err, store.ErrConflict) {
		a.notPending(w, r, id)
		return
	}
	var out DeliveryOut
	if err == nil {
		out, err = a.deliveryView(r, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.InfoContext(r.Context(), "admin: delivery cancelled", "delivery_id", id, "subscription_arn", out.SubscriptionARN)
	writeJSON(w, http.StatusOK, out)
}

// notPending answers a cancel of a delivery that is not pending.
func (a *api) notPending(w http.ResponseWriter, r *http.Request, id int64) {
	d, err := a.store.DeliveryGet(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeError(w, http.StatusConflict, "conflict", fmt.Sprintf("delivery %d is %s, not pending: %s", id, d.Status, notPendingHint(d.Status)))
}

// notPendingHint says what a delivery's status means for a cancel.
func notPendingHint(s store.DeliveryStatus) string {
	switch s {
	case store.DeliveryDelivered:
		return "it was delivered; there is nothing left to cancel"
	case store.DeliveryCancelled:
		return "it is already cancelled"
	case store.DeliveryDead:
		return "it is a dead letter and is not retried; leave it, or redrive it"
	case store.DeliveryRedriven:
		return "it was redriven as a new delivery; cancel that one (GET /v1/deliveries?status=pending)"
	}
	return "only a pending delivery can be cancelled"
}
