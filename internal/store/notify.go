package store

import (
	"context"
	"time"
)

// SigningKey is one version of an account's RSA key that signs its iVvy
// messages.
type SigningKey struct {
	AccountID int64
	// Version is the key's creation time in Unix seconds; it appears in
	// the public key's path.
	Version int64
	// PrivateKeySealed is the PKCS#8 DER key, encrypted under the master key.
	PrivateKeySealed []byte
	// PublicKeyPEM is the "PUBLIC KEY" PEM served to receivers.
	PublicKeyPEM []byte
	CreatedAt    time.Time
}

// Topic is an account's SNS-style topic for one notification endpoint.
type Topic struct {
	ID        int64
	AccountID int64
	// Endpoint is the catalog endpoint name, e.g. "companies".
	Endpoint  string
	ARN       string
	CreatedAt time.Time
}

// SubscriptionStatus is where a subscription is in its life.
type SubscriptionStatus string

// Subscription statuses.
const (
	SubscriptionPending   SubscriptionStatus = "PendingConfirmation"
	SubscriptionConfirmed SubscriptionStatus = "Confirmed"
	SubscriptionDeleted   SubscriptionStatus = "Deleted"
)

// Subscription is a webhook URL subscribed to a topic.
type Subscription struct {
	ID      int64
	TopicID int64
	ARN     string
	URL     string
	Status  SubscriptionStatus
	// APIKey is the key that subscribed it; only it may unsubscribe.
	APIKey      string
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	DeletedAt   *time.Time
	// Paused subscriptions keep their deliveries waiting.
	Paused bool
	// DeliveryPolicy is the subscription's SNS-schema policy override
	// (JSON), nil to inherit the account's.
	DeliveryPolicy []byte
	// Topic and account fields, joined in for convenience.
	TopicARN  string
	AccountID int64
	Endpoint  string
	// AccountDeliveryPolicy is the account's override, nil to inherit the
	// server default.
	AccountDeliveryPolicy []byte
}

// ConfirmationToken lets whoever holds it confirm a subscription until it
// expires. Only its SHA-256 is stored.
type ConfirmationToken struct {
	TokenHash      []byte
	SubscriptionID int64
	ExpiresAt      time.Time
	CreatedAt      time.Time
}

// Event is one published domain event.
type Event struct {
	ID         int64
	AccountID  int64
	TxnID      string
	Subject    string
	Body       []byte
	SourceType int
	SourceInfo *string
	// Messages and Deliveries count what the publish created.
	Messages   int
	Deliveries int
	CreatedAt  time.Time
}

// DeliveryStatus is where a delivery is in its life.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryCancelled: the subscription went away before it was sent.
	DeliveryCancelled DeliveryStatus = "cancelled"
	// DeliveryDead: the delivery policy gave up, or the receiver refused it
	// for good; it waits in the dead-letter store to be inspected and
	// redriven.
	DeliveryDead DeliveryStatus = "dead"
	// DeliveryRedriven: a dead letter that was sent again as a new delivery.
	DeliveryRedriven DeliveryStatus = "redriven"
)

// Delivery is one message to send to one subscription: the exact bytes
// POSTed on every attempt.
type Delivery struct {
	ID             int64
	SubscriptionID int64
	EventID        *int64
	MessageID      string
	MessageType    string
	Body           []byte
	Status         DeliveryStatus
	Attempts       int
	LastError      string
	CreatedAt      time.Time
	CompletedAt    *time.Time
	DeadAt         *time.Time
	// RedrivenFrom is the dead letter this delivery re-sends, if any.
	RedrivenFrom *int64
	// BodySize is len(Body); lists leave Body out but keep its size.
	BodySize int
	// HeldUntil is when the hold of a delivery created with HoldUntil
	// ends (see DeliveryCreateParams); zero otherwise, and on every
	// delivery but those DeliveryCreateMany returns.
	HeldUntil time.Time

	// DeliveryRef is who the delivery is for and when it is next tried;
	// only DeliveryList and DeliveryDetail fill it in.
	DeliveryRef
}

