package sns

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/ivvy-notify/ivvy-notify/internal/signclock"
)

// Signature versions (SNS.md §2.2).
const (
	// SignatureVersion1 is SHA1withRSA, SNS's default.
	SignatureVersion1 = "1"
	// SignatureVersion2 is SHA256withRSA.
	SignatureVersion2 = "2"
)

// Errors returned by Signer.Sign, wrapped with detail.
var (
	// ErrSignatureVersion means Signer.Version is neither "1" nor "2".
	ErrSignatureVersion = errors.New("sns: unsupported signature version")
	// ErrMessageType means the message's Type is not one of the three types.
	ErrMessageType = errors.New("sns: unknown message type")
	// ErrInvalidUTF8 means a signed field is not valid UTF-8, so the bytes
	// a receiver decodes from the JSON body would differ from those signed.
	ErrInvalidUTF8 = errors.New("sns: signed field is not valid UTF-8")
)

// Signer signs messages with the SNS signing key.
type Signer struct {
	// Key is the private half of the key in the certificate at CertURL.
	Key *rsa.PrivateKey
	// Version is SignatureVersion1 ("1", SHA-1) or SignatureVersion2
	// ("2", SHA-256).
	Version string
	// CertURL is written to SigningCertURL (see CertURL to build it).
	CertURL string
}

// Sign sets m.SignatureVersion, m.SigningCertURL and m.Signature: the
// standard base64 of an RSASSA-PKCS1-v1_5 signature over StringToSign(m),
// hashed with SHA-1 for version "1" and SHA-256 for version "2". PKCS#1
// v1.5 is deterministic, so the same message and key give the same
// signature. On error m is left unchanged.
func (s Signer) Sign(m *Message) error {
	if s.Key == nil {
		return errors.New("sns: signer has no key")
	}
	if !knownType(m.Type) {
		return fmt.Errorf("%w: %q", ErrMessageType, m.Type)
	}
	for _, f := range signedFields(m) {
		if !utf8.ValidString(f.value) {
			return fmt.Errorf("%w: %s", ErrInvalidUTF8, f.key)
		}
	}
	hash, digest, err := digest(s.Version, StringToSign(m))
	if err != nil {
		return err
	}
	sig, err := signclock.SignPKCS1v15(s.Key, hash, digest)
	if err != nil {
		return fmt.Errorf("sns: sign: %w", err)
	}
	m.SignatureVersion = s.Version
	m.SigningCertURL = s.CertURL
	m.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// digest hashes data with the hash of a SignatureVersion.
func digest(version string, data []byte) (crypto.Hash, []byte, error) {
	switch version {
	case SignatureVersion1:
		d := sha1.Sum(data)
		return crypto.SHA1, d[:], nil
	case SignatureVersion2:
		d := sha256.Sum256(data)
		return crypto.SHA256, d[:], nil
	default:
		return 0, nil, fmt.Errorf("%w: %q (want %q or %q)",
			ErrSignatureVersion, version, SignatureVersion1, SignatureVersion2)
	}
}
