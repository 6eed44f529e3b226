package sns_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// seededReader is a deterministic random source for reproducible tests.
func seededReader() *rand.ChaCha8 {
	return rand.NewChaCha8([32]byte{1, 2, 3})
}

func TestGenerateCertificate(t *testing.T) {
	k := testKey(t)
	notBefore := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter := notBefore.AddDate(2, 0, 0)
	pemBytes, err := sns.GenerateCertificate(k, "sns.example.test", notBefore, notAfter, seededReader())
	require.NoError(t, err)

	again, err := sns.GenerateCertificate(k, "sns.example.test", notBefore, notAfter, seededReader())
	require.NoError(t, err)
	require.Equal(t, pemBytes, again, "fixed inputs give the same certificate")

	require.Regexp(t, regexp.MustCompile(`\A-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n\z`),
		string(pemBytes), "PEM with LF line endings")
	require.NotContains(t, string(pemBytes), "\r")

	cert, err := receiver.ParseCertificatePEM(pemBytes)
	require.NoError(t, err)
	require.Equal(t, "sns.example.test", cert.Subject.CommonName)
	require.Equal(t, []string{"sns.example.test"}, cert.DNSNames)
	require.True(t, cert.NotBefore.Equal(notBefore))
	require.True(t, cert.NotAfter.Equal(notAfter))
	require.True(t, k.PublicKey.Equal(cert.PublicKey))
	require.Equal(t, 1, cert.SerialNumber.Sign())
	require.NoError(t, cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature), "self-signed")
}

func TestGenerateCertificate_Errors(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := sns.GenerateCertificate(nil, "h", now, now.Add(time.Hour), seededReader())
	require.Error(t, err)
	_, err = sns.GenerateCertificate(testKey(t), "h", now, now, seededReader())
	require.Error(t, err)
	_, err = sns.GenerateCertificate(testKey(t), "h", now, now.Add(time.Hour), bytes.NewReader(nil))
	require.Error(t, err)
}

func TestCertHex(t *testing.T) {
	der := []byte("certificate DER bytes")
	sum := sha256.Sum256(der)
	require.Equal(t, hex.EncodeToString(sum[:16]), sns.CertHex(der))
	require.Regexp(t, `^[0-9a-f]{32}$`, sns.CertHex(der))
	require.NotEqual(t, sns.CertHex(der), sns.CertHex(append(der, 0)))
}
