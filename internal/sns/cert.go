package sns

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// GenerateCertificate returns a self-signed X.509 certificate for key as a
// PEM block ("-----BEGIN CERTIFICATE-----", LF line endings, as AWS's Java
// validator requires). Subject CN and the single SAN DNS name are
// commonName (SNS's own is "sns.amazonaws.com"); the certificate is valid
// from notBefore to notAfter. The 127-bit serial number is read from rand,
// so a fixed reader and fixed times give the same bytes. The certificate is
// signed with SHA256WithRSA; it is not a CA and is not meant to chain:
// SNS validators use it only as a container for the public key.
func GenerateCertificate(key *rsa.PrivateKey, commonName string, notBefore, notAfter time.Time, rand io.Reader) ([]byte, error) {
	if key == nil {
		return nil, errors.New("sns: certificate: no key")
	}
	if !notAfter.After(notBefore) {
		return nil, fmt.Errorf("sns: certificate: notAfter %v is not after notBefore %v", notAfter, notBefore)
	}
	serial, err := serialNumber(rand)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		DNSNames:              []string{commonName},
		NotBefore:             notBefore.UTC(),
		NotAfter:              notAfter.UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("sns: certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// serialNumber reads a positive, non-zero 127-bit serial number from r.
func serialNumber(r io.Reader) (*big.Int, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, fmt.Errorf("sns: certificate serial: %w", err)
	}
	b[0] &= 0x7f
	b[15] |= 1
	return new(big.Int).SetBytes(b[:]), nil
}

// CertHex names a certificate in its URL (see CertURL): 32 lowercase hex
// characters, the first 16 bytes of the SHA-256 of the certificate's DER
// bytes. A new certificate gets a new name, as when AWS rotates its own.
func CertHex(certDER []byte) string {
	sum := sha256.Sum256(certDER)
	return hex.EncodeToString(sum[:16])
}
