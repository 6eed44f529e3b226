// Package secrets keeps ivvy-notify's secrets safe at rest: the master key,
// the AES-256-GCM box that encrypts API secrets and private keys under it,
// keys derived from it for other purposes, and the admin token.
//
// The master key never reaches the database. What the database holds is
// ciphertext bound to the row it belongs to (additional authenticated data),
// and a check value that lets a node refuse to start with the wrong key.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MasterKeySize is the master key's length in bytes.
const MasterKeySize = 32

// sealVersion prefixes every ciphertext so the format can change later.
const sealVersion byte = 1

// ErrDecrypt is returned when a ciphertext fails authentication: it was
// sealed under another master key, for another row, or altered.
var ErrDecrypt = errors.New("secrets: cannot decrypt (wrong master key, or data altered)")

// MasterKey is the root secret from which every at-rest key is derived.
type MasterKey struct {
	raw [MasterKeySize]byte
}

// NewMasterKey generates a random master key.
func NewMasterKey(r io.Reader) (*MasterKey, error) {
	var k MasterKey
	if _, err := io.ReadFull(r, k.raw[:]); err != nil {
		return nil, fmt.Errorf("secrets: generate master key: %w", err)
	}
	return &k, nil
}

// ParseMasterKey decodes a master key written as 64 hex digits or as
// standard or URL-safe base64 of 32 bytes.
func ParseMasterKey(s string) (*MasterKey, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	if b, err := hex.DecodeString(s); err == nil && len(b) == MasterKeySize {
		raw = b
	} else if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == MasterKeySize {
		raw = b
	} else if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil && len(b) == MasterKeySize {
		raw = b
	} else {
		return nil, errors.New("secrets: master key must be 32 bytes, as 64 hex digits or base64")
	}
	var k MasterKey
	copy(k.raw[:], raw)
	return &k, nil
}

// String returns the key as 64 hex digits, the form ParseMasterKey reads.
func (k *MasterKey) String() string { return hex.EncodeToString(k.raw[:]) }

// Derive returns a 32-byte key for one purpose, derived with HKDF-SHA256.
// Different purposes give independent keys.
func (k *MasterKey) Derive(purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k.raw[:], nil, "ivvy-notify/"+purpose, 32)
	if err != nil {
		panic(err) // only for lengths HKDF-SHA256 cannot produce
	}
	return out
}

// CheckValue returns a value that identifies the key without revealing it.
// The database keeps it so a node with another key refuses to start.
func (k *MasterKey) CheckValue() []byte { return k.Derive("master-key-check/v1") }

// MatchesCheckValue reports, in constant time, whether v is this key's
// check value.
func (k *MasterKey) MatchesCheckValue(v []byte) bool {
	return subtle.ConstantTimeCompare(k.CheckValue(), v) == 1
}

// Box encrypts and decrypts small secrets with AES-256-GCM under a key
// derived from the master key.
type Box struct {
	aead cipher.AEAD
	rand io.Reader
}

// NewBox returns the at-rest encryption box of master key k. r supplies
// nonces (crypto/rand.Reader when nil).
func NewBox(k *MasterKey, r io.Reader) *Box {
	if r == nil {
		r = rand.Reader
	}
	block, err := aes.NewCipher(k.Derive("at-rest/aes-256-gcm/v1"))
	if err != nil {
		panic(err) // the key is always 32 bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Box{aead: aead, rand: r}
}

// Seal encrypts plaintext, binding it to aad (e.g. "api-key:<key>"): the
// result opens only with the same aad. Layout: version ‖ nonce ‖ ciphertext.
func (b *Box) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(b.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:], plaintext, aad), nil
}

// Open decrypts what Seal produced with the same aad, or returns ErrDecrypt.
func (b *Box) Open(sealed, aad []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrDecrypt
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return plain, nil
}

// RandomHex returns n random bytes as lowercase hex.
func RandomHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("secrets: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// EqualConstantTime compares two secrets without leaking, through timing,
// where they differ or how long the expected one is.
func EqualConstantTime(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}
