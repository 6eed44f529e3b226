package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// Listing bounds.
const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// DeliveryOut is a delivery as the admin API shows it.
type DeliveryOut struct {
	ID              int64  `json:"id"`
	SubscriptionARN string `json:"subscriptionArn"`
	SubscriptionID  int64  `json:"subscriptionId"`
	// AccountID is the account's id, a decimal string as in the account views.
	AccountID string `json:"accountId"`
	// Endpoint is the topic's catalog endpoint, URL the subscription's
	// webhook URL (a password in it masked).
	Endpoint string `json:"endpoint"`
	URL      string `json:"url"`
	// SubscriptionPaused: a pending delivery waits for a resume.
	SubscriptionPaused bool   `json:"subscriptionPaused"`
	EventID            *int64 `json:"eventId"`
	// Subject is the event's subject; null for a message without an event
	// (SubscriptionConfirmation, UnsubscribeConfirmation: see messageType).
	Subject     *string `json:"subject"`
	MessageID   string  `json:"messageId"`
	MessageType string  `json:"messageType"`
	Status      string  `json:"status"`
	Attempts    int     `json:"attempts"`
	// NextAttemptAt is when the next attempt is due; null unless pending.
	NextAttemptAt *string `json:"nextAttemptAt"`
	LastError     string  `json:"lastError,omitempty"`
	CreatedAt     string  `json:"createdAt"`
	CompletedAt   *string `json:"completedAt"`
	DeadAt        *string `json:"deadAt"`
	RedrivenFrom  *int64  `json:"redrivenFrom"`
	BodySize      int     `json:"bodySize"`
	// Body is the exact bytes POSTed; only in a single delivery's view.
	Body *string `json:"body,omitempty"`
	// Attempts log; only in a single delivery's view.
	AttemptLog []AttemptOut `json:"attemptLog,omitempty"`
}

// AttemptOut is one attempt of the attempt log.
type AttemptOut struct {
	Number          int    `json:"number"`
	StartedAt       string `json:"startedAt"`
	DurationMs      int64  `json:"durationMs"`
	StatusCode      int    `json:"statusCode,omitempty"`
	Outcome         string `json:"outcome"`
	Error           string `json:"error,omitempty"`
	ResponseExcerpt string `json:"responseExcerpt,omitempty"`
}

// DeliveryList is a page of deliveries; NextBefore, when set, fetches the
// next page (?before=…).
type DeliveryList struct {
	Deliveries []DeliveryOut `json:"deliveries"`
	NextBefore *int64        `json:"nextBefore"`
}

func deliveryOut(d *store.Delivery) DeliveryOut {
	out := DeliveryOut{
		ID: d.ID, SubscriptionID: d.SubscriptionID, EventID: d.EventID, MessageID: d.MessageID, MessageType: d.MessageType,
		Status: string(d.Status), Attempts: d.Attempts, LastError: d.LastError, CreatedAt: formatTime(d.CreatedAt),
		CompletedAt: optionalTime(d.CompletedAt), DeadAt: optionalTime(d.DeadAt), RedrivenFrom: d.RedrivenFrom, BodySize: d.BodySize,
		SubscriptionARN: d.SubscriptionARN, Endpoint: d.Endpoint, URL: maskPassword(d.URL), SubscriptionPaused: d.SubscriptionPaused,
		Subject: d.Subject, NextAttemptAt: optionalTime(d.NextAttemptAt),
	}
	if d.AccountID != 0 {
		out.AccountID = strconv.FormatInt(d.AccountID, 10)
	}
	return out
}

func attemptOut(a *store.Attempt) AttemptOut {
	return AttemptOut{
		Number: a.Number, StartedAt: formatTime(a.StartedAt), DurationMs: a.Duration.Milliseconds(),
		StatusCode: a.StatusCode, Outcome: a.Outcome, Error: a.Error, ResponseExcerpt: string(a.ResponseExcerpt),
	}
}

