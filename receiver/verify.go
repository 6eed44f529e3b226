package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// SNS request headers (SNS.md §3.2). Header lookups are case-insensitive.
const (
	HeaderMessageType     = "x-amz-sns-message-type"
	HeaderMessageID       = "x-amz-sns-message-id"
	HeaderTopicArn        = "x-amz-sns-topic-arn"
	HeaderSubscriptionArn = "x-amz-sns-subscription-arn"
	HeaderRawDelivery     = "x-amz-sns-rawdelivery"
)

// header returns the first value of the header name, whether r.Header holds
// it under its canonical key (as net/http servers store it) or verbatim.
func header(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	if vs := h[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// ParseRequest reads and parses the SNS message in r's body (at most
// Options.MaxBodyBytes). When the x-amz-sns-message-type,
// x-amz-sns-message-id or x-amz-sns-topic-arn headers are present they must
// agree with the body; a raw-delivery request (x-amz-sns-rawdelivery: true)
// carries no signature and is refused. It does not verify the message and
// does not check the method. Errors are *CheckError with CheckMalformed.
func (v *Verifier) ParseRequest(r *http.Request) (*SNSMessage, error) {
	if strings.EqualFold(header(r.Header, HeaderRawDelivery), "true") {
		return nil, fail(CheckMalformed, errors.New("raw message delivery carries no signature; turn RawMessageDelivery off"))
	}
	if r.Body == nil {
		return nil, fail(CheckMalformed, errors.New("no request body"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, v.maxBody+1))
	if err != nil {
		return nil, fail(CheckMalformed, fmt.Errorf("reading the body: %w", err))
	}
	if int64(len(body)) > v.maxBody {
		return nil, fail(CheckMalformed, fmt.Errorf("body larger than %d bytes", v.maxBody))
	}
	m, err := ParseSNSMessage(body)
	if err != nil {
		return nil, fail(CheckMalformed, err)
	}
	for _, h := range []struct{ name, want string }{
		{HeaderMessageType, m.Type}, {HeaderMessageID, m.MessageId}, {HeaderTopicArn, m.TopicArn},
	} {
		if got := header(r.Header, h.name); got != "" && got != h.want {
			return nil, fail(CheckMalformed, fmt.Errorf("header %s is %q, the body says %q", h.name, got, h.want))
		}
	}
	return m, nil
}

// VerifySNS checks m's SNS signature: the SigningCertURL must pass
// CheckCertURL (CheckCertHost), the certificate is fetched or taken from the
// cache (CheckCertFetch, CheckCertificate, including its dates when
// Options.CheckCertDates is set), the signature must verify
// (CheckSNSSignature) and, when Options.MaxMessageAge is set, the Timestamp
// must be recent (CheckStale). Errors are *CheckError.
func (v *Verifier) VerifySNS(ctx context.Context, m *SNSMessage) error {
	if m == nil {
		return fail(CheckMalformed, errors.New("no message"))
	}
	if err := v.CheckCertURL(m.SigningCertURL); err != nil {
		return err
	}
	cert, err := v.certificate(ctx, m.SigningCertURL)
	if err != nil {
		return err
	}
	if now := v.now(); v.dates && (now.Before(cert.NotBefore) || now.After(cert.NotAfter)) {
		return fail(CheckCertificate, fmt.Errorf("%w: %s is valid from %s to %s, not at %s", ErrCertificate,
			m.SigningCertURL, cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339), now.Format(time.RFC3339)))
	}
	if err := VerifySNSSignature(m, cert.PublicKey); err != nil {
		if errors.Is(err, ErrMalformedMessage) {
			return fail(CheckMalformed, err)
		}
		return fail(CheckSNSSignature, err)
	}
	if v.maxAge > 0 {
		ts, err := parseSNSTime(m.Timestamp)
		if err != nil {
			return fail(CheckMalformed, err)
		}
		if age := v.now().Sub(ts); age > v.maxAge || age < -v.maxAge {
			return fail(CheckStale, fmt.Errorf("Timestamp %s is %s from now, more than %s", m.Timestamp, age.Round(time.Second), v.maxAge))
		}
	}
	return nil
}

// parseSNSTime parses an SNS Timestamp (2006-01-02T15:04:05.000Z).
func parseSNSTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("Timestamp %q is not an ISO 8601 time", s)
	}
	return t, nil
}

