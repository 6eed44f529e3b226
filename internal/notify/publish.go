package notify

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/ivvymsg"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// MaxMessageBytes is SNS's limit on a published message: 256 KB.
const MaxMessageBytes = 262144

// MaxBatch is the most events one publish request may carry.
const MaxBatch = 100

// txnIDPattern is iVvy's TxnId: 32 lowercase hex digits.
var txnIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Event is one event to publish.
type Event struct {
	Subject string
	// Body is the event body, a JSON object.
	Body json.RawMessage
	// SourceType is 0 (unknown) or 1 (API).
	SourceType int
	// SourceInfo is a JSON object (e.g. {"key":"…"}) or nil.
	SourceInfo json.RawMessage
	// TxnID is an optional idempotency key; generated when empty.
	TxnID string
}

// Published is what publishing one event did.
type Published struct {
	TxnID      string
	Messages   int
	Deliveries int
	// Duplicate reports that the TxnID was published before: nothing new
	// was stored or sent, and the counts are the first publish's.
	Duplicate bool
}

// PublishError is an event that cannot be published; nothing was stored.
type PublishError struct {
	// Index is the event's position in a batch (0 for a single event), or
	// -1 when the error is the batch's as a whole (its size).
	Index  int
	Field  string
	Reason string
}

// Error returns e.g. `event 3: txnId: must be 32 lowercase hex digits…`.
func (e *PublishError) Error() string {
	if e.Index < 0 {
		return e.Message()
	}
	return fmt.Sprintf("event %d: %s", e.Index, e.Message())
}

// Message is the error without the event's index, for a single event:
// the field and the reason, or the reason alone when it names the field.
func (e *PublishError) Message() string {
	if strings.Contains(e.Reason, e.Field) {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// prepared is an event validated and, where it has subscribers, built and
// signed, ready to store.
type prepared struct {
	event      store.EventCreateParams
	subs       []*store.Subscription
	deliveries []store.DeliveryCreateParams
}

// Publish validates, signs and stores the events and their deliveries in
// one transaction; it returns only once all are committed. An invalid
// event fails the whole call with a *PublishError and stores nothing.
func (s *Service) Publish(ctx context.Context, accountID int64, events []Event) ([]Published, error) {
	if len(events) == 0 || len(events) > MaxBatch {
		return nil, &PublishError{Index: -1, Field: "events", Reason: fmt.Sprintf("a batch holds 1 to %d events, not %d", MaxBatch, len(events))}
	}
	if _, err := s.Store.AccountGet(ctx, accountID); err != nil {
		return nil, err
	}
	preps := make([]*prepared, len(events))
	lk := &lookups{accountID: accountID, topics: map[string]*topicSubs{}, batch: len(events) > 1}
	var err error
	// A batch's chosen TxnIDs that were published before are found before
	// signing, in one query, so that a batch sent again costs no
	// signatures. A single event is not looked up: its insert reports a
	// repeat all the same (see store), and the lookup would cost every
	// single publish a read to spare the rare repeat its two signatures.
	if lk.batch {
		if lk.taken, err = s.Store.EventTxnIDsTaken(ctx, accountID, chosenTxnIDs(events)); err != nil {
			return nil, err
		}
	}
	for i, ev := range events {
		p, err := s.prepare(ctx, lk, ev)
		var pe *PublishError
		if errors.As(err, &pe) {
			pe.Index = i
		}
		if err != nil {
			return nil, err
		}
		preps[i] = p
		// Signing is the CPU-bound part of publishing: a batch yields after
		// every signature (here between events, in build between an
		// event's two) so that the delivery pipeline's short steps
		// (fetching jobs, committing, sending) are not left waiting for a
		// core until the scheduler preempts a batch being signed.
		if i < len(events)-1 {
			runtime.Gosched()
		}
	}
	reserved, holdUntil := s.reserveDirect(preps)
	var created []*store.Delivery
	out := make([]Published, len(preps))
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		var deliveries []store.DeliveryCreateParams
		for i, p := range preps {
			var err error
			if out[i], err = s.store(ctx, q, p); err != nil {
				return err
			}
			if !out[i].Duplicate {
				deliveries = append(deliveries, p.deliveries...)
			}
		}
		for i := range min(reserved, len(deliveries)) {
			deliveries[i].HoldUntil = holdUntil
		}
		if len(deliveries) == 0 {
			return nil
		}
		var err error
		created, err = q.DeliveryCreateMany(ctx, deliveries)
		return err
	})
	if reserved > 0 {
		if err != nil {
			created = nil
		}
		s.direct.Send(created, reserved)
	}
	if err == nil && s.OnPublished != nil {
		s.OnPublished(countNew(out))
	}
	if err == nil {
		s.logPublished(ctx, accountID, events, out)
	}
	return out, err
}

