// Package snskey holds the server's SNS signing identity: the RSA key that
// signs every SNS message and the X.509 certificate receivers fetch from
// SigningCertURL to verify it.
//
// By default both are generated on first start and kept in the database
// (the key sealed under the master key), so every node of a cluster signs
// with the same identity. An operator may supply their own with
// --sns-cert/--sns-key instead.
package snskey

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// Settings names under which the generated identity is stored.
const (
	settingKey  = "sns_signing_key"
	settingCert = "sns_certificate"
)

// keyAAD binds the sealed key to its purpose.
var keyAAD = []byte("sns-signing-key")

// Identity is the key and certificate that sign SNS messages.
type Identity struct {
	Key *rsa.PrivateKey
	// CertPEM is the certificate served at SigningCertURL, LF line endings.
	CertPEM []byte
	// CertHex names the certificate file: SimpleNotificationService-{hex}.pem.
	CertHex string
}

// Options say where the identity comes from.
type Options struct {
	// CertFile and KeyFile, when both set, are PEM files to use as they are.
	CertFile, KeyFile string
	// CommonName is the generated certificate's CN and DNS name (the
	// public host name).
	CommonName string
	Now        func() time.Time
	Rand       io.Reader
}

// Load returns the identity from files when given, else the one stored in
// the database, generating and storing it on first use. Concurrent first
// starts of several nodes agree on one identity.
func Load(ctx context.Context, st store.Queries, box *secrets.Box, o Options) (*Identity, error) {
	if o.CertFile != "" || o.KeyFile != "" {
		return loadFiles(o.CertFile, o.KeyFile)
	}
	key, err := loadOrCreateKey(ctx, st, box, o.Rand)
	if err != nil {
		return nil, err
	}
	certPEM, err := loadOrCreateCert(ctx, st, key, o)
	if err != nil {
		return nil, err
	}
	return newIdentity(key, certPEM)
}

func loadOrCreateKey(ctx context.Context, st store.Queries, box *secrets.Box, r io.Reader) (*rsa.PrivateKey, error) {
	sealed, err := st.SettingGet(ctx, settingKey)
	if errors.Is(err, store.ErrNotFound) {
		sealed, err = createKey(ctx, st, box, r)
	}
	if err != nil {
		return nil, fmt.Errorf("snskey: %w", err)
	}
	der, err := box.Open(sealed, keyAAD)
	if err != nil {
		return nil, fmt.Errorf("snskey: stored key: %w", err)
	}
	return parseKey(der)
}

// createKey generates a key and stores it sealed unless another node got
// there first; it returns what is stored.
func createKey(ctx context.Context, st store.Queries, box *secrets.Box, r io.Reader) ([]byte, error) {
	key, err := rsa.GenerateKey(r, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	sealed, err := box.Seal(der, keyAAD)
	if err != nil {
		return nil, err
	}
	return st.SettingPutIfAbsent(ctx, settingKey, sealed)
}

func loadOrCreateCert(ctx context.Context, st store.Queries, key *rsa.PrivateKey, o Options) ([]byte, error) {
	certPEM, err := st.SettingGet(ctx, settingCert)
	if errors.Is(err, store.ErrNotFound) {
		now := o.Now()
		certPEM, err = sns.GenerateCertificate(key, o.CommonName, now.Add(-time.Hour), now.AddDate(10, 0, 0), o.Rand)
		if err != nil {
			return nil, fmt.Errorf("snskey: certificate: %w", err)
		}
		certPEM, err = st.SettingPutIfAbsent(ctx, settingCert, certPEM)
	}
	if err != nil {
		return nil, fmt.Errorf("snskey: %w", err)
	}
	return certPEM, nil
}

// loadFiles reads an operator's certificate and key.
func loadFiles(certFile, keyFile string) (*Identity, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--sns-cert and --sns-key must be given together")
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("--sns-cert: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("--sns-key: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("--sns-key: no PEM block")
	}
	key, err := parseKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("--sns-key: %w", err)
	}
	return newIdentity(key, certPEM)
}

// parseKey reads a PKCS#8 or PKCS#1 RSA private key.
func parseKey(der []byte) (*rsa.PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	k, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return k, nil
}

// newIdentity checks that the certificate holds the key's public half.
func newIdentity(key *rsa.PrivateKey, certPEM []byte) (*Identity, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("snskey: certificate is not a CERTIFICATE PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("snskey: certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, errors.New("snskey: the certificate does not belong to the signing key")
	}
	return &Identity{Key: key, CertPEM: pem.EncodeToMemory(block), CertHex: sns.CertHex(block.Bytes)}, nil
}
