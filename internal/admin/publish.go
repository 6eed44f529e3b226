package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ivvy-notify/ivvy-notify/internal/ivvymsg"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// maxBatchBodyBytes caps a batch publish: 100 events of up to 256 KB each.
const maxBatchBodyBytes = 32 << 20

// EventIn is one event in a publish request.
type EventIn struct {
	Subject    string          `json:"subject"`
	Body       json.RawMessage `json:"body"`
	SourceType int             `json:"sourceType"`
	SourceInfo json.RawMessage `json:"sourceInfo"`
	TxnID      string          `json:"txnId"`
}

// PublishedOut is what publishing one event did.
type PublishedOut struct {
	TxnID      string `json:"txnId"`
	Messages   int    `json:"messages"`
	Deliveries int    `json:"deliveries"`
	// Duplicate is true when the txnId was published before.
	Duplicate bool `json:"duplicate,omitempty"`
}

// BatchIn is POST /v1/accounts/{id}/events/batch's body.
type BatchIn struct {
	Events []EventIn `json:"events"`
}

// BatchOut is the batch publish's answer, one result per event in order.
type BatchOut struct {
	Results []PublishedOut `json:"results"`
}

func (e EventIn) event() notify.Event {
	return notify.Event{Subject: e.Subject, Body: e.Body, SourceType: e.SourceType, SourceInfo: e.SourceInfo, TxnID: e.TxnID}
}

func publishedOut(p notify.Published) PublishedOut {
	return PublishedOut{TxnID: p.TxnID, Messages: p.Messages, Deliveries: p.Deliveries, Duplicate: p.Duplicate}
}

func (a *api) publish(w http.ResponseWriter, r *http.Request) {
	var in EventIn
	id, err := accountID(r)
	if err == nil {
		err = decode(w, r, &in, maxBodyBytes)
	}
	var out []notify.Published
	if err == nil {
		out, err = a.notify.Publish(r.Context(), id, []notify.Event{in.event()})
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, publishedOut(out[0]))
}

func (a *api) publishBatch(w http.ResponseWriter, r *http.Request) {
	var in BatchIn
	id, err := accountID(r)
	if err == nil {
		err = decode(w, r, &in, maxBatchBodyBytes)
	}
	var out []notify.Published
	if err == nil {
		events := make([]notify.Event, len(in.Events))
		for i, e := range in.Events {
			events[i] = e.event()
		}
		out, err = a.notify.Publish(r.Context(), id, events)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res := BatchOut{Results: make([]PublishedOut, len(out))}
	for i, p := range out {
		res.Results[i] = publishedOut(p)
	}
	writeJSON(w, http.StatusAccepted, res)
}

// TopicOut is a topic with its subscriptions, as the admin API lists them.
type TopicOut struct {
	Endpoint      string            `json:"endpoint"`
	ARN           string            `json:"arn"`
	Subscriptions []SubscriptionOut `json:"subscriptions"`
}

// SubscriptionOut is one subscription; a password in its URL is masked.
type SubscriptionOut struct {
	ID          int64   `json:"id"`
	ARN         string  `json:"arn"`
	URL         string  `json:"url"`
	Status      string  `json:"status"`
	APIKey      string  `json:"apiKey"`
	CreatedAt   string  `json:"createdAt"`
	ConfirmedAt *string `json:"confirmedAt"`
	DeletedAt   *string `json:"deletedAt"`
}

// SubscriptionsOut is GET /v1/accounts/{id}/subscriptions's body.
type SubscriptionsOut struct {
	Topics []TopicOut `json:"topics"`
}

func (a *api) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	id, err := accountID(r)
	var out *SubscriptionsOut
	if err == nil {
		out, err = a.subscriptions(r, id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) subscriptions(r *http.Request, accountID int64) (*SubscriptionsOut, error) {
	if _, err := a.store.AccountGet(r.Context(), accountID); err != nil {
		return nil, err
	}
	topics, err := a.store.TopicListByAccount(r.Context(), accountID)
	if err != nil {
		return nil, err
	}
	subs, err := a.store.SubscriptionListByAccount(r.Context(), accountID)
	if err != nil {
		return nil, err
	}
	out := &SubscriptionsOut{Topics: []TopicOut{}}
	for _, t := range topics {
		to := TopicOut{Endpoint: t.Endpoint, ARN: t.ARN, Subscriptions: []SubscriptionOut{}}
		for _, s := range subs {
			if s.TopicID == t.ID {
				to.Subscriptions = append(to.Subscriptions, subscriptionOut(s))
			}
		}
		out.Topics = append(out.Topics, to)
	}
	return out, nil
}

func subscriptionOut(s *store.Subscription) SubscriptionOut {
	return SubscriptionOut{
		ID: s.ID, ARN: s.ARN, URL: maskPassword(s.URL), Status: string(s.Status), APIKey: s.APIKey,
		CreatedAt: formatTime(s.CreatedAt), ConfirmedAt: optionalTime(s.ConfirmedAt), DeletedAt: optionalTime(s.DeletedAt),
	}
}

// maskPassword hides the password of a URL's user info.
func maskPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// SigningKeyOut is one version of an account's message-signing key.
type SigningKeyOut struct {
	Version       int64  `json:"version"`
	PublicKeyPath string `json:"publicKeyPath"`
	PublicKeyPEM  string `json:"publicKeyPem"`
	CreatedAt     string `json:"createdAt"`
}

// SigningKeyView converts a stored signing key, leaving out the private half.
func SigningKeyView(k *store.SigningKey) SigningKeyOut {
	return SigningKeyOut{
		Version: k.Version, PublicKeyPath: ivvymsg.PublicKeyPath(strconv.FormatInt(k.AccountID, 10), k.Version),
		PublicKeyPEM: string(k.PublicKeyPEM), CreatedAt: formatTime(k.CreatedAt),
	}
}

func (a *api) rotateSigningKey(w http.ResponseWriter, r *http.Request) {
	id, err := accountID(r)
	var k *store.SigningKey
	if err == nil {
		k, err = a.accounts.RotateSigningKey(r.Context(), id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, SigningKeyView(k))
}

func (a *api) listSigningKeys(w http.ResponseWriter, r *http.Request) {
	id, err := accountID(r)
	var keys []*store.SigningKey
	if err == nil {
		keys, err = a.accounts.SigningKeys(r.Context(), id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		SigningKeys []SigningKeyOut `json:"signingKeys"`
	}{SigningKeys: []SigningKeyOut{}}
	for _, k := range keys {
		out.SigningKeys = append(out.SigningKeys, SigningKeyView(k))
	}
	writeJSON(w, http.StatusOK, out)
}

// publishError renders a *notify.PublishError as a 400. A single
// publish's message has no event index; a batch's names the event, unless
// the error is the batch's as a whole.
func publishError(w http.ResponseWriter, r *http.Request, err error) bool {
	var pe *notify.PublishError
	if !errors.As(err, &pe) {
		return false
	}
	out := struct {
		errorBody
		Index *int `json:"index,omitempty"`
	}{errorBody: errorBody{Code: "invalid", Message: pe.Message(), Field: pe.Field}}
	if strings.HasSuffix(r.URL.Path, "/batch") && pe.Index >= 0 {
		out.Message, out.Index = pe.Error(), &pe.Index
	}
	writeJSON(w, http.StatusBadRequest, out)
	return true
}
