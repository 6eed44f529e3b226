package deliverypolicy

import (
	"fmt"
	"mime"
	"slices"
)

// ErrorPrefix begins every validation error's text, as in AWS's answers.
const ErrorPrefix = "Invalid parameter: Attributes Reason: DeliveryPolicy: "

// maxContentTypeLen bounds requestPolicy.headerContentType.
const maxContentTypeLen = 256

// ValidationError is a policy that does not parse or breaks a rule. Its
// text follows AWS's: ErrorPrefix, the field's JSON path, the reason.
type ValidationError struct {
	// Field is the JSON path of the offending field, e.g.
	// "healthyRetryPolicy.numRetries"; "" for the policy as a whole.
	Field string
	// Reason says what is wrong, e.g. "must be less than or equal to 100".
	Reason string
}

// Error implements error.
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return ErrorPrefix + e.Reason
	}
	return ErrorPrefix + e.Field + " " + e.Reason
}

// invalid builds a *ValidationError.
func invalid(field, reason string) error {
	return &ValidationError{Field: field, Reason: reason}
}

// Limits are the bounds a policy is validated against. The consistency
// rules (minDelayTarget ≥ 1, min ≤ max, counts ≥ 0, phases ≤ numRetries,
// a known backoffFunction, maxReceivesPerSecond ≥ 1) hold under any Limits.
type Limits struct {
	// MaxDelayTarget bounds maxDelayTarget, in seconds.
	MaxDelayTarget int
	// MaxNumRetries bounds numRetries.
	MaxNumRetries int
	// MaxTotalSeconds bounds the sum of all retry delays; 0 = no bound.
	MaxTotalSeconds int
}

// SNSLimits are SNS's own limits (SNS.md §4.2). They apply to the account
// and subscription overrides given through the admin API.
var SNSLimits = Limits{MaxDelayTarget: 3600, MaxNumRetries: 100, MaxTotalSeconds: 3600}

// ServerLimits apply to the operator's own default: delays up to 24 h,
// up to 100,000 retries, no bound on the total time.
var ServerLimits = Limits{MaxDelayTarget: 86400, MaxNumRetries: 100000}

// Validate checks p against limits and returns the first broken rule as a
// *ValidationError, or nil. A nil p is valid.
func (p *Policy) Validate(limits Limits) error {
	if p == nil {
		return nil
	}
	if r := p.HealthyRetryPolicy; r != nil {
		if err := r.validate(limits); err != nil {
			return err
		}
	}
	if t := p.ThrottlePolicy; t != nil && t.MaxReceivesPerSecond < 1 {
		return invalid("throttlePolicy.maxReceivesPerSecond", "must be greater than or equal to 1")
	}
	if q := p.RequestPolicy; q != nil && !validContentType(q.HeaderContentType) {
		return invalid("requestPolicy.headerContentType", "must be a media type such as text/plain, application/json or application/xml")
	}
	return nil
}

// rule is one check of a RetryPolicy: when broken, field reason.
type rule struct {
	broken        bool
	field, reason string
}

// validate checks r's fields, then its total retry time.
func (r RetryPolicy) validate(l Limits) error {
	const pre = "healthyRetryPolicy."
	for _, c := range r.rules(l) {
		if c.broken {
			return invalid(pre+c.field, c.reason)
		}
	}
	if l.MaxTotalSeconds > 0 {
		if total := r.totalSeconds(); total > int64(l.MaxTotalSeconds) {
			return invalid("healthyRetryPolicy", fmt.Sprintf(
				"total retry time must be less than or equal to %d seconds (this policy retries for %d seconds)",
				l.MaxTotalSeconds, total))
		}
	}
	return nil
}

// rules lists r's checks in the order they are reported.
func (r RetryPolicy) rules(l Limits) []rule {
	atLeast := func(n int) string { return fmt.Sprintf("must be greater than or equal to %d", n) }
	atMost := func(n int) string { return fmt.Sprintf("must be less than or equal to %d", n) }
	return []rule{
		{r.MinDelayTarget < 1, "minDelayTarget", atLeast(1)},
		{r.MaxDelayTarget > l.MaxDelayTarget, "maxDelayTarget", atMost(l.MaxDelayTarget)},
		{r.MinDelayTarget > r.MaxDelayTarget, "minDelayTarget", "must be less than or equal to maxDelayTarget"},
		{r.NumRetries < 0, "numRetries", atLeast(0)},
		{r.NumRetries > l.MaxNumRetries, "numRetries", atMost(l.MaxNumRetries)},
		{r.NumNoDelayRetries < 0, "numNoDelayRetries", atLeast(0)},
		{r.NumMinDelayRetries < 0, "numMinDelayRetries", atLeast(0)},
		{r.NumMaxDelayRetries < 0, "numMaxDelayRetries", atLeast(0)},
		{r.phasesExceedRetries(), "numRetries",
			"must be greater than or equal to numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries"},
		{!slices.Contains(backoffFunctions, r.BackoffFunction), "backoffFunction",
			"must be one of linear, arithmetic, geometric, exponential"},
	}
}

// backoffFunctions are the accepted BackoffFunction values.
var backoffFunctions = []string{Linear, Arithmetic, Geometric, Exponential}

// phasesExceedRetries reports whether the three fixed phases need more
// retries than NumRetries, without overflowing on huge counts.
func (r RetryPolicy) phasesExceedRetries() bool {
	left := r.NumRetries
	for _, n := range []int{r.NumNoDelayRetries, r.NumMinDelayRetries, r.NumMaxDelayRetries} {
		if n > left {
			return true
		}
		left -= n
	}
	return false
}

// validContentType reports whether s is a printable-ASCII media type of
// reasonable length (AWS sends the value verbatim as Content-Type).
func validContentType(s string) bool {
	if s == "" || len(s) > maxContentTypeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	_, _, err := mime.ParseMediaType(s)
	return err == nil
}