// listParams reads ?subscription=&account=&status=&since=&until=&before=&limit=.
// status is forced when the route fixes it (dead letters).
func (a *api) listParams(r *http.Request, status store.DeliveryStatus) (store.DeliveryListParams, error) {
	q := r.URL.Query()
	p := store.DeliveryListParams{Status: status, Limit: defaultListLimit}
	if status == "" {
		p.Status = store.DeliveryStatus(q.Get("status"))
		if err := validStatus(p.Status); err != nil {
			return p, err
		}
	}
	var err error
	if p.SubscriptionID, err = a.subscriptionParam(r, q.Get("subscription")); err != nil {
		return p, err
	}
	if p.AccountID, err = intParam(q.Get("account"), "account"); err != nil {
		return p, err
	}
	if p.BeforeID, err = intParam(q.Get("before"), "before"); err != nil {
		return p, err
	}
	if p.CreatedAfter, err = timeParam(q.Get("since"), "since"); err != nil {
		return p, err
	}
	if p.CreatedBefore, err = timeParam(q.Get("until"), "until"); err != nil {
		return p, err
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			return p, &badRequest{fmt.Sprintf("limit %q: want 1 to %d", v, maxListLimit)}
		}
		p.Limit = n
	}
	return p, nil
}

func validStatus(s store.DeliveryStatus) error {
	switch s {
	case "", store.DeliveryPending, store.DeliveryDelivered, store.DeliveryCancelled, store.DeliveryDead, store.DeliveryRedriven:
		return nil
	}
	return &badRequest{fmt.Sprintf("status %q: want pending, delivered, cancelled, dead or redriven", s)}
}

// subscriptionParam resolves a subscription given by ARN or id.
func (a *api) subscriptionParam(r *http.Request, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		return id, nil
	}
	sub, err := a.store.SubscriptionGetByARN(r.Context(), v)
	if errors.Is(err, store.ErrNotFound) {
		return 0, &badRequest{fmt.Sprintf("subscription %q not found", v)}
	}
	if err != nil {
		return 0, err
	}
	return sub.ID, nil
}

func intParam(v, name string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, &badRequest{fmt.Sprintf("%s %q: want a positive integer", name, v)}
	}
	return n, nil
}

func timeParam(v, name string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, &badRequest{fmt.Sprintf("%s %q: want an RFC 3339 time, e.g. 2026-11-23T10:00:00Z", name, v)}
	}
	return &t, nil
}

// listDeliveries answers GET /v1/deliveries and GET /v1/deadletters.
func (a *api) listDeliveries(status store.DeliveryStatus) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := a.listParams(r, status)
		var list []*store.Delivery
		if err == nil {
			list, err = a.store.DeliveryList(r.Context(), p)
		}
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out := DeliveryList{Deliveries: make([]DeliveryOut, 0, len(list))}
		for _, d := range list {
			out.Deliveries = append(out.Deliveries, deliveryOut(d))
		}
		if len(list) == p.Limit {
			out.NextBefore = &list[len(list)-1].ID
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// getDelivery answers GET /v1/deliveries/{id}: the delivery, its body and
// its attempt log.
func (a *api) getDelivery(w http.ResponseWriter, r *http.Request) {
	id, err := intParam(r.PathValue("delivery"), "delivery id")
	var out DeliveryOut
	if err == nil {
		out, err = a.deliveryView(r, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) deliveryView(r *http.Request, id int64) (DeliveryOut, error) {
	d, err := a.store.DeliveryDetail(r.Context(), id)
	if err != nil {
		return DeliveryOut{}, err
	}
	attempts, err := a.store.DeliveryAttemptList(r.Context(), id)
	if err != nil {
		return DeliveryOut{}, err
	}
	out := deliveryOut(d)
	body := string(d.Body)
	out.Body = &body
	out.AttemptLog = []AttemptOut{}
	for _, at := range attempts {
		out.AttemptLog = append(out.AttemptLog, attemptOut(at))
	}
	return out, nil
}
