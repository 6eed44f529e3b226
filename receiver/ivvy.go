package receiver

// This file verifies the iVvy message (SPEC §4), the JSON document carried as
// the Message string of an SNS Notification. It is written from the SPEC
// alone, independently of the publisher's internal/ivvymsg.

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors returned by the iVvy message functions; match them with errors.Is.
var (
	// ErrMalformedIvvyMessage reports an iVvy message that is not well formed.
	ErrMalformedIvvyMessage = errors.New("receiver: malformed iVvy message")
	// ErrIvvySignature reports an iVvy message whose Signature does not verify.
	ErrIvvySignature = errors.New("receiver: invalid iVvy message signature")
	// ErrIvvyPublicKey reports an unusable iVvy signing public key.
	ErrIvvyPublicKey = errors.New("receiver: invalid iVvy public key")
)

// IvvyMessage is a parsed iVvy message (SPEC §4).
type IvvyMessage struct {
	TxnId                string  `json:"TxnId"`
	Region               string  `json:"Region"`
	Timestamp            int64   `json:"Timestamp"` // Unix seconds
	AccountId            string  `json:"AccountId"`
	Subject              string  `json:"Subject"`
	Body                 string  `json:"Body"` // the event body, a JSON document
	SourceType           int     `json:"SourceType"`
	SourceInfo           *string `json:"SourceInfo"` // nil when null
	Signature            string  `json:"Signature"`
	SigningPublicKeyPath string  `json:"SigningPublicKeyPath"`
}

// ParseIvvyMessage strictly parses an iVvy message. b must be valid UTF-8 and
// hold exactly one JSON object with all ten SPEC §4 fields, each once and with
// the SPEC type; other keys are ignored unless they differ from a field name
// only by case. Errors wrap ErrMalformedIvvyMessage and name the field.
func ParseIvvyMessage(b []byte) (*IvvyMessage, error) {
	if !utf8.Valid(b) {
		return nil, malformed("", "not valid UTF-8")
	}
	m := &IvvyMessage{}
	strs := map[string]*string{
		"TxnId": &m.TxnId, "Region": &m.Region, "AccountId": &m.AccountId,
		"Subject": &m.Subject, "Body": &m.Body, "Signature": &m.Signature,
		"SigningPublicKeyPath": &m.SigningPublicKeyPath,
	}
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, malformed("", "not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed("", err.Error())
		}
		key := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed(key, err.Error())
		}
		name, known := ivvyFieldName(key)
		if !known {
			continue
		}
		if name != key {
			return nil, malformed(key, "key differs from "+name+" only by case")
		}
		if seen[key] {
			return nil, malformed(key, "duplicate key")
		}
		seen[key] = true
		if err := m.setField(key, raw, strs); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, malformed("", err.Error())
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("", "data after the JSON object")
	}
	for _, name := range ivvyFieldNames {
		if !seen[name] {
			return nil, malformed(name, "missing")
		}
	}
	return m, nil
}

var ivvyFieldNames = []string{"TxnId", "Region", "Timestamp", "AccountId", "Subject",
	"Body", "SourceType", "SourceInfo", "Signature", "SigningPublicKeyPath"}

// ivvyFieldName returns the field name matching key case-insensitively.
func ivvyFieldName(key string) (string, bool) {
	for _, name := range ivvyFieldNames {
		if strings.EqualFold(key, name) {
			return name, true
		}
	}
	return "", false
}

func (m *IvvyMessage) setField(key string, raw json.RawMessage, strs map[string]*string) error {
	switch key {
	case "Timestamp", "SourceType":
		n, err := parseJSONInt(raw)
		if err != nil {
			return malformed(key, err.Error())
		}
		if key == "Timestamp" {
			m.Timestamp = n
		} else if int64(int(n)) != n {
			return malformed(key, "out of range")
		} else {
			m.SourceType = int(n)
		}
	case "SourceInfo":
		if string(raw) == "null" {
			m.SourceInfo = nil
			return nil
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return malformed(key, "must be a string or null")
		}
		m.SourceInfo = &s
	default:
		if raw[0] != '"' || json.Unmarshal(raw, strs[key]) != nil {
			return malformed(key, "must be a string")
		}
	}
	return nil
}

// parseJSONInt accepts a JSON number without fraction or exponent.
func parseJSONInt(raw json.RawMessage) (int64, error) {
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return 0, errors.New("must be an integer")
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errors.New("integer out of range")
		}
		return 0, errors.New("must be an integer")
	}
	return n, nil
}

func malformed(field, reason string) error {
	if field == "" {
		return fmt.Errorf("%w: %s", ErrMalformedIvvyMessage, reason)
	}
	return fmt.Errorf("%w: field %q: %s", ErrMalformedIvvyMessage, field, reason)
}

// StringToSign returns
// {TxnId}:{Region}:{Timestamp}:{AccountId}:{Subject}:{hex sha1 of Body},
// lowercased as a whole; the SHA-1 is over the UTF-8 bytes of Body.
func (m *IvvyMessage) StringToSign() string {
	bodySum := sha1.Sum([]byte(m.Body))
	s := fmt.Sprintf("%s:%s:%d:%s:%s:%s", m.TxnId, m.Region, m.Timestamp,
		m.AccountId, m.Subject, hex.EncodeToString(bodySum[:]))
	return strings.ToLower(s)
}

// VerifyIvvySignature checks m.Signature, base64 RSA PKCS#1 v1.5 SHA-1 over
// m.StringToSign(), against the account's public key. Errors wrap
// ErrIvvySignature.
func VerifyIvvySignature(m *IvvyMessage, pub *rsa.PublicKey) error {
	if m == nil || pub == nil {
		return fmt.Errorf("%w: nil message or key", ErrIvvySignature)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(m.Signature)
	if err != nil {
		return fmt.Errorf("%w: Signature is not base64: %v", ErrIvvySignature, err)
	}
	digest := sha1.Sum([]byte(m.StringToSign()))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA1, digest[:], sig); err != nil {
		return fmt.Errorf("%w: %v", ErrIvvySignature, err)
	}
	return nil
}

// ParsePublicKeyPEM parses the first PEM block of b as an RSA public key,
// either "PUBLIC KEY" (PKIX, what iVvy serves) or "RSA PUBLIC KEY" (PKCS#1).
// Errors wrap ErrIvvyPublicKey.
func ParsePublicKeyPEM(b []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrIvvyPublicKey)
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrIvvyPublicKey, err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: %T is not an RSA key", ErrIvvyPublicKey, k)
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrIvvyPublicKey, err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("%w: unexpected PEM type %q", ErrIvvyPublicKey, block.Type)
	}
}
