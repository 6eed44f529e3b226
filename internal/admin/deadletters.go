package admin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// maxRedriveBatch bounds one bulk redrive; repeat the call for more.
const maxRedriveBatch = 1000

// RedriveOut is what a redrive did.
type RedriveOut struct {
	// Redriven maps each dead letter to the new delivery re-sending it.
	Redriven []RedrivenOut `json:"redriven"`
	// More is true when more dead letters match than one call redrives.
	More bool `json:"more"`
}

// RedrivenOut pairs a dead letter with its new delivery.
type RedrivenOut struct {
	DeadLetter int64 `json:"deadLetter"`
	Delivery   int64 `json:"delivery"`
}

// RedriveIn selects dead letters to redrive in bulk: all of a
// subscription, and/or those created in [since, until).
type RedriveIn struct {
	Subscription string     `json:"subscription"`
	Since        *time.Time `json:"since"`
	Until        *time.Time `json:"until"`
}

// redriveOne answers POST /v1/deadletters/{delivery}/redrive.
func (a *api) redriveOne(w http.ResponseWriter, r *http.Request) {
	id, err := intParam(r.PathValue("delivery"), "delivery id")
	var d *store.Delivery
	if err == nil {
		d, err = a.store.DeliveryRedrive(r.Context(), id, time.Now())
	}
	if errors.Is(err, store.ErrConflict) {
		err = a.redriveConflict(w, r, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if d == nil {
		return // the conflict was answered
	}
	writeJSON(w, http.StatusAccepted, RedriveOut{Redriven: []RedrivenOut{{DeadLetter: id, Delivery: d.ID}}})
}

// redriveMany answers POST /v1/deadletters/redrive: every dead letter of a
// subscription and/or a time range, as fresh deliveries with a fresh policy.
func (a *api) redriveMany(w http.ResponseWriter, r *http.Request) {
	var in RedriveIn
	err := decode(w, r, &in, maxBodyBytes)
	if err == nil && in.Subscription == "" && in.Since == nil && in.Until == nil {
		err = &badRequest{"give a subscription (ARN or id), a since/until range, or both"}
	}
	p := store.DeliveryListParams{Status: store.DeliveryDead, CreatedAfter: in.Since, CreatedBefore: in.Until, Limit: maxRedriveBatch + 1}
	if err == nil {
		p.SubscriptionID, err = a.subscriptionParam(r, in.Subscription)
	}
	var dead []*store.Delivery
	if err == nil {
		dead, err = a.store.DeliveryList(r.Context(), p)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := RedriveOut{Redriven: []RedrivenOut{}, More: len(dead) > maxRedriveBatch}
	for _, d := range dead[:min(len(dead), maxRedriveBatch)] {
		nd, err := a.store.DeliveryRedrive(r.Context(), d.ID, time.Now())
		if errors.Is(err, store.ErrConflict) {
			continue // redriven meanwhile
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out.Redriven = append(out.Redriven, RedrivenOut{DeadLetter: d.ID, Delivery: nd.ID})
	}
	writeJSON(w, http.StatusAccepted, out)
}

// getDeadLetter answers GET /v1/deadletters/{delivery}.
func (a *api) getDeadLetter(w http.ResponseWriter, r *http.Request) {
	id, err := intParam(r.PathValue("delivery"), "delivery id")
	var out DeliveryOut
	if err == nil {
		out, err = a.deliveryView(r, id)
	}
	if err == nil && out.Status != string(store.DeliveryDead) && out.Status != string(store.DeliveryRedriven) {
		err = fmt.Errorf("delivery %d is %s, not a dead letter: %w", id, out.Status, store.ErrNotFound)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// redriveConflict answers a redrive of delivery id that is not a dead
// letter: 409 saying what it is instead — already redriven, as which
// delivery, or still pending or delivered.
func (a *api) redriveConflict(w http.ResponseWriter, r *http.Request, id int64) error {
	d, err := a.store.DeliveryGet(r.Context(), id)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("delivery %d is %s, not a dead letter", id, d.Status)
	if d.Status == store.DeliveryRedriven {
		msg = fmt.Sprintf("dead letter %d was already redriven", id)
		again, err := a.store.DeliveryList(r.Context(), store.DeliveryListParams{
			SubscriptionID: d.SubscriptionID, RedrivenFrom: id, Limit: 1})
		if err != nil {
			return err
		}
		if len(again) == 1 {
			msg += fmt.Sprintf(" as delivery %d", again[0].ID)
		}
	}
	writeError(w, http.StatusConflict, "conflict", msg)
	return nil
}
