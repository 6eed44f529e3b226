package receivertest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/ivvymsg"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
)

// MessageOption changes a message a Server builds.
type MessageOption func(*message)

// message holds the choices of one built message.
type message struct {
	accountID, topicArn, subscriptionArn string
	messageID, txnID, version, keyPath   string
	at                                   time.Time
	sourceType                           int
	sourceInfo                           *string
}

// WithAccountID sets the iVvy AccountId (default DefaultAccountID); the
// default topic follows it.
func WithAccountID(id string) MessageOption { return func(m *message) { m.accountID = id } }

// WithTopicArn sets the TopicArn (default Server.TopicArn of the account and
// subject).
func WithTopicArn(arn string) MessageOption { return func(m *message) { m.topicArn = arn } }

// WithSubscriptionArn sets the subscription ARN of the UnsubscribeURL and of
// the x-amz-sns-subscription-arn header (default Server.SubscriptionArn).
func WithSubscriptionArn(arn string) MessageOption {
	return func(m *message) { m.subscriptionArn = arn }
}

// WithMessageID sets the SNS MessageId (default a random UUID): build two
// messages with one MessageId to test duplicate suppression.
func WithMessageID(id string) MessageOption { return func(m *message) { m.messageID = id } }

// WithTxnID sets the iVvy TxnId (default 32 random hex digits).
func WithTxnID(id string) MessageOption { return func(m *message) { m.txnID = id } }

// WithTime sets the SNS Timestamp and the iVvy Timestamp (default now).
func WithTime(t time.Time) MessageOption { return func(m *message) { m.at = t } }

// WithSignatureVersion sets the SNS SignatureVersion, "1" (SHA-1, the
// default) or "2" (SHA-256).
func WithSignatureVersion(v string) MessageOption { return func(m *message) { m.version = v } }

// WithAPIKey marks the event as caused by an API call with key:
// SourceType 1 and SourceInfo {"key":"<key>"}.
func WithAPIKey(key string) MessageOption {
	return func(m *message) { m.sourceType, m.sourceInfo = ivvymsg.SourceTypeAPI, ivvymsg.SourceInfoForKey(key) }
}

// WithKeyPath replaces the SigningPublicKeyPath (default Server.KeyPath of
// the account). It is not signed, so the message still verifies if the
// path serves the same key.
func WithKeyPath(path string) MessageOption { return func(m *message) { m.keyPath = path } }

// options applies opts over the defaults.
func (s *Server) options(opts []MessageOption) *message {
	m := &message{accountID: DefaultAccountID, version: sns.SignatureVersion1, at: time.Now()}
	for _, o := range opts {
		o(m)
	}
	if m.messageID == "" {
		m.messageID = must(sns.NewMessageID(rand.Reader))
	}
	if m.txnID == "" {
		m.txnID = must(ivvymsg.NewTxnID(rand.Reader))
	}
	if m.keyPath == "" {
		m.keyPath = s.KeyPath(m.accountID)
	}
	return m
}

// Notification returns the body of a signed SNS Notification carrying a
// signed iVvy message with subject and body. body is marshalled to JSON,
// except a []byte, json.RawMessage or string, which is the body's JSON text
// as it is (even if it is not valid JSON, for negative tests). It panics if
// body does not marshal.
func (s *Server) Notification(subject string, body any, opts ...MessageOption) []byte {
	m := s.options(opts)
	if m.topicArn == "" {
		m.topicArn = s.TopicArn(m.accountID, subject)
	}
	if m.subscriptionArn == "" {
		m.subscriptionArn = s.SubscriptionArn(m.topicArn)
	}
	inner := &ivvymsg.Message{
		TxnId: m.txnID, Region: Region, Timestamp: m.at.Unix(), AccountId: m.accountID,
		Subject: subject, Body: string(bodyJSON(body)), SourceType: m.sourceType,
		SourceInfo: m.sourceInfo, SigningPublicKeyPath: m.keyPath,
	}
	check(ivvymsg.Sign(inner, s.accountKey))
	innerJSON := must(inner.Marshal())
	msg := sns.NewNotification(sns.NotificationParams{
		BaseURL: s.URL(), MessageID: m.messageID, TopicArn: m.topicArn,
		SubscriptionArn: m.subscriptionArn, Message: string(innerJSON), Timestamp: m.at,
	})
	return s.sign(msg, m)
}

