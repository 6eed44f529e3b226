package receivertest_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver"
	"github.com/ivvy-notify/ivvy-notify/receiver/receivertest"
)

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestServer_ServesCertificateAndKeys(t *testing.T) {
	srv := receivertest.NewTLSServer(t)
	require.True(t, strings.HasPrefix(srv.URL(), "https://"))
	require.Regexp(t, `/SimpleNotificationService-[0-9a-f]{32}\.pem$`, srv.CertURL())

	code, body := get(t, srv.Client(), srv.CertURL())
	require.Equal(t, http.StatusOK, code)
	cert, err := receiver.ParseCertificatePEM([]byte(body))
	require.NoError(t, err)
	require.True(t, cert.Equal(srv.Certificate()))
	require.WithinDuration(t, time.Now(), cert.NotBefore, 2*time.Hour)

	for _, id := range []string{"14", "15"} {
		require.Regexp(t, `^/accounts/`+id+`/\d+/notifcert\.txt$`, srv.KeyPath(id))
		code, body = get(t, srv.Client(), srv.KeyBaseURL()+srv.KeyPath(id))
		require.Equal(t, http.StatusOK, code)
		require.True(t, strings.HasPrefix(body, "-----BEGIN PUBLIC KEY-----\n"))
		key, err := receiver.ParsePublicKeyPEM([]byte(body))
		require.NoError(t, err)
		require.True(t, key.Equal(srv.AccountPublicKey()))
	}
	code, _ = get(t, srv.Client(), srv.KeyBaseURL()+"/accounts/14/1/notifcert.txt")
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, 1, srv.CertFetches())
	require.Equal(t, 1, srv.KeyFetches("14"))
}

func TestServer_SubscriptionURLs(t *testing.T) {
	srv := receivertest.NewServer(t)
	topic := srv.TopicArn("7", "BookingAdded")
	require.Regexp(t, `^arn:aws:sns:local:000000000000:iVvy_Account_7_[0-9a-f]{40}_NotifVenues$`, topic)
	require.Regexp(t, `_NotifEvents$`, srv.TopicArn("7", "EventAdded"))
	sub := srv.SubscriptionArn(topic)
	require.Regexp(t, "^"+regexp.QuoteMeta(topic)+`:[0-9a-f-]{36}$`, sub)
	require.Equal(t, sub, srv.SubscriptionArn(topic), "one subscription per topic")

	m, err := receiver.ParseSNSMessage(srv.SubscriptionConfirmation(topic))
	require.NoError(t, err)
	code, body := get(t, http.DefaultClient, m.SubscribeURL)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "<SubscriptionArn>"+sub+"</SubscriptionArn>")
	require.Equal(t, []string{topic}, srv.Confirmed())

	bad := strings.Replace(m.SubscribeURL, "Token=", "Token=0", 1)
	code, body = get(t, http.DefaultClient, bad)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "Invalid parameter: Token")
	require.Len(t, srv.Confirmed(), 1)

	n, err := receiver.ParseSNSMessage(srv.Notification("BookingAdded", `{"data":{}}`, receivertest.WithAccountID("7")))
	require.NoError(t, err)
	require.Equal(t, topic, n.TopicArn)
	code, _ = get(t, http.DefaultClient, n.UnsubscribeURL)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, []string{sub}, srv.Unsubscribed())

	u, err := receiver.ParseSNSMessage(srv.UnsubscribeConfirmation(sub))
	require.NoError(t, err)
	require.Equal(t, topic, u.TopicArn)
	code, _ = get(t, http.DefaultClient, u.SubscribeURL)
	require.Equal(t, http.StatusOK, code, "an UnsubscribeConfirmation's SubscribeURL resubscribes")
}

func TestServer_Messages(t *testing.T) {
	srv := receivertest.NewServer(t)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	body := srv.Notification("CompanyDeleted", map[string]any{"companyId": 5},
		receivertest.WithAccountID("9"), receivertest.WithMessageID("11111111-2222-4333-8444-555555555555"),
		receivertest.WithTxnID("ffffffffffffffffffffffffffffffff"), receivertest.WithTime(at),
		receivertest.WithSignatureVersion("2"), receivertest.WithTopicArn("arn:aws:sns:local:000000000000:t"),
		receivertest.WithSubscriptionArn("arn:aws:sns:local:000000000000:t:s"))
	require.True(t, strings.HasPrefix(string(body), "{\n  \"Type\" : \"Notification\",\n"), "SNS layout")
	m, err := receiver.ParseSNSMessage(body)
	require.NoError(t, err)
	require.Equal(t, "2", m.SignatureVersion)
	require.Equal(t, "2026-05-01T10:00:00.001Z", m.Timestamp)
	require.Contains(t, m.UnsubscribeURL, "SubscriptionArn=arn:aws:sns:local:000000000000:t:s")
	require.False(t, m.HasSubject, "iVvy puts the subject inside Message")

	r := srv.Request(body)
	require.Equal(t, http.MethodPost, r.Method)
	require.Equal(t, "Notification", r.Header.Get("x-amz-sns-message-type"))
	require.Equal(t, m.MessageId, r.Header.Get("x-amz-sns-message-id"))
	require.Equal(t, "arn:aws:sns:local:000000000000:t:s", r.Header.Get("x-amz-sns-subscription-arn"))
	require.Equal(t, "text/plain; charset=UTF-8", r.Header.Get("Content-Type"))
	require.Empty(t, srv.Request([]byte("{}")).Header.Get("x-amz-sns-message-type"))

	n, err := srv.Verifier().VerifyNotification(context.Background(), m)
	require.NoError(t, err)
	require.Equal(t, "9", n.AccountID)
	require.Equal(t, "ffffffffffffffffffffffffffffffff", n.TxnID)
	require.Equal(t, at, n.EventTime)
	require.JSONEq(t, `{"companyId":5}`, string(n.Body))

	// A body given as text is used as it is, valid JSON or not.
	m, err = receiver.ParseSNSMessage(srv.Notification("CompanyAdded", []byte(`{"data":`)))
	require.NoError(t, err)
	_, err = srv.Verifier().VerifyNotification(context.Background(), m)
	require.ErrorIs(t, err, receiver.ErrMalformedIvvyMessage)
	require.Panics(t, func() { srv.Notification("CompanyAdded", func() {}) })
}

func TestServer_VerifierTrustsOnlyItself(t *testing.T) {
	a, b := receivertest.NewServer(t), receivertest.NewServer(t)
	m, err := receiver.ParseSNSMessage(b.Notification("CompanyAdded", `{"data":{}}`))
	require.NoError(t, err)
	_, err = a.Verifier().VerifyNotification(context.Background(), m)
	require.ErrorIs(t, err, receiver.ErrCertHost)
	_, err = b.Verifier().VerifyNotification(context.Background(), m)
	require.NoError(t, err)
	require.True(t, a.Options().AllowHTTP)
	require.False(t, receivertest.NewTLSServer(t).Options().AllowHTTP)
}

func TestStart(t *testing.T) {
	srv := receivertest.Start()
	code, _ := get(t, http.DefaultClient, srv.CertURL())
	require.Equal(t, http.StatusOK, code)
	srv.Close()
	_, err := http.Get(srv.CertURL())
	require.Error(t, err)
}