// DeliveryRef is what a delivery's views join in: its subscription, topic
// and account, its event's subject, and when its next attempt is due.
type DeliveryRef struct {
	SubscriptionARN string
	// URL is the subscription's endpoint URL.
	URL string
	// SubscriptionPaused: the next attempt waits for a resume.
	SubscriptionPaused bool
	AccountID          int64
	// Endpoint is the topic's catalog endpoint, e.g. "companies".
	Endpoint string
	// Subject is the event's subject; nil for a message without an event
	// (a SubscriptionConfirmation or UnsubscribeConfirmation).
	Subject *string
	// NextAttemptAt is when the next attempt is due: the recorded retry's
	// time, a held delivery's hold end, or its creation while the first
	// attempt is due; nil when the delivery is not pending.
	NextAttemptAt *time.Time
}

// Attempt is one recorded delivery attempt.
type Attempt struct {
	ID             int64
	DeliveryID     int64
	SubscriptionID int64
	// Number counts the delivery's attempts from 1.
	Number    int
	StartedAt time.Time
	Duration  time.Duration
	// StatusCode is the HTTP status, 0 when there was no response.
	StatusCode int
	// Outcome is delivered, retry, fail or forbidden.
	Outcome string
	Error   string
	// ResponseExcerpt is the first 4 KiB of the response body.
	ResponseExcerpt []byte
}

// DeliveryStats summarises the delivery queue.
type DeliveryStats struct {
	Pending int64
	Dead    int64
	// OldestPending is when the oldest pending delivery was created; nil
	// when none is pending.
	OldestPending *time.Time
}

// DeliveryListParams filter DeliveryList; zero fields do not filter.
type DeliveryListParams struct {
	AccountID      int64
	SubscriptionID int64
	Status         DeliveryStatus
	CreatedAfter   *time.Time
	CreatedBefore  *time.Time
	// BeforeID pages: only deliveries with a smaller id.
	BeforeID int64
	// RedrivenFrom keeps only the redrive of that dead letter.
	RedrivenFrom int64
	// Limit caps the rows returned (newest first); required.
	Limit int
}

// TopicCreateParams are the inputs of TopicGetOrCreate.
type TopicCreateParams struct {
	AccountID int64
	Endpoint  string
	ARN       string
	CreatedAt time.Time
}

// SubscriptionCreateParams are the inputs of SubscriptionCreate.
type SubscriptionCreateParams struct {
	TopicID   int64
	ARN       string
	URL       string
	APIKey    string
	CreatedAt time.Time
}

// EventCreateParams are the inputs of EventCreate.
type EventCreateParams struct {
	AccountID  int64
	TxnID      string
	Subject    string
	Body       []byte
	SourceType int
	SourceInfo *string
	Messages   int
	Deliveries int
	CreatedAt  time.Time
}

// DeliveryCreateParams are the inputs of DeliveryCreate.
type DeliveryCreateParams struct {
	SubscriptionID int64
	EventID        *int64
	MessageID      string
	MessageType    string
	Body           []byte
	CreatedAt      time.Time
	// HoldUntil, when set, holds the delivery until then instead of
	// enqueueing its job: the caller sends the first attempt itself,
	// right after the commit (delivery.Direct), and records it with Held,
	// which lifts the hold (and enqueues the retry, if any). A hold that
	// ends before it is lifted — the caller died — is handed to the queue
	// by DeliveryReleaseExpiredHolds. Only DeliveryCreateMany honours it.
	HoldUntil time.Time
}

// DeliveryAttemptParams record the outcome of one delivery attempt.
type DeliveryAttemptParams struct {
	ID int64
	// Status is the delivery's new status: pending (to be retried),
	// delivered, cancelled or dead.
	Status DeliveryStatus
	// Error is the attempt's error, empty on success.
	Error string
	At    time.Time
	// Attempt, when not nil, is logged in the attempt log; a cancellation
	// without a send has none.
	Attempt *Attempt
	// Held says the attempt was a direct send's, of a delivery created
	// with HoldUntil: in the same transaction the hold is lifted and,
	// when Status is pending, a job due at RetryAt enqueued. A delivery
	// whose hold has already been handed to the queue is left to the
	// queue's job.
	Held bool
	// RetryAt is when a pending delivery's next attempt is due: stored as
	// the delivery's next attempt time (DeliveryRef.NextAttemptAt) and,
	// with Held, the enqueued job's due time.
	RetryAt time.Time
}

