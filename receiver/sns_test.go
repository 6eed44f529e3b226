package receiver_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// awsFixtures are the five genuine AWS-signed messages.
var awsFixtures = []string{
	"subscription-confirmation.json",
	"notification-with-subject.json",
	"notification-no-subject.json",
	"notification-signature-v2.json",
	"unsubscribe-confirmation.json",
}

const awsCert = "SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"

// awsKey returns the public key of the certificate that signed the fixtures.
func awsKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	cert, err := receiver.ParseCertificatePEM(fixture.Read(t, "aws-sns", awsCert))
	require.NoError(t, err)
	return cert.PublicKey
}

// parseFixture parses one AWS fixture.
func parseFixture(t testing.TB, name string) *receiver.SNSMessage {
	t.Helper()
	m, err := receiver.ParseSNSMessage(fixture.Read(t, "aws-sns", name))
	require.NoError(t, err)
	return m
}

// signedField returns a pointer to the signed field key of m.
func signedField(t *testing.T, m *receiver.SNSMessage, key string) *string {
	t.Helper()
	switch key {
	case "Message":
		return &m.Message
	case "MessageId":
		return &m.MessageId
	case "Subject":
		return &m.Subject
	case "SubscribeURL":
		return &m.SubscribeURL
	case "Timestamp":
		return &m.Timestamp
	case "Token":
		return &m.Token
	case "TopicArn":
		return &m.TopicArn
	case "Type":
		return &m.Type
	}
	t.Fatalf("no signed field %s", key)
	return nil
}

// signedKeys lists the keys SNS.md §2.1 signs for m.
func signedKeys(m *receiver.SNSMessage) []string {
	if m.Type == receiver.SNSTypeNotification {
		if m.HasSubject {
			return []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
		}
		return []string{"Message", "MessageId", "Timestamp", "TopicArn", "Type"}
	}
	return []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
}

func TestVerifySNSSignature_AcceptsAWSFixtures(t *testing.T) {
	pub := awsKey(t)
	for _, name := range awsFixtures {
		t.Run(name, func(t *testing.T) {
			m := parseFixture(t, name)
			require.NoError(t, receiver.VerifySNSSignature(m, pub))
		})
	}
}

func TestStringToSign_MatchesSNSDocExample(t *testing.T) {
	m := parseFixture(t, "notification-with-subject.json")
	want := "Message\nHello! This message has a subject.\nMessageId\n26858270-545e-5848-82a2-e05566af3dcf\n" +
		"Subject\nMy message subject\nTimestamp\n2026-03-06T19:53:21.424Z\n" +
		"TopicArn\narn:aws:sns:us-west-2:131990247566:dongie-standard-topic\nType\nNotification\n"
	require.Equal(t, want, string(m.StringToSign()))
}

func TestStringToSign_DecodesJSONEscapes(t *testing.T) {
	m := parseFixture(t, "subscription-confirmation.json")
	require.Contains(t, string(m.StringToSign()),
		"dongie-standard-topic.\nTo confirm the subscription, visit the SubscribeURL included in this message.\n")
	require.Nil(t, (&receiver.SNSMessage{Type: "Other"}).StringToSign())
}

func TestVerifySNSSignature_RejectsOneByteChangeToSignedField(t *testing.T) {
	pub := awsKey(t)
	for _, name := range awsFixtures {
		for _, key := range signedKeys(parseFixture(t, name)) {
			t.Run(name+"/"+key, func(t *testing.T) {
				n := len(*signedField(t, parseFixture(t, name), key))
				for _, pos := range []int{0, n / 2, n - 1} {
					m := parseFixture(t, name)
					f := signedField(t, m, key)
					b := []byte(*f)
					b[pos] ^= 0x01
					*f = string(b)
					err := receiver.VerifySNSSignature(m, pub)
					require.Error(t, err, "byte %d changed", pos)
					if key != "Type" {
						require.ErrorIs(t, err, receiver.ErrSNSSignature)
					}
				}
			})
		}
	}
}

func TestVerifySNSSignature_IgnoresUnsignedFields(t *testing.T) {
	pub := awsKey(t)
	for _, name := range awsFixtures {
		t.Run(name, func(t *testing.T) {
			m := parseFixture(t, name)
			m.SigningCertURL = strings.Replace(m.SigningCertURL, "7506", "7507", 1)
			m.UnsubscribeURL += "x"
			m.MessageAttributes = []byte(`{"a":{"Type":"String","Value":"b"}}`)
			require.NoError(t, receiver.VerifySNSSignature(m, pub))
		})
	}
}

func TestVerifySNSSignature_SubjectPresenceIsSigned(t *testing.T) {
	pub := awsKey(t)
	with := parseFixture(t, "notification-with-subject.json")
	with.HasSubject = false
	require.ErrorIs(t, receiver.VerifySNSSignature(with, pub), receiver.ErrSNSSignature)

	without := parseFixture(t, "notification-no-subject.json")
	without.HasSubject = true // an empty Subject that was present is signed
	require.ErrorIs(t, receiver.VerifySNSSignature(without, pub), receiver.ErrSNSSignature)
}

