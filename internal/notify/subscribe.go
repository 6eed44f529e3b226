package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// InputError is a request parameter that did not validate (iVvy's
// 400/23016): nothing was changed.
type InputError struct {
	// Param is the offending body key, e.g. "companiesEndpoint".
	Param  string
	Reason string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("'%s' does not validate: %s", e.Param, e.Reason)
}

// ErrNotAllowed is returned when a key may not manage subscriptions.
var ErrNotAllowed = errors.New("notify: only account-level keys and the primary user's keys may manage subscriptions")

// Caller is the API key acting.
type Caller struct {
	AccountID int64
	Key       string
	// MayManage is true for account-level keys and primary users' keys.
	MayManage bool
}

// Request maps each requested endpoint to its webhook URL.
type Request map[catalog.Endpoint]*url.URL

// ParseRequest reads a subscribe/unsubscribe body: an object whose keys are
// endpoint names and whose values are webhook URLs. A null, empty or absent
// value means "not requested"; an unknown key or an invalid URL is an
// *InputError.
func ParseRequest(body []byte) (Request, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, &InputError{Param: "body", Reason: "must be a JSON object of endpoint names to webhook URLs"}
	}
	req := Request{}
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		e, ok := catalog.EndpointByKey(key)
		if !ok {
			return nil, &InputError{Param: displayKey(key), Reason: "is not a notification endpoint; use one of " + endpointKeys()}
		}
		var s *string
		if err := json.Unmarshal(raw[key], &s); err != nil {
			return nil, &InputError{Param: key, Reason: "must be a string URL or null"}
		}
		if s == nil || strings.TrimSpace(*s) == "" {
			continue
		}
		u, err := webhookurl.Parse(*s)
		if err != nil {
			return nil, &InputError{Param: key, Reason: err.Error()}
		}
		req[e] = u
	}
	return req, nil
}

// Status is every endpoint's state for an account: whether it has a live
// subscription (pending or confirmed), and then its topic ARN.
type Status map[catalog.Endpoint]*string

// Subscribe subscribes each requested URL: the topic is created on first
// use, a new subscription starts pending and is sent a
// SubscriptionConfirmation; a pending one is sent a new confirmation; a
// confirmed one is left as it is. It returns the account's full status.
func (s *Service) Subscribe(ctx context.Context, c Caller, req Request) (Status, error) {
	if !c.MayManage {
		return nil, ErrNotAllowed
	}
	for _, e := range catalog.Endpoints() {
		if u, ok := req[e]; ok {
			if err := s.URLs.Check(ctx, u); err != nil {
				return nil, &InputError{Param: e.APIKey(), Reason: err.Error() + devHint(err)}
			}
		}
	}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		for _, e := range catalog.Endpoints() {
			if u, ok := req[e]; ok {
				if err := s.subscribeOne(ctx, q, c, e, u.String()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Status(ctx, c.AccountID)
}

// subscribeOne applies the subscribe rules to one endpoint.
func (s *Service) subscribeOne(ctx context.Context, q store.Queries, c Caller, e catalog.Endpoint, rawURL string) error {
	topic, err := q.TopicGetOrCreate(ctx, store.TopicCreateParams{
		AccountID: c.AccountID, Endpoint: e.Name(), ARN: s.TopicARN(c.AccountID, e), CreatedAt: s.Now(),
	})
	if err != nil {
		return err
	}
	sub, err := q.SubscriptionGetLive(ctx, topic.ID, rawURL)
	switch {
	case errors.Is(err, store.ErrNotFound):
		arn, err := s.subscriptionARN(topic.ARN)
		if err != nil {
			return err
		}
		sub, err = q.SubscriptionCreate(ctx, store.SubscriptionCreateParams{
			TopicID: topic.ID, ARN: arn, URL: rawURL, APIKey: c.Key, CreatedAt: s.Now(),
		})
		if err != nil {
			return err
		}
	case err != nil:
		return err
	case sub.Status == store.SubscriptionConfirmed:
		return nil
	}
	return s.sendSubscriptionConfirmation(ctx, q, sub)
}

// Status returns every endpoint's state for the account.
func (s *Service) Status(ctx context.Context, accountID int64) (Status, error) {
	subs, err := s.Store.SubscriptionListByAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	st := Status{}
	for _, sub := range subs {
		e, ok := catalog.EndpointByName(sub.Endpoint)
		if ok && sub.Status != store.SubscriptionDeleted {
			arn := sub.TopicARN
			st[e] = &arn
		}
	}
	return st, nil
}

// Unsubscribe results, as iVvy numbers them.
const (
	ResultSuccess            = 1
	ResultNotRequested       = 2
	ResultUnknownError       = 3
	ResultNotFound           = 4
	ResultIncorrectSource    = 5
	ResultStatusNotConfirmed = 6
)

// Unsubscribe removes each requested URL's confirmed subscription, if the
// caller's key created it, and returns one result per endpoint. Endpoints
// are handled independently: a failure on one is reported as Unknown Error
// (3) for it alone.
func (s *Service) Unsubscribe(ctx context.Context, c Caller, req Request) (map[catalog.Endpoint]int, error) {
	if !c.MayManage {
		return nil, ErrNotAllowed
	}
	results := map[catalog.Endpoint]int{}
	for _, e := range catalog.Endpoints() {
		u, ok := req[e]
		if !ok {
			results[e] = ResultNotRequested
			continue
		}
		var result int
		var arn string
		err := s.Store.InTx(ctx, func(q store.Queries) error {
			var err error
			result, arn, err = s.unsubscribeOne(ctx, q, c, e, u.String())
			return err
		})
		if err != nil {
			s.Logger.ErrorContext(ctx, "unsubscribe failed", "account", c.AccountID, "endpoint", e.Name(), "err", err)
			result = ResultUnknownError
		}
		s.logUnsubscribe(ctx, c, e, arn, result)
		results[e] = result
	}
	return results, nil
}

// unsubscribeOne applies the unsubscribe rules to one endpoint: the
// result, and the ARN of the subscription found, if any.
func (s *Service) unsubscribeOne(ctx context.Context, q store.Queries, c Caller, e catalog.Endpoint, rawURL string) (int, string, error) {
	topic, err := q.TopicGet(ctx, c.AccountID, e.Name())
	if errors.Is(err, store.ErrNotFound) {
		return ResultNotFound, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	sub, err := q.SubscriptionGetLive(ctx, topic.ID, rawURL)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ResultNotFound, "", nil
	case err != nil:
		return 0, "", err
	case sub.APIKey != c.Key:
		return ResultIncorrectSource, sub.ARN, nil
	case sub.Status != store.SubscriptionConfirmed:
		return ResultStatusNotConfirmed, sub.ARN, nil
	}
	if _, err := q.SubscriptionSetStatus(ctx, sub.ID, store.SubscriptionDeleted, s.Now()); err != nil {
		return 0, sub.ARN, err
	}
	return ResultSuccess, sub.ARN, nil
}

// displayKey names a body key in an error; an empty key is shown as "".
func displayKey(key string) string {
	if key == "" {
		return `""`
	}
	return key
}

func endpointKeys() string {
	var names []string
	for _, e := range catalog.Endpoints() {
		names = append(names, e.APIKey())
	}
	return strings.Join(names, ", ")
}

// devHint tells the operator testing locally how to allow a loopback or
// private webhook URL.
func devHint(err error) string {
	if errors.Is(err, webhookurl.ErrPrivateAddress) {
		return " (allowed only when the server runs with --dev or --allow-private-endpoints, for local testing)"
	}
	return ""
}
