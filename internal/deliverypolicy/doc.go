// Package deliverypolicy implements Amazon SNS's HTTP/S delivery policies
// (SNS.md §4, SPEC §7): the DeliveryPolicy JSON schema, its validation
// with SNS's limits and error texts, the merge of the server default, an
// account override and a subscription override, and the retry schedule
// with its four phases (immediate, pre-backoff, backoff, post-backoff) and
// four backoff functions (linear, arithmetic, geometric, exponential).
//
// The schedule is deterministic: RetryPolicy.Delay gives the nominal delay
// before a retry, and the delivery engine spreads it with Jitter. The
// engine also enforces ThrottlePolicy and dead-letters what is still
// undelivered when the policy is spent; this package only describes them.
//
// docs/delivery-policy.md is the operator's guide to the same rules.
package deliverypolicy