func TestVerifySNSSignature_Rejections(t *testing.T) {
	pub := awsKey(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tests := []struct {
		name   string
		change func(*receiver.SNSMessage)
		key    crypto.PublicKey
		want   []error
	}{
		{"version 1 claimed as 2", func(m *receiver.SNSMessage) { m.SignatureVersion = "2" }, pub,
			[]error{receiver.ErrSNSSignature}},
		{"version 3", func(m *receiver.SNSMessage) { m.SignatureVersion = "3" }, pub,
			[]error{receiver.ErrSNSSignature, receiver.ErrUnsupportedSignatureVersion}},
		{"empty version", func(m *receiver.SNSMessage) { m.SignatureVersion = "" }, pub,
			[]error{receiver.ErrUnsupportedSignatureVersion}},
		{"signature byte changed", func(m *receiver.SNSMessage) { m.Signature = "A" + m.Signature[1:] }, pub,
			[]error{receiver.ErrSNSSignature}},
		{"signature not base64", func(m *receiver.SNSMessage) { m.Signature = "!!" }, pub,
			[]error{receiver.ErrSNSSignature}},
		{"unknown type", func(m *receiver.SNSMessage) { m.Type = "Other" }, pub,
			[]error{receiver.ErrMalformedMessage}},
		{"confirmation as the other confirmation type", func(m *receiver.SNSMessage) {
			m.Type = receiver.SNSTypeUnsubscribeConfirmation
		}, pub, []error{receiver.ErrSNSSignature}},
		{"ECDSA key", func(*receiver.SNSMessage) {}, &ecKey.PublicKey, []error{receiver.ErrCertificate}},
		{"nil key", func(*receiver.SNSMessage) {}, nil, []error{receiver.ErrCertificate}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseFixture(t, "subscription-confirmation.json")
			tt.change(m)
			err := receiver.VerifySNSSignature(m, tt.key)
			for _, want := range tt.want {
				require.ErrorIs(t, err, want)
			}
		})
	}
}

func TestVerifySNSSignature_AcceptsKeyValue(t *testing.T) {
	pub, ok := awsKey(t).(*rsa.PublicKey)
	require.True(t, ok)
	m := parseFixture(t, "notification-signature-v2.json")
	require.NoError(t, receiver.VerifySNSSignature(m, *pub))
}

func TestParseSNSMessage_Fields(t *testing.T) {
	m := parseFixture(t, "notification-with-subject.json")
	require.Equal(t, receiver.SNSTypeNotification, m.Type)
	require.Equal(t, "26858270-545e-5848-82a2-e05566af3dcf", m.MessageId)
	require.Equal(t, "My message subject", m.Subject)
	require.True(t, m.HasSubject)
	require.Equal(t, "1", m.SignatureVersion)
	require.Contains(t, m.UnsubscribeURL, "Action=Unsubscribe&SubscriptionArn=arn:aws:sns:")
	require.False(t, parseFixture(t, "notification-no-subject.json").HasSubject)

	c := parseFixture(t, "unsubscribe-confirmation.json")
	require.Equal(t, receiver.SNSTypeUnsubscribeConfirmation, c.Type)
	require.True(t, strings.HasPrefix(c.Token, "2336412f37fb687f5d51e6e2"))
	require.True(t, strings.HasSuffix(c.SubscribeURL, "&Token="+c.Token))
}

func TestParseSNSMessage_Lenient(t *testing.T) {
	body := `  {"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"x","Timestamp":"ts",` +
		`"SignatureVersion":"1","Signature":"s","SigningCertURL":"u","Extra":[1,{"a":null}],` +
		`"MessageAttributes":{"k":{"Type":"Number","Value":"1.5"}},"Subject":""}` + "\n\t"
	m, err := receiver.ParseSNSMessage([]byte(body))
	require.NoError(t, err)
	require.True(t, m.HasSubject)
	require.Empty(t, m.Subject)
	require.JSONEq(t, `{"k":{"Type":"Number","Value":"1.5"}}`, string(m.MessageAttributes))
}

// validBody is a minimal well-formed message of type typ without the key
// drop and with the extra member override appended.
func validBody(typ string, drop string, override string) string {
	fields := []string{
		`"Type" : "` + typ + `"`, `"MessageId" : "m"`, `"TopicArn" : "t"`, `"Message" : "x"`,
		`"Timestamp" : "ts"`, `"SignatureVersion" : "1"`, `"Signature" : "s"`,
		`"SigningCertURL" : "u"`, `"Token" : "tok"`, `"SubscribeURL" : "su"`,
	}
	var kept []string
	for _, f := range fields {
		if !strings.HasPrefix(f, `"`+drop+`"`) {
			kept = append(kept, f)
		}
	}
	if override != "" {
		kept = append(kept, override)
	}
	return "{\n  " + strings.Join(kept, ",\n  ") + "\n}"
}