// SubscriptionConfirmation returns the body of a signed
// SubscriptionConfirmation for topicArn. Its SubscribeURL, on this Server,
// confirms the subscription (see Confirmed).
func (s *Server) SubscriptionConfirmation(topicArn string, opts ...MessageOption) []byte {
	m := s.options(opts)
	m.topicArn = topicArn
	msg := sns.NewSubscriptionConfirmation(s.confirmation(m))
	return s.sign(msg, m)
}

// UnsubscribeConfirmation returns the body of a signed
// UnsubscribeConfirmation for subscriptionArn (a topic ARN, ":" and an id).
// Visiting its SubscribeURL restores the subscription.
func (s *Server) UnsubscribeConfirmation(subscriptionArn string, opts ...MessageOption) []byte {
	m := s.options(opts)
	m.subscriptionArn = subscriptionArn
	m.topicArn = subscriptionArn[:max(strings.LastIndexByte(subscriptionArn, ':'), 0)]
	msg := sns.NewUnsubscribeConfirmation(s.confirmation(m), subscriptionArn)
	return s.sign(msg, m)
}

// confirmation issues a token for m.topicArn and returns the message
// parameters.
func (s *Server) confirmation(m *message) sns.ConfirmationParams {
	token := must(sns.NewToken(rand.Reader))
	s.mu.Lock()
	s.tokens[token] = m.topicArn
	s.mu.Unlock()
	return sns.ConfirmationParams{
		BaseURL: s.URL(), MessageID: m.messageID, TopicArn: m.topicArn, Token: token, Timestamp: m.at,
	}
}

// sign signs msg, records its SNS headers and returns its body.
func (s *Server) sign(msg *sns.Message, m *message) []byte {
	check(sns.Signer{Key: s.snsKey, Version: m.version, CertURL: s.CertURL()}.Sign(msg))
	h := http.Header{}
	for k, vs := range sns.Headers(msg, m.subscriptionArn) {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	s.mu.Lock()
	s.headers[msg.MessageId] = h
	s.mu.Unlock()
	return msg.MarshalSNS()
}

// Request returns a POST request delivering body, with the headers SNS
// sends when body is (or has the MessageId of) a message this Server built,
// for calling a handler's ServeHTTP directly.
func (s *Server) Request(body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	for k, vs := range s.headersFor(body) {
		r.Header[k] = append([]string(nil), vs...)
	}
	return r
}

// Deliver POSTs body to endpoint with SNS's headers, as SNS would; the
// caller closes the response body.
func (s *Server) Deliver(endpoint string, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range s.headersFor(body) {
		req.Header[k] = append([]string(nil), vs...)
	}
	return http.DefaultClient.Do(req)
}

// headersFor returns the recorded headers of body's MessageId, or only
// Content-Type and User-Agent.
func (s *Server) headersFor(body []byte) http.Header {
	var ids struct{ MessageId string }
	_ = json.Unmarshal(body, &ids) // unknown bodies get the basic headers
	s.mu.Lock()
	h, ok := s.headers[ids.MessageId]
	s.mu.Unlock()
	if !ok {
		h = http.Header{"Content-Type": {sns.ContentType}, "User-Agent": {sns.UserAgent}}
	}
	return h
}

// bodyJSON returns the JSON text of a Notification body.
func bodyJSON(body any) []byte {
	switch b := body.(type) {
	case []byte:
		return b
	case json.RawMessage:
		return b
	case string:
		return []byte(b)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	check(enc.Encode(body))
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// must panics on err, which only programming errors cause here.
func must[T any](v T, err error) T {
	check(err)
	return v
}

func check(err error) {
	if err != nil {
		panic("receivertest: " + err.Error())
	}
}