// VerifyIvvy checks the iVvy message's signature (SPEC §4) against the
// account public key at Options.KeyBaseURL + m.SigningPublicKeyPath, fetched
// or taken from the cache. The path is refused (CheckInnerSignature) unless
// it starts with "/", uses only letters, digits and "._~/-", has no ".." and,
// when it has the form /accounts/{id}/…, names m.AccountId. A key that cannot
// be fetched or parsed is CheckKeyFetch; a bad signature CheckInnerSignature.
func (v *Verifier) VerifyIvvy(ctx context.Context, m *IvvyMessage) error {
	if m == nil {
		return fail(CheckMalformed, errors.New("no iVvy message"))
	}
	keyURL, err := v.keyURL(m.AccountId, m.SigningPublicKeyPath)
	if err != nil {
		return err
	}
	key, err := v.publicKey(ctx, keyURL)
	if err != nil {
		return err
	}
	if err := VerifyIvvySignature(m, key); err != nil {
		return fail(CheckInnerSignature, err)
	}
	return nil
}

// VerifyNotification verifies a Notification completely (VerifySNS, then
// the iVvy message inside it with VerifyIvvy) and returns it as a typed
// Notification. SubscriptionArn is left empty: it travels in a header (see
// Handler). A message of another Type, an iVvy message that does not parse
// or whose Body is not JSON, and an event on an iVvy topic
// (…:iVvy_Account_{id}_…) of another account than its AccountId are
// CheckMalformed.
func (v *Verifier) VerifyNotification(ctx context.Context, m *SNSMessage) (*Notification, error) {
	if err := v.VerifySNS(ctx, m); err != nil {
		return nil, err
	}
	return v.notification(ctx, m)
}

// notification verifies the inner message of an SNS-verified Notification.
func (v *Verifier) notification(ctx context.Context, m *SNSMessage) (*Notification, error) {
	if m.Type != SNSTypeNotification {
		return nil, fail(CheckMalformed, fmt.Errorf("Type is %s, not Notification", m.Type))
	}
	inner, err := ParseIvvyMessage([]byte(m.Message))
	if err != nil {
		return nil, fail(CheckMalformed, err)
	}
	if err := v.VerifyIvvy(ctx, inner); err != nil {
		return nil, err
	}
	if id, ok := topicAccount(m.TopicArn); ok && id != inner.AccountId {
		return nil, fail(CheckMalformed, fmt.Errorf("AccountId %q does not own topic %s", inner.AccountId, m.TopicArn))
	}
	return newNotification(m, inner)
}

// topicRE matches the name of an iVvy topic (SPEC §2).
var topicRE = regexp.MustCompile(`:iVvy_Account_([^_:]+)_[0-9a-fA-F]{40}_Notif[A-Za-z]+$`)

// topicAccount returns the account id in an iVvy topic ARN.
func topicAccount(topicArn string) (string, bool) {
	sub := topicRE.FindStringSubmatch(topicArn)
	if sub == nil {
		return "", false
	}
	return sub[1], true
}

// ConfirmSubscription verifies m (VerifySNS), then visits its SubscribeURL
// and returns the response body (SNS's ConfirmSubscriptionResponse XML). m
// must be a SubscriptionConfirmation, or an UnsubscribeConfirmation, whose
// SubscribeURL restores the subscription. The URL must be https (http with
// Options.AllowHTTP) on a host the certificate host pattern allows, with
// Action=ConfirmSubscription; anything else, and any answer but 200, is
// CheckConfirm.
func (v *Verifier) ConfirmSubscription(ctx context.Context, m *SNSMessage) ([]byte, error) {
	if err := v.VerifySNS(ctx, m); err != nil {
		return nil, err
	}
	return v.confirm(ctx, m)
}

// confirm visits the SubscribeURL of an SNS-verified confirmation message.
func (v *Verifier) confirm(ctx context.Context, m *SNSMessage) ([]byte, error) {
	if m.Type != SNSTypeSubscriptionConfirmation && m.Type != SNSTypeUnsubscribeConfirmation {
		return nil, fail(CheckConfirm, fmt.Errorf("a %s has no SubscribeURL", m.Type))
	}
	if err := v.checkSubscribeURL(m.SubscribeURL); err != nil {
		return nil, err
	}
	b, err := v.fetch(ctx, m.SubscribeURL, v.maxCert)
	if err != nil {
		return nil, fail(CheckConfirm, err)
	}
	return b, nil
}
