package sns_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

func TestMarshalSNS_ReRendersAWSFixturesByteForByte(t *testing.T) {
	for _, name := range awsFixtures {
		t.Run(name, func(t *testing.T) {
			body, m := readAWS(t, name)
			require.Equal(t, string(body), string(m.MarshalSNS()))
		})
	}
}

func TestStringToSign_VerifiesAWSSignatures(t *testing.T) {
	pub := awsPublicKey(t).(*rsa.PublicKey)
	for _, name := range awsFixtures {
		t.Run(name, func(t *testing.T) {
			_, m := readAWS(t, name)
			data := sns.StringToSign(m)
			sig, err := base64.StdEncoding.DecodeString(m.Signature)
			require.NoError(t, err)
			if m.SignatureVersion == "1" {
				d := sha1.Sum(data)
				require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA1, d[:], sig))
			} else {
				d := sha256.Sum256(data)
				require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig))
			}
		})
	}
}

func TestStringToSign_SNSDocExample(t *testing.T) {
	_, m := readAWS(t, "notification-with-subject.json")
	want := "Message\nHello! This message has a subject.\nMessageId\n26858270-545e-5848-82a2-e05566af3dcf\n" +
		"Subject\nMy message subject\nTimestamp\n2026-03-06T19:53:21.424Z\n" +
		"TopicArn\narn:aws:sns:us-west-2:131990247566:dongie-standard-topic\nType\nNotification\n"
	require.Equal(t, want, string(sns.StringToSign(m)))
}

func TestStringToSign_Golden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, "string-to-sign-"+c.name+".txt", sns.StringToSign(c.build()))
		})
	}
}

func TestMarshalSNS_Golden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name+".json", c.signed(t).MarshalSNS())
		})
	}
}

func TestMarshalSNS_Layout(t *testing.T) {
	n := goldenCases[1].signed(t)
	require.NotContains(t, string(n.MarshalSNS()), `"Subject"`, "no Subject key when Subject is empty")
	require.NotContains(t, string(n.MarshalSNS()), `"Token"`)
	n.Subject = "Hi"
	require.Contains(t, string(n.MarshalSNS()), "\n  \"TopicArn\" : \""+testTopicArn+"\",\n  \"Subject\" : \"Hi\",\n  \"Message\" : ")

	c := goldenCases[0].signed(t)
	c.Subject, c.UnsubscribeURL = "ignored", "ignored"
	require.NotContains(t, string(c.MarshalSNS()), "ignored", "confirmations have no Subject/UnsubscribeURL")
	require.NotContains(t, string(sns.StringToSign(c)), "ignored")
}

func TestMarshalSNS_Escaping(t *testing.T) {
	tests := map[string]string{
		"quotes and backslash": `say "hi" \ bye`,
		"html characters":      `<a href="x">&amp;</a>`,
		"slash":                "a/b",
		"control characters":   "a\nb\rc\td\be\ff\x00g\x1fh\x7f",
		"non-ASCII":            "Café ☕ 日本 😀",
		"line separators":      "a\u2028b\u2029c",
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			m := &sns.Message{Type: sns.TypeNotification, Message: s, Subject: s}
			var got map[string]any
			require.NoError(t, json.Unmarshal(m.MarshalSNS(), &got))
			require.Equal(t, s, got["Message"])
			require.Equal(t, s, got["Subject"])
		})
	}
	m := &sns.Message{Type: sns.TypeNotification, Message: "<&>/é\u2028\n\x01"}
	require.Contains(t, string(m.MarshalSNS()), `"Message" : "<&>/é`+"\u2028"+`\n\u0001"`)
	m.Message = "a\xffb"
	require.Contains(t, string(m.MarshalSNS()), `"Message" : "a`+"\uFFFD"+`b"`)
}

// FuzzMarshalSNS checks MarshalSNS against the independent parser: any
// valid UTF-8 content round-trips, and both sides agree on the string to
// sign.
func FuzzMarshalSNS(f *testing.F) {
	f.Add("Hello", "", "Notification")
	f.Add("a\"b\\c\n\x00<&>", "Subj", "SubscriptionConfirmation")
	f.Add("é\u2028😀", "x", "UnsubscribeConfirmation")
	f.Fuzz(func(t *testing.T, message, subject, typ string) {
		if !utf8.ValidString(message) || !utf8.ValidString(subject) {
			t.Skip()
		}
		m := &sns.Message{Type: typ, MessageId: "id", TopicArn: message, Subject: subject,
			Message: message, SubscribeURL: subject, Token: message, Timestamp: "ts",
			SignatureVersion: "1", Signature: "sig", SigningCertURL: "u", UnsubscribeURL: "v"}
		r, err := receiver.ParseSNSMessage(m.MarshalSNS())
		if typ != sns.TypeNotification && typ != sns.TypeSubscriptionConfirmation &&
			typ != sns.TypeUnsubscribeConfirmation {
			require.ErrorIs(t, err, receiver.ErrMalformedMessage)
			return
		}
		require.NoError(t, err)
		require.Equal(t, message, r.Message)
		require.Equal(t, string(sns.StringToSign(m)), string(r.StringToSign()))
	})
}
