package receiver

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Source types of an iVvy event (SPEC §4), the values of
// Notification.SourceType.
const (
	// SourceTypeUnknown: the event's origin is not known.
	SourceTypeUnknown = 0
	// SourceTypeAPI: an API call caused the event; SourceInfo is
	// {"key": "<api key>"} (see Notification.APIKey).
	SourceTypeAPI = 1
)

// Notification is a verified iVvy event: an SNS Notification whose SNS
// signature and inner iVvy signature both verified.
type Notification struct {
	// MessageID is the SNS MessageId; retries of a delivery reuse it.
	MessageID string
	// TopicArn is the topic the event was published to.
	TopicArn string
	// SubscriptionArn is the receiving subscription, from the
	// x-amz-sns-subscription-arn header; empty when unknown.
	SubscriptionArn string
	// Timestamp is the SNS Timestamp: when the message was published.
	Timestamp time.Time

	// TxnID identifies the event (32 lowercase hex); the same event
	// published twice to one topic has one TxnID.
	TxnID string
	// Region is the sender's region name.
	Region string
	// EventTime is the iVvy Timestamp (whole seconds, UTC).
	EventTime time.Time
	// AccountID is the iVvy account the event belongs to.
	AccountID string
	// Subject names the event, e.g. "CompanyAdded" (SPEC §5); it decides
	// the shape of Body.
	Subject string
	// Body is the event body, a JSON document: {"data": …} for Added
	// subjects, {"data": …, "previousData": …} for Updated ones, an object
	// of ids for Deleted ones. See DecodeData and DecodeBody.
	Body json.RawMessage
	// SourceType is SourceTypeUnknown or SourceTypeAPI.
	SourceType int
	// SourceInfo is the SourceInfo JSON (for API events {"key": "…"}), or
	// nil when it was null. SourceInfo is not signed; a value that is not
	// JSON is given as a JSON string.
	SourceInfo json.RawMessage

	// Raw is the SNS message as received.
	Raw *SNSMessage
	// Inner is the iVvy message as received.
	Inner *IvvyMessage
}

// newNotification builds the typed view of a verified message pair.
func newNotification(m *SNSMessage, inner *IvvyMessage) (*Notification, error) {
	ts, err := parseSNSTime(m.Timestamp)
	if err != nil {
		return nil, fail(CheckMalformed, err)
	}
	if !json.Valid([]byte(inner.Body)) {
		return nil, fail(CheckMalformed, fmt.Errorf("%w: Body of %s is not JSON", ErrMalformedIvvyMessage, inner.Subject))
	}
	n := &Notification{
		MessageID:  m.MessageId,
		TopicArn:   m.TopicArn,
		Timestamp:  ts,
		TxnID:      inner.TxnId,
		Region:     inner.Region,
		EventTime:  time.Unix(inner.Timestamp, 0).UTC(),
		AccountID:  inner.AccountId,
		Subject:    inner.Subject,
		Body:       json.RawMessage(inner.Body),
		SourceType: inner.SourceType,
		Raw:        m,
		Inner:      inner,
	}
	if inner.SourceInfo != nil {
		info := []byte(*inner.SourceInfo)
		if !json.Valid(info) {
			info, _ = json.Marshal(*inner.SourceInfo) // a string always marshals
		}
		n.SourceInfo = info
	}
	return n, nil
}

// APIKey returns the API key that caused an API-sourced event (SourceInfo
// {"key": "…"}), or "" for any other event.
func (n *Notification) APIKey() string {
	if n.SourceType != SourceTypeAPI || n.SourceInfo == nil {
		return ""
	}
	var info struct {
		Key string `json:"key"`
	}
	if json.Unmarshal(n.SourceInfo, &info) != nil {
		return ""
	}
	return info.Key
}

// errNoData is returned by DecodeData for a body without "data".
var errNoData = errors.New(`body has no "data" member`)

// DecodeData returns the "data" and "previousData" members of n.Body, as
// raw JSON, for the data subjects (Added, …Generated: {"data": {…}}),
// the dataWithPrevious subjects (Updated, Moved, Confirmed: previous is
// set) and the ari subjects ({"data": [ … ]}). BookingRoomReservationCancelled
// also has data. previous is nil when the body has none; a body that is not
// an object, or has no non-null data, is an error.
func DecodeData(n *Notification) (data, previous json.RawMessage, err error) {
	var b struct {
		Data         json.RawMessage `json:"data"`
		PreviousData json.RawMessage `json:"previousData"`
	}
	if err := json.Unmarshal(n.Body, &b); err != nil {
		return nil, nil, fmt.Errorf("receiver: %s body: %w", n.Subject, err)
	}
	if b.Data == nil || string(b.Data) == "null" {
		return nil, nil, fmt.Errorf("receiver: %s body: %w", n.Subject, errNoData)
	}
	if string(b.PreviousData) == "null" {
		b.PreviousData = nil
	}
	return b.Data, b.PreviousData, nil
}
