package receiver

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// SNS message types, the values of SNSMessage.Type.
const (
	// SNSTypeSubscriptionConfirmation asks the receiver to visit SubscribeURL.
	SNSTypeSubscriptionConfirmation = "SubscriptionConfirmation"
	// SNSTypeNotification carries a published message.
	SNSTypeNotification = "Notification"
	// SNSTypeUnsubscribeConfirmation reports an unsubscribe; visiting its
	// SubscribeURL restores the subscription.
	SNSTypeUnsubscribeConfirmation = "UnsubscribeConfirmation"
)

// Sentinel errors. Returned errors wrap one of them with detail; test with
// errors.Is.
var (
	// ErrMalformedMessage means the body is not a well-formed SNS message.
	ErrMalformedMessage = errors.New("receiver: malformed SNS message")
	// ErrSNSSignature means the message's SNS signature does not verify.
	ErrSNSSignature = errors.New("receiver: invalid SNS signature")
	// ErrUnsupportedSignatureVersion means SignatureVersion is neither "1"
	// nor "2". Errors wrapping it also wrap ErrSNSSignature.
	ErrUnsupportedSignatureVersion = errors.New("receiver: unsupported SNS signature version")
	// ErrCertificate means a signing certificate or its key is unusable.
	ErrCertificate = errors.New("receiver: invalid signing certificate")
)

// SNSMessage is a decoded SNS HTTP/S message. Fields absent from the body
// are empty.
type SNSMessage struct {
	Type             string
	MessageId        string // SNS spelling (the JSON key), kept on purpose.
	Token            string
	TopicArn         string
	Subject          string
	Message          string
	SubscribeURL     string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	UnsubscribeURL   string

	// HasSubject reports whether the body had a Subject key. A Notification
	// signs its Subject only when the key is present, even if it is empty.
	HasSubject bool
	// MessageAttributes is the raw JSON of the optional MessageAttributes
	// object (not signed), or nil.
	MessageAttributes json.RawMessage
}

// stringFields maps each known key with a string value to its field.
func (m *SNSMessage) stringFields() map[string]*string {
	return map[string]*string{
		"Type":             &m.Type,
		"MessageId":        &m.MessageId,
		"Token":            &m.Token,
		"TopicArn":         &m.TopicArn,
		"Subject":          &m.Subject,
		"Message":          &m.Message,
		"SubscribeURL":     &m.SubscribeURL,
		"Timestamp":        &m.Timestamp,
		"SignatureVersion": &m.SignatureVersion,
		"Signature":        &m.Signature,
		"SigningCertURL":   &m.SigningCertURL,
		"UnsubscribeURL":   &m.UnsubscribeURL,
	}
}

// requiredKeys are the keys every message must have.
var requiredKeys = []string{
	"Type", "MessageId", "TopicArn", "Message", "Timestamp",
	"SignatureVersion", "Signature", "SigningCertURL",
}

// confirmationKeys are also required on both confirmation types.
var confirmationKeys = []string{"Token", "SubscribeURL"}

// ParseSNSMessage decodes an SNS message body strictly. The body must be
// valid UTF-8 holding exactly one JSON object. Each known key (Type,
// MessageId, Token, TopicArn, Subject, Message, SubscribeURL, Timestamp,
// SignatureVersion, Signature, SigningCertURL, UnsubscribeURL) may appear
// once and must have a string value: null, numbers and booleans are errors.
// MessageAttributes, if present, must be an object. Other keys are ignored,
// except those that differ from a known key only by case, which are
// rejected. Type must be one of the three SNS types, and the keys each type
// needs must be present. Errors wrap ErrMalformedMessage and name the key.
func ParseSNSMessage(body []byte) (*SNSMessage, error) {
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: body is not valid UTF-8", ErrMalformedMessage)
	}
	m := &SNSMessage{}
	seen, err := decodeObject(body, m)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedMessage, err)
	}
	if err := m.checkRequired(seen); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedMessage, err)
	}
	m.HasSubject = seen["Subject"]
	return m, nil
}

// decodeObject reads the top-level object of body into m and returns the
// set of keys found.
func decodeObject(body []byte, m *SNSMessage) (map[string]bool, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("body is not a JSON object")
	}
	fields := m.stringFields()
	seen := make(map[string]bool, len(fields))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		key, _ := tok.(string) // inside an object, keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("invalid JSON in %s: %w", key, err)
		}
		if err := m.setField(fields, seen, key, raw); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return seen, nil
}

// setField stores one key/value pair of the top-level object.
func (m *SNSMessage) setField(fields map[string]*string, seen map[string]bool, key string, raw json.RawMessage) error {
	if key == "MessageAttributes" {
		if m.MessageAttributes != nil {
			return errors.New("duplicate key MessageAttributes")
		}
		if raw[0] != '{' {
			return errors.New("MessageAttributes is not a JSON object")
		}
		m.MessageAttributes = raw
		return nil
	}
	dst, ok := fields[key]
	if !ok {
		return checkUnknownKey(fields, key)
	}
	if seen[key] {
		return fmt.Errorf("duplicate key %s", key)
	}
	seen[key] = true
	if raw[0] != '"' {
		return fmt.Errorf("%s is not a JSON string", key)
	}
	return json.Unmarshal(raw, dst)
}

