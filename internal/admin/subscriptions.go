package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/deliverypolicy"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// SubscriptionView is one subscription with its delivery controls: paused,
// its own policy override, and the effective policy after server, account
// and subscription levels are merged.
type SubscriptionView struct {
	SubscriptionOut
	// AccountID is the account's id, a decimal string as in the account views.
	AccountID       string                 `json:"accountId"`
	Endpoint        string                 `json:"endpoint"`
	TopicARN        string                 `json:"topicArn"`
	Paused          bool                   `json:"paused"`
	DeliveryPolicy  json.RawMessage        `json:"deliveryPolicy"`
	EffectivePolicy *deliverypolicy.Policy `json:"effectiveDeliveryPolicy"`
}

// subscription loads the {arn} of the path.
func (a *api) subscription(r *http.Request) (*store.Subscription, error) {
	return a.store.SubscriptionGetByARN(r.Context(), r.PathValue("arn"))
}

func (a *api) subscriptionView(sub *store.Subscription) (SubscriptionView, error) {
	eff, err := a.effectivePolicy(sub)
	v := SubscriptionView{SubscriptionOut: subscriptionOut(sub), AccountID: strconv.FormatInt(sub.AccountID, 10),
		Endpoint: sub.Endpoint, TopicARN: sub.TopicARN, Paused: sub.Paused, EffectivePolicy: eff}
	if sub.DeliveryPolicy != nil {
		v.DeliveryPolicy = sub.DeliveryPolicy
	}
	return v, err
}

// effectivePolicy merges the server default with the stored overrides.
func (a *api) effectivePolicy(sub *store.Subscription) (*deliverypolicy.Policy, error) {
	parse := func(b []byte) (*deliverypolicy.Policy, error) {
		if b == nil {
			return nil, nil
		}
		return deliverypolicy.Parse(b, deliverypolicy.SNSLimits)
	}
	acct, err := parse(sub.AccountDeliveryPolicy)
	if err != nil {
		return nil, err
	}
	own, err := parse(sub.DeliveryPolicy)
	if err != nil {
		return nil, err
	}
	return deliverypolicy.Effective(a.serverPolicy, acct, own), nil
}

// getSubscription answers GET /v1/subscriptions/{arn}.
func (a *api) getSubscription(w http.ResponseWriter, r *http.Request) {
	sub, err := a.subscription(r)
	a.writeSubscription(w, r, sub, err, http.StatusOK)
}

func (a *api) writeSubscription(w http.ResponseWriter, r *http.Request, sub *store.Subscription, err error, status int) {
	var v SubscriptionView
	if err == nil {
		v, err = a.subscriptionView(sub)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// setPaused answers POST /v1/subscriptions/{arn}/pause and …/resume.
func (a *api) setPaused(paused bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sub, err := a.subscription(r)
		if err == nil {
			sub, err = a.store.SubscriptionSetPaused(r.Context(), sub.ID, paused)
		}
		a.writeSubscription(w, r, sub, err, http.StatusOK)
	}
}

// readPolicy reads and validates a delivery policy body in SNS's schema,
// under SNS's own limits; it returns the policy re-encoded.
func readPolicy(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return nil, &badRequest{"request body: " + err.Error()}
	}
	p, err := deliverypolicy.Parse(body, deliverypolicy.SNSLimits)
	if err != nil {
		return nil, &badRequest{err.Error()}
	}
	return json.Marshal(p)
}

// putSubscriptionPolicy answers PUT and DELETE /v1/subscriptions/{arn}/delivery-policy.
func (a *api) putSubscriptionPolicy(clear bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var policy []byte
		sub, err := a.subscription(r)
		if err == nil && !clear {
			policy, err = readPolicy(w, r)
		}
		if err == nil {
			sub, err = a.store.SubscriptionSetPolicy(r.Context(), sub.ID, policy)
		}
		a.writeSubscription(w, r, sub, err, http.StatusOK)
	}
}

// AccountPolicyOut is an account's delivery policy override.
type AccountPolicyOut struct {
	AccountID      string          `json:"accountId"`
	DeliveryPolicy json.RawMessage `json:"deliveryPolicy"`
}

// putAccountPolicy answers PUT and DELETE /v1/accounts/{id}/delivery-policy.
func (a *api) putAccountPolicy(clear bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var policy []byte
		id, err := accountID(r)
		if err == nil && !clear {
			policy, err = readPolicy(w, r)
		}
		var acct *store.Account
		if err == nil {
			acct, err = a.store.AccountSetPolicy(r.Context(), id, policy)
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out := AccountPolicyOut{AccountID: AccountView(acct).ID, DeliveryPolicy: acct.DeliveryPolicy}
		if out.DeliveryPolicy == nil {
			out.DeliveryPolicy = json.RawMessage("null")
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// deletedByOperator is the last error of the deliveries a delete cancels.
const deletedByOperator = "subscription deleted by the operator"

// DeletedSubscriptionOut is DELETE /v1/subscriptions/{arn}'s answer: the
// subscription's view after the delete, the status it had before, and how
// many of its pending deliveries were cancelled.
type DeletedSubscriptionOut struct {
	SubscriptionView
	PreviousStatus      string `json:"previousStatus"`
	CancelledDeliveries int    `json:"cancelledDeliveries"`
}

// deleteSubscription answers DELETE /v1/subscriptions/{arn}: whatever its
// state, the subscription is deleted, its confirmation tokens dropped and
// its pending deliveries cancelled, in one transaction. Nothing is sent to
// the endpoint. Deleting a deleted subscription is no error: it stays
// deleted (since the first time) and anything still pending for it, such
// as an UnsubscribeConfirmation being retried, is cancelled.
func (a *api) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	sub, err := a.subscription(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	before := sub.Status
	sub, n, err := a.store.SubscriptionDelete(r.Context(), sub.ID, deletedByOperator, time.Now())
	var v SubscriptionView
	if err == nil {
		v, err = a.subscriptionView(sub)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.log.InfoContext(r.Context(), "admin: subscription deleted", "subscription_arn", sub.ARN,
		"previous_status", string(before), "cancelled_deliveries", n)
	writeJSON(w, http.StatusOK, DeletedSubscriptionOut{SubscriptionView: v, PreviousStatus: string(before), CancelledDeliveries: n})
}