// reserveDirect reserves direct sends for the deliveries of preps (see
// SetDirect): how many, and until when their deliveries are held.
func (s *Service) reserveDirect(preps []*prepared) (int, time.Time) {
	n := 0
	for _, p := range preps {
		n += len(p.deliveries)
	}
	if s.direct == nil || n == 0 {
		return 0, time.Time{}
	}
	return s.direct.Reserve(n)
}

// chosenTxnIDs returns the TxnIDs the publisher chose: only those can repeat
// (one generated here is 128 random bits, and store() would still report a
// clash as a duplicate).
func chosenTxnIDs(events []Event) []string {
	var ids []string
	for _, ev := range events {
		if ev.TxnID != "" {
			ids = append(ids, ev.TxnID)
		}
	}
	return ids
}

// countNew counts the events and deliveries a publish created.
func countNew(out []Published) (events, deliveries int) {
	for _, p := range out {
		if !p.Duplicate {
			events++
			deliveries += p.Deliveries
		}
	}
	return events, deliveries
}

// store writes one prepared event and sets its deliveries' event ID (the
// caller creates them, the whole batch's at once), or reports the earlier
// publish of its TxnID.
func (s *Service) store(ctx context.Context, q store.Queries, p *prepared) (Published, error) {
	e, err := q.EventCreate(ctx, p.event)
	if errors.Is(err, store.ErrConflict) {
		if e, err = q.EventGetByTxnID(ctx, p.event.AccountID, p.event.TxnID); err == nil {
			return Published{TxnID: e.TxnID, Messages: e.Messages, Deliveries: e.Deliveries, Duplicate: true}, nil
		}
	}
	if err != nil {
		return Published{}, err
	}
	for i := range p.deliveries {
		p.deliveries[i].EventID = &e.ID
	}
	return Published{TxnID: e.TxnID, Messages: e.Messages, Deliveries: e.Deliveries}, nil
}

// lookups holds what the events of one publish call share, read once per
// call: each endpoint's topic and confirmed subscriptions, the account's
// signing key, and which of the chosen TxnIDs were published before.
type lookups struct {
	accountID int64
	topics    map[string]*topicSubs
	signer    *accounts.Signer
	taken     map[string]bool
	// batch is set when the call has more than one event: its chosen
	// TxnIDs are looked up first, and its signing yields the processor
	// after every signature (see Publish).
	batch bool
}

// topicSubs is an endpoint's topic (nil when nobody ever subscribed) and
// its confirmed subscriptions.
type topicSubs struct {
	topic *store.Topic
	subs  []*store.Subscription
}

// topic returns the topic and confirmed subscriptions of an endpoint.
func (s *Service) topic(ctx context.Context, lk *lookups, endpoint string) (*topicSubs, error) {
	if ts, ok := lk.topics[endpoint]; ok {
		return ts, nil
	}
	ts := &topicSubs{}
	topic, err := s.Store.TopicGet(ctx, lk.accountID, endpoint)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		ts.topic = topic
		if ts.subs, err = s.Store.SubscriptionListConfirmed(ctx, topic.ID); err != nil {
			return nil, err
		}
	}
	lk.topics[endpoint] = ts
	return ts, nil
}

// prepare validates an event and builds its signed messages.
func (s *Service) prepare(ctx context.Context, lk *lookups, ev Event) (*prepared, error) {
	p, err := s.validate(lk.accountID, ev)
	if err != nil {
		return nil, err
	}
	if lk.taken[ev.TxnID] {
		return p, nil // a duplicate: store() reports it; nothing to build
	}
	subject, _ := s.Deps.Catalog.Subject(ev.Subject)
	ts, err := s.topic(ctx, lk, subject.Endpoint.Name())
	if err != nil || len(ts.subs) == 0 {
		return p, err
	}
	p.subs = ts.subs
	if lk.signer == nil {
		if lk.signer, err = s.Accounts.CurrentSigner(ctx, s.Store, lk.accountID); err != nil {
			return nil, fmt.Errorf("notify: signing key of account %d: %w", lk.accountID, err)
		}
	}
	return p, s.build(p, ts.topic, lk.signer, lk.batch)
}

// validate checks the event against the catalog and SNS's limits.
func (s *Service) validate(accountID int64, ev Event) (*prepared, error) {
	if err := s.Deps.Catalog.Validate(ev.Subject, ev.Body); err != nil {
		field := "body"
		if errors.Is(err, catalog.ErrUnknownSubject) {
			field = "subject"
		}
		return nil, &PublishError{Field: field, Reason: err.Error()}
	}
	var body bytes.Buffer
	if err := json.Compact(&body, ev.Body); err != nil {
		return nil, &PublishError{Field: "body", Reason: err.Error()}
	}
	info, err := sourceInfo(ev)
	if err != nil {
		return nil, err
	}
	txnID := ev.TxnID
	if txnID == "" {
		if txnID, err = ivvymsg.NewTxnID(s.Rand); err != nil {
			return nil, err
		}
	} else if !txnIDPattern.MatchString(txnID) {
		return nil, &PublishError{Field: "txnId", Reason: "must be 32 lowercase hex digits, like iVvy's TxnId"}
	}
	e := store.EventCreateParams{
		AccountID: accountID, TxnID: txnID, Subject: ev.Subject, Body: body.Bytes(),
		SourceType: ev.SourceType, SourceInfo: info, CreatedAt: s.Now(),
	}
	if err := s.checkSize(e); err != nil {
		return nil, err
	}
	return &prepared{event: e}, nil
}

