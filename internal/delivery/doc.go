// Package delivery sends stored deliveries to their webhooks the way Amazon
// SNS does (SPEC §3, §7; SNS.md §3): one HTTP POST of the exact stored
// bytes with SNS's headers, retried on 408, 429, 5xx, timeouts and
// connection errors, never on other answers.
//
// The pieces are separable:
//   - Sender makes one attempt and classifies it into an Outcome;
//   - Worker, a River worker of jobs.Deliver, loads the delivery and its
//     subscription, decides whether to send, sends through a Poster,
//     records the attempt in the store and tells River what to do next;
//   - RetryPolicy (ExponentialRetry by default) schedules retries and
//     honours a receiver's Retry-After within bounds;
//   - Runner owns the River client that works jobs.QueueDeliveries.
//
// Delivery is at least once: a job is enqueued in the same transaction as
// its delivery row, and an attempt interrupted by shutdown is retried.
package delivery
