// Package ivvymsg builds and signs the iVvy message: the JSON document carried
// as the Message string of an SNS Notification (SPEC §4).
package ivvymsg

import (
	"bytes"
	"crypto"
	"crypto/rand"
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
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ivvy-notify/ivvy-notify/internal/signclock"
)

// Source types of a Message (SPEC §4).
const (
	// SourceTypeUnknown marks an event whose origin is not known.
	SourceTypeUnknown = 0
	// SourceTypeAPI marks an event caused by an API call; SourceInfo then
	// names the API key (see SourceInfoForKey).
	SourceTypeAPI = 1
)

// Message is the iVvy message. Field order and JSON names follow SPEC §4.
type Message struct {
	TxnId                string  `json:"TxnId"`
	Region               string  `json:"Region"`
	Timestamp            int64   `json:"Timestamp"` // Unix seconds
	AccountId            string  `json:"AccountId"`
	Subject              string  `json:"Subject"`
	Body                 string  `json:"Body"` // the event body JSON document
	SourceType           int     `json:"SourceType"`
	SourceInfo           *string `json:"SourceInfo"` // nil encodes as null
	Signature            string  `json:"Signature"`
	SigningPublicKeyPath string  `json:"SigningPublicKeyPath"`
}

// ErrInvalidUTF8 is returned by Sign and Marshal when a string field is not
// valid UTF-8: JSON encoding would alter it and break the signature.
var ErrInvalidUTF8 = errors.New("ivvymsg: field is not valid UTF-8")

// StringToSign returns
// {TxnId}:{Region}:{Timestamp}:{AccountId}:{Subject}:{hex sha1 of Body},
// lowercased as a whole. The SHA-1 is taken over the UTF-8 bytes of Body.
func StringToSign(m *Message) string {
	sum := sha1.Sum([]byte(m.Body))
	return strings.ToLower(strings.Join([]string{
		m.TxnId, m.Region, strconv.FormatInt(m.Timestamp, 10),
		m.AccountId, m.Subject, hex.EncodeToString(sum[:]),
	}, ":"))
}

// Sign sets m.Signature to the base64 (standard, padded) RSA PKCS#1 v1.5
// SHA-1 signature of StringToSign(m).
func Sign(m *Message, key *rsa.PrivateKey) error {
	if key == nil {
		return errors.New("ivvymsg: nil signing key")
	}
	if err := m.CheckUTF8(); err != nil {
		return err
	}
	digest := sha1.Sum([]byte(StringToSign(m)))
	sig, err := signclock.SignPKCS1v15(key, crypto.SHA1, digest[:])
	if err != nil {
		return fmt.Errorf("ivvymsg: sign: %w", err)
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// Marshal returns m as compact JSON, fields in SPEC order, without HTML
// escaping and with SourceInfo null when nil: the SNS Message string.
func (m *Message) Marshal() ([]byte, error) {
	if err := m.CheckUTF8(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("ivvymsg: marshal: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// CheckUTF8 returns ErrInvalidUTF8, naming the field, when a string field
// is not valid UTF-8 (Sign and Marshal refuse such a message).
func (m *Message) CheckUTF8() error {
	fields := []struct{ name, v string }{
		{"TxnId", m.TxnId}, {"Region", m.Region}, {"AccountId", m.AccountId},
		{"Subject", m.Subject}, {"Body", m.Body}, {"Signature", m.Signature},
		{"SigningPublicKeyPath", m.SigningPublicKeyPath},
	}
	if m.SourceInfo != nil {
		fields = append(fields, struct{ name, v string }{"SourceInfo", *m.SourceInfo})
	}
	for _, f := range fields {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: %s", ErrInvalidUTF8, f.name)
		}
	}
	return nil
}

// maxEscaped is the most bytes JSON encoding writes for one byte of a
// valid UTF-8 string: a control character becomes "\u00XX".
const maxEscaped = 6

// maxFixedLen bounds the rest of a marshalled message: the member names,
// quotes, colons, commas and braces (under 160 bytes), the two integers
// (20 bytes each at most) and "null".
const maxFixedLen = 256

// MarshalledLenAtMost returns a bound that len(m.Marshal()) never exceeds,
// without marshalling: a size limit far above it needs no marshal to be
// checked. m's strings must be valid UTF-8 (CheckUTF8).
func (m *Message) MarshalledLenAtMost() int {
	n := len(m.TxnId) + len(m.Region) + len(m.AccountId) + len(m.Subject) + len(m.Body) +
		len(m.Signature) + len(m.SigningPublicKeyPath)
	if m.SourceInfo != nil {
		n += len(*m.SourceInfo)
	}
	return maxEscaped*n + maxFixedLen
}

// PublicKeyPath returns /accounts/{accountID}/{version}/notifcert.txt, where
// version is the key's creation time in Unix seconds. accountID is
// path-escaped (a no-op for numeric ids).
func PublicKeyPath(accountID string, version int64) string {
	return "/accounts/" + url.PathEscape(accountID) + "/" +
		strconv.FormatInt(version, 10) + "/notifcert.txt"
}

// MarshalPublicKeyPEM encodes pub as a "PUBLIC KEY" (PKIX SubjectPublicKeyInfo)
// PEM block with LF line endings and a trailing newline.
func MarshalPublicKeyPEM(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("ivvymsg: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// NewTxnID reads 16 bytes from r (crypto/rand when r is nil) and returns
// them as 32 lowercase hex digits.
func NewTxnID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("ivvymsg: txn id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// SourceInfoForKey returns the SourceInfo of an API-sourced event: the JSON
// string {"key":"<apiKey>"} (no HTML escaping; invalid UTF-8 in apiKey
// becomes U+FFFD).
func SourceInfoForKey(apiKey string) *string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Key string `json:"key"`
	}{apiKey}) // cannot fail for a struct of one string
	s := strings.TrimSuffix(buf.String(), "\n")
	return &s
}
