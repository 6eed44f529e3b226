package sns_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	require.Equal(t, string(want), string(got), "golden %s differs (go test -update rewrites it)", name)
}

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

// testKey returns the committed RSA-2048 key testdata/test-key.pem.
func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		var b []byte
		if b, keyErr = os.ReadFile(filepath.Join("testdata", "test-key.pem")); keyErr != nil {
			return
		}
		block, _ := pem.Decode(b)
		var k any
		if k, keyErr = x509.ParsePKCS8PrivateKey(block.Bytes); keyErr == nil {
			key = k.(*rsa.PrivateKey)
		}
	})
	require.NoError(t, keyErr)
	return key
}

// Fixed inputs of the golden messages.
const (
	testBase     = "https://sns.example.test/"
	testCertHex  = "0123456789abcdef0123456789abcdef"
	testTopicArn = "arn:aws:sns:local:000000000000:iVvy_Account_14_8a1c4f3e2b9d7c6a5f4e3d2c1b0a998877665544_NotifCompanies"
	testSubArn   = testTopicArn + ":5e3b0f5c-2d1a-4c8e-9f7b-6a5d4c3b2a19"
	testToken    = "7f0c2a9e4b6d8f1a3c5e7092b4d6f8a1c3e5079b2d4f6a8c1e3507d9b2f4a6c8"
	testNewToken = "b4d6f8a1c3e5079b2d4f6a8c1e3507d9b2f4a6c87f0c2a9e4b6d8f1a3c5e7092"
	testInner    = `{"TxnId":"b898c04362bcbfe984f1867ce7db5599","Region":"local","Timestamp":1710115244,` +
		`"AccountId":"14","Subject":"CompanyAdded","Body":"{\"data\":{\"name\":\"Café <Smith & Co>\"}}"}`
)

// testTime has sub-millisecond digits that FormatTimestamp truncates.
var testTime = time.Date(2026, 11, 23, 10, 15, 30, 123456789, time.UTC)

// testSigner signs with the committed key.
func testSigner(t testing.TB, version string) sns.Signer {
	return sns.Signer{Key: testKey(t), Version: version, CertURL: sns.CertURL(testBase, testCertHex)}
}

// goldenCase is one golden message: its name and how it is built.
type goldenCase struct {
	name    string
	version string
	build   func() *sns.Message
}

// goldenCases are the three golden messages, one per type.
var goldenCases = []goldenCase{
	{"subscription-confirmation", sns.SignatureVersion1, func() *sns.Message {
		return sns.NewSubscriptionConfirmation(sns.ConfirmationParams{BaseURL: testBase,
			MessageID: "f3f2fc87-c426-4c2f-9044-b55890c0939c", TopicArn: testTopicArn,
			Token: testToken, Timestamp: testTime})
	}},
	{"notification", sns.SignatureVersion1, func() *sns.Message {
		return sns.NewNotification(sns.NotificationParams{BaseURL: testBase,
			MessageID: "c0e5a280-53c9-5a98-93bb-c0a560b3d192", TopicArn: testTopicArn,
			SubscriptionArn: testSubArn, Message: testInner, Timestamp: testTime})
	}},
	{"unsubscribe-confirmation", sns.SignatureVersion2, func() *sns.Message {
		return sns.NewUnsubscribeConfirmation(sns.ConfirmationParams{BaseURL: testBase,
			MessageID: "0b71e34e-42c3-486a-9e32-b1928ec994b5", TopicArn: testTopicArn,
			Token: testNewToken, Timestamp: testTime.Add(time.Hour)}, testSubArn)
	}},
}

// signed builds and signs a golden case.
func (c goldenCase) signed(t testing.TB) *sns.Message {
	m := c.build()
	require.NoError(t, testSigner(t, c.version).Sign(m))
	return m
}

// awsFixtures are the five genuine AWS-signed messages.
var awsFixtures = []string{
	"subscription-confirmation.json",
	"notification-with-subject.json",
	"notification-no-subject.json",
	"notification-signature-v2.json",
	"unsubscribe-confirmation.json",
}

// readAWS returns the bytes of an AWS fixture and its decoded fields.
func readAWS(t testing.TB, name string) ([]byte, *sns.Message) {
	t.Helper()
	body := fixture.Read(t, "aws-sns", name)
	var m sns.Message
	require.NoError(t, json.Unmarshal(body, &m))
	return body, &m
}

// awsPublicKey returns the key of the certificate that signed the fixtures.
func awsPublicKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	cert, err := receiver.ParseCertificatePEM(fixture.Read(t, "aws-sns",
		"SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"))
	require.NoError(t, err)
	return cert.PublicKey
}