// sourceInfo checks SourceType and renders SourceInfo as the JSON string
// the iVvy message carries.
func sourceInfo(ev Event) (*string, error) {
	if ev.SourceType != ivvymsg.SourceTypeUnknown && ev.SourceType != ivvymsg.SourceTypeAPI {
		return nil, &PublishError{Field: "sourceType", Reason: "must be 0 (unknown) or 1 (API)"}
	}
	raw := bytes.TrimSpace(ev.SourceInfo)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, &PublishError{Field: "sourceInfo", Reason: "must be a JSON object or null"}
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, &PublishError{Field: "sourceInfo", Reason: err.Error()}
	}
	info := buf.String()
	return &info, nil
}

// build signs the iVvy message with the account's key and the SNS
// Notification with the server's, once each, and renders one body per
// subscription (only UnsubscribeURL differs, and it is not signed). With
// yield it yields the processor between the two signatures.
func (s *Service) build(p *prepared, topic *store.Topic, signer *accounts.Signer, yield bool) error {
	inner, err := s.innerMessage(p.event, signer.Key, signer.PublicKeyPath)
	if err != nil {
		return err
	}
	if yield {
		runtime.Gosched() // see Publish
	}
	id, err := sns.NewMessageID(s.Rand)
	if err != nil {
		return err
	}
	m := sns.NewNotification(sns.NotificationParams{
		BaseURL: s.settings.PublicURL, MessageID: id, TopicArn: topic.ARN, Message: string(inner), Timestamp: p.event.CreatedAt,
	})
	if err := s.SNS.Sign(m); err != nil {
		return err
	}
	for _, sub := range p.subs {
		m.UnsubscribeURL = sns.UnsubscribeURL(s.settings.PublicURL, sub.ARN)
		p.deliveries = append(p.deliveries, store.DeliveryCreateParams{
			SubscriptionID: sub.ID, MessageID: m.MessageId, MessageType: m.Type, Body: m.MarshalSNS(), CreatedAt: p.event.CreatedAt,
		})
	}
	p.event.Messages, p.event.Deliveries = 1, len(p.deliveries)
	return nil
}

// innerMessage builds and signs the iVvy message and checks SNS's size
// limit on it.
func (s *Service) innerMessage(e store.EventCreateParams, key *rsa.PrivateKey, path string) ([]byte, error) {
	m := s.unsignedMessage(e, path)
	if err := ivvymsg.Sign(m, key); err != nil {
		return nil, err
	}
	return m.Marshal()
}

// unsignedMessage is the iVvy message of an event, before signing.
func (s *Service) unsignedMessage(e store.EventCreateParams, path string) *ivvymsg.Message {
	return &ivvymsg.Message{
		TxnId: e.TxnID, Region: s.settings.Region, Timestamp: e.CreatedAt.Unix(),
		AccountId: strconv.FormatInt(e.AccountID, 10), Subject: e.Subject, Body: string(e.Body),
		SourceType: e.SourceType, SourceInfo: e.SourceInfo, SigningPublicKeyPath: path,
	}
}

// checkSize refuses an event whose iVvy message would exceed SNS's limit,
// whether or not anyone is subscribed yet: the answer must not depend on it.
// It measures the message with a signature and key path of full length.
func (s *Service) checkSize(e store.EventCreateParams) error {
	m := s.unsignedMessage(e, ivvymsg.PublicKeyPath(strconv.FormatInt(e.AccountID, 10), 1<<40))
	m.Signature = strings.Repeat("A", signatureLength)
	if err := m.CheckUTF8(); err != nil {
		return &PublishError{Field: "body", Reason: err.Error()}
	}
	if m.MarshalledLenAtMost() <= MaxMessageBytes {
		return nil // the usual event, far below the limit: no need to marshal it
	}
	b, err := m.Marshal()
	if err != nil {
		return &PublishError{Field: "body", Reason: err.Error()}
	}
	if len(b) > MaxMessageBytes {
		return &PublishError{Field: "body", Reason: fmt.Sprintf("the message would be %d bytes; SNS's limit is %d (256 KB)", len(b), MaxMessageBytes)}
	}
	return nil
}

// signatureLength is the base64 length of an RSA-2048 signature.
const signatureLength = 344
