package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// SubscriptionViewList is GET /v1/subscriptions's body.
type SubscriptionViewList struct {
	Subscriptions []SubscriptionView `json:"subscriptions"`
}

// listAllSubscriptions answers GET /v1/subscriptions[?account=ID]: every
// subscription, deleted ones included, in id order, of one account or of
// all.
func (a *api) listAllSubscriptions(w http.ResponseWriter, r *http.Request) {
	out, err := a.subscriptionViews(r, r.URL.Query().Get("account"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("account %s not found", r.URL.Query().Get("account")))
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// subscriptionViews is the list of subscriptionsOf the account, as views.
func (a *api) subscriptionViews(r *http.Request, account string) (*SubscriptionViewList, error) {
	subs, err := a.subscriptionsOf(r, account)
	if err != nil {
		return nil, err
	}
	out := &SubscriptionViewList{Subscriptions: make([]SubscriptionView, 0, len(subs))}
	for _, sub := range subs {
		v, err := a.subscriptionView(sub)
		if err != nil {
			return nil, err
		}
		out.Subscriptions = append(out.Subscriptions, v)
	}
	return out, nil
}

// subscriptionsOf lists the subscriptions of the account given (a decimal
// id), or of every account when it is empty.
func (a *api) subscriptionsOf(r *http.Request, account string) ([]*store.Subscription, error) {
	id, err := intParam(account, "account")
	if err != nil {
		return nil, err
	}
	if id == 0 {
		return a.store.SubscriptionListAll(r.Context())
	}
	if _, err := a.store.AccountGet(r.Context(), id); err != nil {
		return nil, err
	}
	return a.store.SubscriptionListByAccount(r.Context(), id)
}