func TestParseSNSMessage_Strict(t *testing.T) {
	tests := []struct {
		name, body, mention string
	}{
		{"number SignatureVersion", validBody("Notification", "SignatureVersion", `"SignatureVersion" : 1`), "SignatureVersion"},
		{"bool SignatureVersion", validBody("Notification", "SignatureVersion", `"SignatureVersion" : true`), "SignatureVersion"},
		{"null SignatureVersion", validBody("Notification", "SignatureVersion", `"SignatureVersion" : null`), "SignatureVersion"},
		{"null Subject", validBody("Notification", "", `"Subject" : null`), "Subject"},
		{"object Message", validBody("Notification", "Message", `"Message" : {}`), "Message"},
		{"missing Token on SubscriptionConfirmation", validBody("SubscriptionConfirmation", "Token", ""), "Token"},
		{"missing SubscribeURL on UnsubscribeConfirmation", validBody("UnsubscribeConfirmation", "SubscribeURL", ""), "SubscribeURL"},
		{"unknown Type", validBody("Notice", "", ""), "Type"},
		{"lowercase Type", validBody("notification", "", ""), "Type"},
		{"missing Type", validBody("x", "Type", ""), "Type"},
		{"duplicate key", validBody("Notification", "", `"Type" : "Notification"`), "duplicate key Type"},
		{"duplicate MessageAttributes", validBody("Notification", "", `"MessageAttributes" : {}, "MessageAttributes" : {}`), "duplicate key MessageAttributes"},
		{"MessageAttributes not an object", validBody("Notification", "", `"MessageAttributes" : "a"`), "MessageAttributes"},
		{"key differing only by case", validBody("Notification", "", `"type" : "SubscriptionConfirmation"`), "only by case"},
		{"Lambda spelling", validBody("Notification", "", `"SigningCertUrl" : "u"`), "SigningCertUrl"},
		{"invalid UTF-8", validBody("Notification", "Message", "\"Message\" : \"\xff\""), "UTF-8"},
		{"array body", `[` + validBody("Notification", "", "") + `]`, "not a JSON object"},
		{"string body", `"Notification"`, "not a JSON object"},
		{"null body", `null`, "not a JSON object"},
		{"empty body", ``, "not a JSON object"},
		{"truncated", strings.TrimSuffix(validBody("Notification", "", ""), "}"), "invalid JSON"},
		{"trailing data", validBody("Notification", "", "") + `{}`, "after the JSON object"},
		{"invalid value", validBody("Notification", "", `"Other" : tru`), "invalid JSON"},
	}
	for _, key := range []string{"MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion", "Signature", "SigningCertURL"} {
		tests = append(tests, struct{ name, body, mention string }{
			"missing " + key, validBody("Notification", key, ""), "missing " + key})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := receiver.ParseSNSMessage([]byte(tt.body))
			require.ErrorIs(t, err, receiver.ErrMalformedMessage)
			require.ErrorContains(t, err, tt.mention)
			require.Nil(t, m)
		})
	}
	_, err := receiver.ParseSNSMessage([]byte(validBody("SubscriptionConfirmation", "", "")))
	require.NoError(t, err, "the base body is valid")
}

func TestParseCertificatePEM(t *testing.T) {
	cert, err := receiver.ParseCertificatePEM(fixture.Read(t, "aws-sns", awsCert))
	require.NoError(t, err)
	require.Equal(t, "sns.amazonaws.com", cert.Subject.CommonName)

	other := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})
	_, err = receiver.ParseCertificatePEM(append(other, fixture.Read(t, "aws-sns", awsCert)...))
	require.NoError(t, err, "skips blocks that are not certificates")

	for name, data := range map[string][]byte{
		"empty":      nil,
		"not PEM":    []byte("hello"),
		"only a key": other,
		"bad DER":    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2}}),
		"ECDSA cert": ecdsaCertPEM(t),
	} {
		_, err := receiver.ParseCertificatePEM(data)
		require.ErrorIs(t, err, receiver.ErrCertificate, name)
	}
}

// ecdsaCertPEM returns a self-signed ECDSA certificate.
func ecdsaCertPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ec"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func FuzzParseSNSMessage(f *testing.F) {
	for _, name := range awsFixtures {
		f.Add(fixture.Read(f, "aws-sns", name))
	}
	f.Add([]byte(validBody("Notification", "", `"MessageAttributes" : {"a":{}}`)))
	f.Add([]byte(`{"Type":1}`))
	pub := awsKey(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := receiver.ParseSNSMessage(body)
		if err != nil {
			require.ErrorIs(t, err, receiver.ErrMalformedMessage)
			require.Nil(t, m)
			return
		}
		require.Contains(t, []string{receiver.SNSTypeNotification,
			receiver.SNSTypeSubscriptionConfirmation, receiver.SNSTypeUnsubscribeConfirmation}, m.Type)
		require.NotNil(t, m.StringToSign())
		_ = receiver.VerifySNSSignature(m, pub)
	})
}