// NotifyQueries are the operations on signing keys, topics,
// subscriptions, events and deliveries.
type NotifyQueries interface {
	// SigningKeyCreate stores a key version; ErrConflict if it exists.
	SigningKeyCreate(ctx context.Context, k SigningKey) error
	// SigningKeyCurrent returns the account's newest key, or ErrNotFound.
	SigningKeyCurrent(ctx context.Context, accountID int64) (*SigningKey, error)
	// SigningKeyGet returns one key version, or ErrNotFound.
	SigningKeyGet(ctx context.Context, accountID, version int64) (*SigningKey, error)
	// SigningKeyList returns the account's keys, oldest first.
	SigningKeyList(ctx context.Context, accountID int64) ([]*SigningKey, error)

	// TopicGetOrCreate returns the account's topic for the endpoint,
	// creating it with the given ARN if it does not exist.
	TopicGetOrCreate(ctx context.Context, p TopicCreateParams) (*Topic, error)
	// TopicGet returns the account's topic for the endpoint, or ErrNotFound.
	TopicGet(ctx context.Context, accountID int64, endpoint string) (*Topic, error)
	// TopicListByAccount returns the account's topics.
	TopicListByAccount(ctx context.Context, accountID int64) ([]*Topic, error)

	// SubscriptionCreate adds a pending subscription; ErrConflict if the
	// topic already has a live (not deleted) one for the URL.
	SubscriptionCreate(ctx context.Context, p SubscriptionCreateParams) (*Subscription, error)
	// SubscriptionGet returns a subscription by id, or ErrNotFound.
	SubscriptionGet(ctx context.Context, id int64) (*Subscription, error)
	// SubscriptionGetByARN returns a subscription by ARN, or ErrNotFound.
	SubscriptionGetByARN(ctx context.Context, arn string) (*Subscription, error)
	// SubscriptionGetLive returns the topic's live subscription for the
	// URL, or ErrNotFound.
	SubscriptionGetLive(ctx context.Context, topicID int64, url string) (*Subscription, error)
	// SubscriptionListByAccount returns the account's subscriptions,
	// deleted ones included, in id order.
	SubscriptionListByAccount(ctx context.Context, accountID int64) ([]*Subscription, error)
	// SubscriptionListAll returns every account's subscriptions, deleted
	// ones included, in id order.
	SubscriptionListAll(ctx context.Context) ([]*Subscription, error)
	// SubscriptionListConfirmed returns the topic's confirmed subscriptions.
	SubscriptionListConfirmed(ctx context.Context, topicID int64) ([]*Subscription, error)
	// SubscriptionSetStatus moves a subscription to a status, stamping
	// ConfirmedAt or DeletedAt at the given time, and returns it.
	SubscriptionSetStatus(ctx context.Context, id int64, status SubscriptionStatus, at time.Time) (*Subscription, error)

	// TokenCreate stores a confirmation token.
	TokenCreate(ctx context.Context, t ConfirmationToken) error
	// TokenGet returns the token with the given hash, or ErrNotFound.
	TokenGet(ctx context.Context, hash []byte) (*ConfirmationToken, error)
	// TokenDeleteExpired deletes tokens that expired before the given time
	// and returns how many.
	TokenDeleteExpired(ctx context.Context, before time.Time) (int, error)

	// EventCreate stores an event; ErrConflict if the account already has
	// one with the TxnID.
	EventCreate(ctx context.Context, p EventCreateParams) (*Event, error)
	// EventGetByTxnID returns the account's event with the TxnID, or
	// ErrNotFound.
	EventGetByTxnID(ctx context.Context, accountID int64, txnID string) (*Event, error)
	// EventTxnIDsTaken returns which of the TxnIDs the account's events
	// already have, in one query (a batch's duplicates, before signing).
	EventTxnIDsTaken(ctx context.Context, accountID int64, txnIDs []string) (map[string]bool, error)

	// DeliveryCreate stores a pending delivery AND enqueues the job that
	// sends it, atomically: inside InTx, in the caller's transaction.
	DeliveryCreate(ctx context.Context, p DeliveryCreateParams) (*Delivery, error)
	// DeliveryCreateMany is DeliveryCreate for several deliveries, their
	// jobs enqueued in one insert. It returns them in the order given.
	DeliveryCreateMany(ctx context.Context, ps []DeliveryCreateParams) ([]*Delivery, error)
	// DeliveryReleaseHeld hands a held delivery to the queue, due at at:
	// its direct send did not happen (shutdown, a paused subscription, a
	// busy gate). In one transaction the hold is lifted and a job
	// enqueued for that time, as for a retry; a delivery no longer held
	// is left alone.
	DeliveryReleaseHeld(ctx context.Context, deliveryID int64, at time.Time) error
	// DeliveryReleaseExpiredHolds hands to the queue, due at once, up to
	// limit deliveries whose hold ended before the given time: their
	// direct sends died with their node, or could not record. It lifts
	// their holds (enqueueing the still pending ones) in one transaction
	// and returns how many it lifted.
	DeliveryReleaseExpiredHolds(ctx context.Context, before time.Time, limit int) (int, error)
	// DeliveryGet returns a delivery, or ErrNotFound.
	DeliveryGet(ctx context.Context, id int64) (*Delivery, error)
	// DeliveryRecordAttempt sets the delivery's new status and, when the
	// params carry an attempt, counts and logs it, atomically;
	// ErrNotFound if there is no such delivery. A delivery that is no
	// longer pending (cancelled while its attempt was in flight) keeps
	// its status: the attempt is still logged and counted, its hold
	// lifted, no retry enqueued, and the error is ErrConflict (after
	// that record is committed). It returns nothing else:
	// every delivery's attempt is recorded, and reading the row back
	// would cost each of them for the callers that want it (DeliveryGet).
	DeliveryRecordAttempt(ctx context.Context, p DeliveryAttemptParams) error
	// DeliveryList returns deliveries matching the filter, newest first,
	// without their bodies, with their DeliveryRef, in one query.
	DeliveryList(ctx context.Context, p DeliveryListParams) ([]*Delivery, error)
	// DeliveryDetail is DeliveryGet with its DeliveryRef joined in, for
	// the admin views; ErrNotFound if there is no such delivery.
	DeliveryDetail(ctx context.Context, id int64) (*Delivery, error)
	// DeliveryAttemptList returns a delivery's attempts, oldest first.
	DeliveryAttemptList(ctx context.Context, deliveryID int64) ([]*Attempt, error)
	// DeliveryRedrive re-sends a dead letter: a new pending delivery with
	// the same bytes and MessageId (and its job), the dead letter marked
	// redriven. ErrConflict if the delivery is not dead.
	DeliveryRedrive(ctx context.Context, id int64, at time.Time) (*Delivery, error)
	// DeliveryStats summarises pending and dead deliveries.
	DeliveryStats(ctx context.Context) (*DeliveryStats, error)
	// AttemptDeleteBefore deletes attempts started before t, returning how many.
	AttemptDeleteBefore(ctx context.Context, t time.Time) (int, error)

	// SubscriptionSetPaused pauses or resumes a subscription's deliveries.
	SubscriptionSetPaused(ctx context.Context, id int64, paused bool) (*Subscription, error)
	// SubscriptionSetPolicy sets (nil clears) the subscription's policy.
	SubscriptionSetPolicy(ctx context.Context, id int64, policy []byte) (*Subscription, error)
	// AccountSetPolicy sets (nil clears) the account's delivery policy.
	AccountSetPolicy(ctx context.Context, id int64, policy []byte) (*Account, error)

	// SubscriptionDelete deletes a subscription for the operator, in any
	// state, in one transaction: its status becomes Deleted (DeletedAt
	// stamped at at, or kept if it was already deleted), its
	// confirmation tokens are deleted, so that no SubscribeURL can
	// confirm or restore it, and every pending delivery of it is
	// cancelled with reason as its last error (its hold, if any,
	// lifted: no job is enqueued for it). It returns the subscription
	// and how many deliveries it cancelled; ErrNotFound if there is
	// no such subscription.
	SubscriptionDelete(ctx context.Context, id int64, reason string, at time.Time) (*Subscription, int, error)
	// DeliveryCancel cancels one pending delivery for the operator: its
	// status becomes cancelled, reason its last error, its hold (if
	// any) lifted. It returns the delivery; ErrNotFound if there is
	// none, ErrConflict if it is not pending.
	DeliveryCancel(ctx context.Context, id int64, reason string, at time.Time) (*Delivery, error)
}