// checkUnknownKey rejects a key that differs from a known key only by
// case ("type", "SigningCertUrl"): case-insensitive decoders (encoding/json,
// .NET's fallback) could read it instead of the signed one.
func checkUnknownKey(fields map[string]*string, key string) error {
	if strings.EqualFold(key, "MessageAttributes") {
		return fmt.Errorf("key %s differs from MessageAttributes only by case", key)
	}
	for known := range fields {
		if strings.EqualFold(key, known) {
			return fmt.Errorf("key %s differs from %s only by case", key, known)
		}
	}
	return nil
}

// checkRequired validates Type and the presence of the keys it needs.
func (m *SNSMessage) checkRequired(seen map[string]bool) error {
	if !seen["Type"] {
		return errors.New("missing Type")
	}
	keys := requiredKeys
	switch m.Type {
	case SNSTypeNotification:
	case SNSTypeSubscriptionConfirmation, SNSTypeUnsubscribeConfirmation:
		keys = append(keys[:len(keys):len(keys)], confirmationKeys...)
	default:
		return fmt.Errorf("unknown Type %q", m.Type)
	}
	for _, k := range keys {
		if !seen[k] {
			return fmt.Errorf("missing %s for Type %s", k, m.Type)
		}
	}
	return nil
}

// StringToSign returns the canonical bytes SNS signed: "Key\nValue\n" for
// each signed key in byte order of the keys. A Notification signs Message,
// MessageId, Subject (only if HasSubject), Timestamp, TopicArn, Type; both
// confirmation types sign Message, MessageId, SubscribeURL, Timestamp,
// Token, TopicArn, Type. It returns nil for any other Type.
func (m *SNSMessage) StringToSign() []byte {
	var pairs [][2]string
	switch m.Type {
	case SNSTypeNotification:
		pairs = [][2]string{{"Message", m.Message}, {"MessageId", m.MessageId}}
		if m.HasSubject {
			pairs = append(pairs, [2]string{"Subject", m.Subject})
		}
		pairs = append(pairs, [2]string{"Timestamp", m.Timestamp},
			[2]string{"TopicArn", m.TopicArn}, [2]string{"Type", m.Type})
	case SNSTypeSubscriptionConfirmation, SNSTypeUnsubscribeConfirmation:
		pairs = [][2]string{
			{"Message", m.Message}, {"MessageId", m.MessageId},
			{"SubscribeURL", m.SubscribeURL}, {"Timestamp", m.Timestamp},
			{"Token", m.Token}, {"TopicArn", m.TopicArn}, {"Type", m.Type},
		}
	default:
		return nil
	}
	var b bytes.Buffer
	for _, p := range pairs {
		b.WriteString(p[0] + "\n" + p[1] + "\n")
	}
	return b.Bytes()
}

// VerifySNSSignature checks m.Signature against pub, the RSA public key of
// the certificate at m.SigningCertURL: RSASSA-PKCS1-v1_5 over
// m.StringToSign() with SHA-1 for SignatureVersion "1" and SHA-256 for "2".
// Any other version is rejected (ErrUnsupportedSignatureVersion), as is an
// unknown Type (ErrMalformedMessage); a bad signature is ErrSNSSignature.
// pub may be an *rsa.PublicKey or an rsa.PublicKey.
func VerifySNSSignature(m *SNSMessage, pub crypto.PublicKey) error {
	key, err := rsaKey(pub)
	if err != nil {
		return err
	}
	data := m.StringToSign()
	if data == nil {
		return fmt.Errorf("%w: unknown Type %q", ErrMalformedMessage, m.Type)
	}
	hash, digest, err := snsDigest(m.SignatureVersion, data)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return fmt.Errorf("%w: Signature is not base64: %w", ErrSNSSignature, err)
	}
	if err := rsa.VerifyPKCS1v15(key, hash, digest, sig); err != nil {
		return fmt.Errorf("%w: %w", ErrSNSSignature, err)
	}
	return nil
}

// snsDigest hashes data as SignatureVersion version requires.
func snsDigest(version string, data []byte) (crypto.Hash, []byte, error) {
	switch version {
	case "1":
		d := sha1.Sum(data)
		return crypto.SHA1, d[:], nil
	case "2":
		d := sha256.Sum256(data)
		return crypto.SHA256, d[:], nil
	default:
		return 0, nil, fmt.Errorf("%w: %w: %q",
			ErrSNSSignature, ErrUnsupportedSignatureVersion, version)
	}
}

// rsaKey returns pub as an RSA public key.
func rsaKey(pub crypto.PublicKey) (*rsa.PublicKey, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k != nil {
			return k, nil
		}
	case rsa.PublicKey:
		return &k, nil
	}
	return nil, fmt.Errorf("%w: public key is %T, not RSA", ErrCertificate, pub)
}

// ParseCertificatePEM parses the first "CERTIFICATE" PEM block of data, as
// served at a SigningCertURL, and checks that its key is RSA. It does not
// check dates, chain or host name. Errors wrap ErrCertificate.
func ParseCertificatePEM(data []byte) (*x509.Certificate, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%w: no CERTIFICATE PEM block", ErrCertificate)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCertificate, err)
		}
		if _, err := rsaKey(cert.PublicKey); err != nil {
			return nil, err
		}
		return cert, nil
	}
}
