package sns_test

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

func TestSign_SetsSignatureFields(t *testing.T) {
	m := goldenCases[1].build()
	require.NoError(t, testSigner(t, sns.SignatureVersion2).Sign(m))
	require.Equal(t, "2", m.SignatureVersion)
	require.Equal(t, "https://sns.example.test/SimpleNotificationService-"+testCertHex+".pem", m.SigningCertURL)
	require.Len(t, m.Signature, 344, "RSA-2048 signatures are 344 base64 characters, like AWS's")
}

func TestSign_IsDeterministicAndVersionSpecific(t *testing.T) {
	a, b := goldenCases[0].build(), goldenCases[0].build()
	require.NoError(t, testSigner(t, "1").Sign(a))
	require.NoError(t, testSigner(t, "1").Sign(b))
	require.Equal(t, a.Signature, b.Signature)
	require.NoError(t, testSigner(t, "2").Sign(b))
	require.NotEqual(t, a.Signature, b.Signature)
}

func TestSign_Errors(t *testing.T) {
	tests := []struct {
		name   string
		signer sns.Signer
		change func(*sns.Message)
		want   error
	}{
		{"version 3", testSigner(t, "3"), func(*sns.Message) {}, sns.ErrSignatureVersion},
		{"empty version", testSigner(t, ""), func(*sns.Message) {}, sns.ErrSignatureVersion},
		{"unknown type", testSigner(t, "1"), func(m *sns.Message) { m.Type = "Other" }, sns.ErrMessageType},
		{"invalid UTF-8", testSigner(t, "1"), func(m *sns.Message) { m.Message = "a\xff" }, sns.ErrInvalidUTF8},
		{"no key", sns.Signer{Version: "1"}, func(*sns.Message) {}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := goldenCases[1].build()
			tt.change(m)
			before := *m
			err := tt.signer.Sign(m)
			require.Error(t, err)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
			}
			require.Equal(t, before, *m, "message unchanged on error")
		})
	}
}

// roundTripMessages are messages of every type, including awkward content.
func roundTripMessages() map[string]*sns.Message {
	ms := map[string]*sns.Message{}
	for _, c := range goldenCases {
		ms[c.name] = c.build()
	}
	withSubject := goldenCases[1].build()
	withSubject.Subject = `Subject "quoted" <&> é`
	ms["notification with subject"] = withSubject
	awkward := goldenCases[1].build()
	awkward.Message = "line1\nline2\r\n\t\x00\x1f \"q\" \\ / <&> Café 😀 \u2028\u2029"
	ms["notification with awkward message"] = awkward
	return ms
}

func TestSign_VerifiedByIndependentReceiver(t *testing.T) {
	pub := &testKey(t).PublicKey
	for name, orig := range roundTripMessages() {
		for _, version := range []string{sns.SignatureVersion1, sns.SignatureVersion2} {
			t.Run(name+"/v"+version, func(t *testing.T) {
				m := *orig
				require.NoError(t, testSigner(t, version).Sign(&m))
				r, err := receiver.ParseSNSMessage(m.MarshalSNS())
				require.NoError(t, err)
				require.Equal(t, m.Message, r.Message)
				require.Equal(t, m.Subject, r.Subject)
				require.Equal(t, string(sns.StringToSign(&m)), string(r.StringToSign()))
				require.NoError(t, receiver.VerifySNSSignature(r, pub))

				r.Timestamp = sns.FormatTimestamp(time.Now())
				require.ErrorIs(t, receiver.VerifySNSSignature(r, pub), receiver.ErrSNSSignature)
			})
		}
	}
}

func TestSign_VerifiedWithGeneratedCertificate(t *testing.T) {
	k := testKey(t)
	pemBytes, err := sns.GenerateCertificate(k, "sns.example.test",
		testTime, testTime.AddDate(1, 0, 0), rand.Reader)
	require.NoError(t, err)
	cert, err := receiver.ParseCertificatePEM(pemBytes)
	require.NoError(t, err)

	m := goldenCases[2].build()
	signer := sns.Signer{Key: k, Version: "2", CertURL: sns.CertURL(testBase, sns.CertHex(cert.Raw))}
	require.NoError(t, signer.Sign(m))
	r, err := receiver.ParseSNSMessage(m.MarshalSNS())
	require.NoError(t, err)
	require.NoError(t, receiver.VerifySNSSignature(r, cert.PublicKey))

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	require.ErrorIs(t, receiver.VerifySNSSignature(r, &other.PublicKey), receiver.ErrSNSSignature)
}
