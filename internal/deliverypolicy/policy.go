package deliverypolicy

import "encoding/json"

// Backoff functions accepted in RetryPolicy.BackoffFunction.
const (
	// Linear spreads the backoff delays evenly from min to max.
	Linear = "linear"
	// Arithmetic grows the backoff delays quadratically from min to max.
	Arithmetic = "arithmetic"
	// Geometric multiplies the backoff delays by a constant ratio.
	Geometric = "geometric"
	// Exponential grows the backoff delays along e^(i−1).
	Exponential = "exponential"
)

// DefaultContentType is the Content-Type SNS sends notifications with
// (SPEC §3), and the requestPolicy of both presets.
const DefaultContentType = "text/plain; charset=UTF-8"

// Policy is a delivery policy in the shape of SNS's subscription attribute
// DeliveryPolicy (SNS.md §4.1). A nil part is "not set at this level":
// Effective takes it from an earlier level.
type Policy struct {
	// HealthyRetryPolicy schedules the retries of a failed delivery.
	HealthyRetryPolicy *RetryPolicy `json:"healthyRetryPolicy,omitempty"`
	// SicklyRetryPolicy is deprecated by SNS: accepted, kept, ignored.
	SicklyRetryPolicy json.RawMessage `json:"sicklyRetryPolicy,omitempty"`
	// ThrottlePolicy limits the delivery rate to one subscription.
	ThrottlePolicy *ThrottlePolicy `json:"throttlePolicy,omitempty"`
	// RequestPolicy sets the Content-Type of notification requests.
	RequestPolicy *RequestPolicy `json:"requestPolicy,omitempty"`
	// Guaranteed is deprecated by SNS: accepted, kept, ignored.
	Guaranteed *bool `json:"guaranteed,omitempty"`
}

// RetryPolicy is SNS's healthyRetryPolicy. Delays are whole seconds.
// Fields are in the order AWS echoes them.
type RetryPolicy struct {
	// MinDelayTarget is the pre-backoff delay and the first backoff delay.
	MinDelayTarget int `json:"minDelayTarget"`
	// MaxDelayTarget is the last backoff delay and the post-backoff delay.
	MaxDelayTarget int `json:"maxDelayTarget"`
	// NumRetries is the number of retries of all four phases together.
	NumRetries int `json:"numRetries"`
	// NumMaxDelayRetries is the number of post-backoff retries.
	NumMaxDelayRetries int `json:"numMaxDelayRetries"`
	// NumNoDelayRetries is the number of immediate retries.
	NumNoDelayRetries int `json:"numNoDelayRetries"`
	// NumMinDelayRetries is the number of pre-backoff retries.
	NumMinDelayRetries int `json:"numMinDelayRetries"`
	// BackoffFunction shapes the backoff phase: Linear, Arithmetic,
	// Geometric or Exponential.
	BackoffFunction string `json:"backoffFunction"`
}

// ThrottlePolicy is SNS's throttlePolicy.
type ThrottlePolicy struct {
	// MaxReceivesPerSecond caps deliveries per second to the subscription.
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond"`
}

// RequestPolicy is SNS's requestPolicy.
type RequestPolicy struct {
	// HeaderContentType is the Content-Type of Notification requests.
	HeaderContentType string `json:"headerContentType"`
}

// snsRetry is SNS's default healthyRetryPolicy; Parse fills the fields a
// given healthyRetryPolicy leaves out from it.
func snsRetry() RetryPolicy {
	return RetryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: Linear}
}

// SNSDefault returns SNS's own default policy: 3 retries 20 s apart, then
// give up (SNS.md §4.2).
func SNSDefault() *Policy {
	r := snsRetry()
	return &Policy{HealthyRetryPolicy: &r, RequestPolicy: &RequestPolicy{DefaultContentType}}
}

// ServerDefault returns the shipped default policy: 2 retries at 1 s, 10
// exponential from 1 s to 1 h, then 26 at 1 h — 38 retries over 99,296 s
// (27 h 34 min 56 s), no gap longer than an hour. It survives a receiver
// outage of 24 h even if jitter shortens every delay by the full 10 %.
func ServerDefault() *Policy {
	return &Policy{
		HealthyRetryPolicy: &RetryPolicy{
			MinDelayTarget:     1,
			MaxDelayTarget:     3600,
			NumRetries:         38,
			NumMaxDelayRetries: 26,
			NumNoDelayRetries:  0,
			NumMinDelayRetries: 2,
			BackoffFunction:    Exponential,
		},
		RequestPolicy: &RequestPolicy{DefaultContentType},
	}
}

// Effective merges the levels of a subscription's policy: the built-in
// ServerDefault, then server (the operator's configured default), account
// and subscription, any of which may be nil. A later level's non-nil part
// replaces the earlier level's part as a whole (healthyRetryPolicy,
// throttlePolicy, requestPolicy), as SNS does; fields are never merged
// one by one. The deprecated parts are dropped. The result is a fresh copy
// whose HealthyRetryPolicy and RequestPolicy are never nil.
func Effective(server, account, subscription *Policy) *Policy {
	out := ServerDefault()
	for _, p := range []*Policy{server, account, subscription} {
		out.overlay(p)
	}
	return out
}

// overlay copies q's non-nil parts into p.
func (p *Policy) overlay(q *Policy) {
	if q == nil {
		return
	}
	if q.HealthyRetryPolicy != nil {
		r := *q.HealthyRetryPolicy
		p.HealthyRetryPolicy = &r
	}
	if q.ThrottlePolicy != nil {
		t := *q.ThrottlePolicy
		p.ThrottlePolicy = &t
	}
	if q.RequestPolicy != nil {
		r := *q.RequestPolicy
		p.RequestPolicy = &r
	}
}

// Retry returns the policy's healthyRetryPolicy, or ServerDefault's when
// it has none.
func (p *Policy) Retry() RetryPolicy {
	if p == nil || p.HealthyRetryPolicy == nil {
		return *ServerDefault().HealthyRetryPolicy
	}
	return *p.HealthyRetryPolicy
}

// MaxReceivesPerSecond returns the throttle's rate, 0 meaning unlimited.
func (p *Policy) MaxReceivesPerSecond() int {
	if p == nil || p.ThrottlePolicy == nil {
		return 0
	}
	return p.ThrottlePolicy.MaxReceivesPerSecond
}

// HeaderContentType returns the requestPolicy's Content-Type, or "" when
// the policy has none. The delivery engine decides whether to apply it.
func (p *Policy) HeaderContentType() string {
	if p == nil || p.RequestPolicy == nil {
		return ""
	}
	return p.RequestPolicy.HeaderContentType
}
