package sns

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"
)

// ConfirmationParams are the caller-chosen parts of a
// SubscriptionConfirmation or UnsubscribeConfirmation.
type ConfirmationParams struct {
	// BaseURL is the public base URL the SubscribeURL is built on, with or
	// without a trailing slash, e.g. "https://sns.example.com".
	BaseURL string
	// MessageID is the message's lowercase UUID (SNS uses random v4 IDs
	// for confirmations; see NewMessageID).
	MessageID string
	// TopicArn is the topic being (re-)subscribed to.
	TopicArn string
	// Token is the confirmation token carried in Token and SubscribeURL.
	// For an UnsubscribeConfirmation it must be a NEW token, not the
	// subscription's original one (SNS.md §1.4).
	Token string
	// Timestamp is when the message is sent; see FormatTimestamp.
	Timestamp time.Time
}

// NotificationParams are the caller-chosen parts of a Notification.
type NotificationParams struct {
	// BaseURL is the public base URL the UnsubscribeURL is built on.
	BaseURL string
	// MessageID is the message's lowercase UUID; retries reuse it.
	MessageID string
	// TopicArn is the topic the message was published to.
	TopicArn string
	// SubscriptionArn is the receiving subscription, for UnsubscribeURL.
	SubscriptionArn string
	// Subject is optional; empty means the body has no Subject key.
	Subject string
	// Message is the published message, sent as a JSON string.
	Message string
	// Timestamp is the publish time; see FormatTimestamp.
	Timestamp time.Time
}

// NewSubscriptionConfirmation builds an unsigned SubscriptionConfirmation
// with SNS's fixed Message text and SubscribeURL (SNS.md §1.2).
func NewSubscriptionConfirmation(p ConfirmationParams) *Message {
	return newConfirmation(TypeSubscriptionConfirmation, p,
		"You have chosen to subscribe to the topic "+p.TopicArn+
			".\nTo confirm the subscription, visit the SubscribeURL included in this message.")
}

// NewUnsubscribeConfirmation builds an unsigned UnsubscribeConfirmation for
// subscriptionArn with SNS's fixed Message text (SNS.md §1.4). Its
// SubscribeURL carries p.Token, which must be a new token: visiting the URL
// restores the subscription.
func NewUnsubscribeConfirmation(p ConfirmationParams, subscriptionArn string) *Message {
	return newConfirmation(TypeUnsubscribeConfirmation, p,
		"You have chosen to deactivate subscription "+subscriptionArn+
			".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.")
}

// newConfirmation fills the fields both confirmation types share.
func newConfirmation(typ string, p ConfirmationParams, text string) *Message {
	return &Message{
		Type:         typ,
		MessageId:    p.MessageID,
		Token:        p.Token,
		TopicArn:     p.TopicArn,
		Message:      text,
		SubscribeURL: SubscribeURL(p.BaseURL, p.TopicArn, p.Token),
		Timestamp:    FormatTimestamp(p.Timestamp),
	}
}

// NewNotification builds an unsigned Notification (SNS.md §1.3). It has a
// Subject only when p.Subject is non-empty.
func NewNotification(p NotificationParams) *Message {
	return &Message{
		Type:           TypeNotification,
		MessageId:      p.MessageID,
		TopicArn:       p.TopicArn,
		Subject:        p.Subject,
		Message:        p.Message,
		Timestamp:      FormatTimestamp(p.Timestamp),
		UnsubscribeURL: UnsubscribeURL(p.BaseURL, p.SubscriptionArn),
	}
}

// SubscribeURL returns {base}/?Action=ConfirmSubscription&TopicArn={arn}&Token={token}.
// Like SNS, the query values are not percent-encoded (ARN colons stay raw);
// ARNs and hex tokens contain no characters that would need it.
func SubscribeURL(base, topicArn, token string) string {
	return trimBase(base) + "/?Action=ConfirmSubscription&TopicArn=" + topicArn + "&Token=" + token
}

// UnsubscribeURL returns {base}/?Action=Unsubscribe&SubscriptionArn={arn},
// the value not percent-encoded, like SNS.
func UnsubscribeURL(base, subscriptionArn string) string {
	return trimBase(base) + "/?Action=Unsubscribe&SubscriptionArn=" + subscriptionArn
}

// CertURL returns {base}/SimpleNotificationService-{certHex}.pem, the
// SigningCertURL (no query string: npm sns-validator checks that the path
// plus query ends in ".pem"). certHex is normally CertHex of the certificate.
func CertURL(base, certHex string) string {
	return trimBase(base) + "/SimpleNotificationService-" + certHex + ".pem"
}

// trimBase drops trailing slashes so "https://h" and "https://h/" agree.
func trimBase(base string) string {
	return strings.TrimRight(base, "/")
}

// FormatTimestamp renders t in UTC as 2006-01-02T15:04:05.000Z: always
// three fractional digits (truncated to the millisecond), as SNS does.
//
// A whole second is rendered as .001, never .000: AWS's Java v2 validator
// rebuilds the signed Timestamp with Instant.parse(ts).toString(), which
// prints a whole second without a fraction ("…:05Z"), so a signed ".000Z"
// fails its signature check (SNS.md §8.4, §8.6). Moving such a time by one
// millisecond is harmless and keeps every validator happy.
func FormatTimestamp(t time.Time) string {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Nanosecond() == 0 {
		t = t.Add(time.Millisecond)
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// NewMessageID returns a random (version 4) lowercase UUID read from r,
// e.g. crypto/rand.Reader. SNS itself uses v4 IDs for confirmations and
// v5-looking IDs for notifications, but no validator checks the form, so v4
// is fine for every type.
func NewMessageID(r io.Reader) (string, error) {
	var u [16]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return "", fmt.Errorf("sns: message id: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// TokenBytes is how many random bytes NewToken reads: 128 bytes give the
// 256 lowercase hex characters of real SNS tokens.
const TokenBytes = 128

// NewToken returns a confirmation token: TokenBytes bytes read from r,
// rendered as lowercase hex. Receivers treat tokens as opaque.
func NewToken(r io.Reader) (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("sns: token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
