package sns_test

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
)

const awsBase = "https://sns.us-west-2.amazonaws.com"

// parseTS parses an SNS Timestamp.
func parseTS(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return ts
}

// resign copies the AWS signature fields of from into m, so that m can be
// compared with the AWS fixture byte for byte.
func resign(m, from *sns.Message) *sns.Message {
	m.SignatureVersion, m.Signature, m.SigningCertURL = from.SignatureVersion, from.Signature, from.SigningCertURL
	return m
}

func TestNewSubscriptionConfirmation_RebuildsAWSFixture(t *testing.T) {
	body, aws := readAWS(t, "subscription-confirmation.json")
	m := sns.NewSubscriptionConfirmation(sns.ConfirmationParams{BaseURL: awsBase,
		MessageID: aws.MessageId, TopicArn: aws.TopicArn, Token: aws.Token,
		Timestamp: parseTS(t, aws.Timestamp)})
	require.Equal(t, string(body), string(resign(m, aws).MarshalSNS()))
}

func TestNewUnsubscribeConfirmation_RebuildsAWSFixture(t *testing.T) {
	body, aws := readAWS(t, "unsubscribe-confirmation.json")
	subArn := "arn:aws:sns:us-west-2:131990247566:dongie-standard-topic:b24e11a2-06bd-4e73-aa29-0ed2de3b41b5"
	m := sns.NewUnsubscribeConfirmation(sns.ConfirmationParams{BaseURL: awsBase + "/",
		MessageID: aws.MessageId, TopicArn: aws.TopicArn, Token: aws.Token,
		Timestamp: parseTS(t, aws.Timestamp)}, subArn)
	require.Equal(t, string(body), string(resign(m, aws).MarshalSNS()))
}

func TestNewNotification_RebuildsAWSFixtures(t *testing.T) {
	for _, name := range []string{"notification-with-subject.json", "notification-no-subject.json"} {
		t.Run(name, func(t *testing.T) {
			body, aws := readAWS(t, name)
			subArn := strings.SplitN(aws.UnsubscribeURL, "SubscriptionArn=", 2)[1]
			m := sns.NewNotification(sns.NotificationParams{BaseURL: awsBase, MessageID: aws.MessageId,
				TopicArn: aws.TopicArn, SubscriptionArn: subArn, Subject: aws.Subject,
				Message: aws.Message, Timestamp: parseTS(t, aws.Timestamp)})
			require.Equal(t, string(body), string(resign(m, aws).MarshalSNS()))
		})
	}
}

func TestFormatTimestamp(t *testing.T) {
	sydney := time.FixedZone("AEDT", 11*3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"milliseconds", time.Date(2026, 3, 6, 19, 31, 32, 895e6, time.UTC), "2026-03-06T19:31:32.895Z"},
		{"truncated, not rounded", time.Date(2026, 3, 6, 19, 31, 32, 895999999, time.UTC), "2026-03-06T19:31:32.895Z"},
		{"leading zeros kept", time.Date(2026, 3, 6, 19, 31, 32, 38e6, time.UTC), "2026-03-06T19:31:32.038Z"},
		{"whole second becomes .001", time.Date(2026, 3, 6, 19, 31, 32, 0, time.UTC), "2026-03-06T19:31:32.001Z"},
		{"sub-millisecond becomes .001", time.Date(2026, 3, 6, 19, 31, 32, 999999, time.UTC), "2026-03-06T19:31:32.001Z"},
		{".001 stays", time.Date(2026, 3, 6, 19, 31, 32, 1e6, time.UTC), "2026-03-06T19:31:32.001Z"},
		{"converted to UTC", time.Date(2026, 3, 7, 6, 31, 32, 5e8, sydney), "2026-03-06T19:31:32.500Z"},
		{"end of year", time.Date(2026, 12, 31, 23, 59, 59, 999e6, time.UTC), "2026-12-31T23:59:59.999Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, sns.FormatTimestamp(tt.in))
		})
	}
}

func TestURLs(t *testing.T) {
	for _, base := range []string{"https://sns.example.test", "https://sns.example.test/", "https://sns.example.test//"} {
		require.Equal(t, "https://sns.example.test/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:local:0:T&Token=ab12",
			sns.SubscribeURL(base, "arn:aws:sns:local:0:T", "ab12"))
		require.Equal(t, "https://sns.example.test/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:local:0:T:u-1",
			sns.UnsubscribeURL(base, "arn:aws:sns:local:0:T:u-1"))
		require.Equal(t, "https://sns.example.test/SimpleNotificationService-"+testCertHex+".pem",
			sns.CertURL(base, testCertHex))
	}
	require.Equal(t, "https://h:8443/sns/?Action=Unsubscribe&SubscriptionArn=a",
		sns.UnsubscribeURL("https://h:8443/sns/", "a"), "a base path is kept")
}

func TestConstructors_Texts(t *testing.T) {
	p := sns.ConfirmationParams{BaseURL: testBase, MessageID: "id", TopicArn: "arn:t", Token: "tok", Timestamp: testTime}
	sub := sns.NewSubscriptionConfirmation(p)
	require.Equal(t, "You have chosen to subscribe to the topic arn:t.\n"+
		"To confirm the subscription, visit the SubscribeURL included in this message.", sub.Message)
	require.Equal(t, "2026-11-23T10:15:30.123Z", sub.Timestamp)

	unsub := sns.NewUnsubscribeConfirmation(p, "arn:t:s")
	require.Equal(t, sns.TypeUnsubscribeConfirmation, unsub.Type)
	require.Equal(t, "You have chosen to deactivate subscription arn:t:s.\n"+
		"To cancel this operation and restore the subscription, visit the SubscribeURL included in this message.", unsub.Message)
	require.Equal(t, "https://sns.example.test/?Action=ConfirmSubscription&TopicArn=arn:t&Token=tok", unsub.SubscribeURL)

	n := sns.NewNotification(sns.NotificationParams{BaseURL: testBase, SubscriptionArn: "arn:t:s", Message: "m"})
	require.Empty(t, n.Subject)
	require.Empty(t, n.Token)
	require.Equal(t, "https://sns.example.test/?Action=Unsubscribe&SubscriptionArn=arn:t:s", n.UnsubscribeURL)
}

func TestNewMessageID(t *testing.T) {
	id, err := sns.NewMessageID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	require.NoError(t, err)
	require.Equal(t, "ffffffff-ffff-4fff-bfff-ffffffffffff", id)
	id, err = sns.NewMessageID(bytes.NewReader(make([]byte, 16)))
	require.NoError(t, err)
	require.Equal(t, "00000000-0000-4000-8000-000000000000", id)
	_, err = sns.NewMessageID(iotest.ErrReader(iotest.ErrTimeout))
	require.ErrorIs(t, err, iotest.ErrTimeout)
}

func TestNewToken(t *testing.T) {
	tok, err := sns.NewToken(bytes.NewReader(bytes.Repeat([]byte{0xab}, sns.TokenBytes)))
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("ab", sns.TokenBytes), tok)
	require.Len(t, tok, 256)
	_, err = sns.NewToken(bytes.NewReader(make([]byte, 10)))
	require.Error(t, err)
}
