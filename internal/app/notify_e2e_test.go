package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// allEndpoints subscribes a receiver path per endpoint: /events, /venues, …
func allEndpoints(rcv *testReceiver) ivvyclient.Endpoints {
	return ivvyclient.Endpoints{
		Events: rcv.URL("/events"), Venues: rcv.URL("/venues"), Payments: rcv.URL("/payments"), CRM: rcv.URL("/crm"),
		Contacts: rcv.URL("/contacts"), Companies: rcv.URL("/companies"), ARI: rcv.URL("/ari"),
	}
}

// notifyServer starts a server that may deliver to loopback receivers.
func notifyServer(t *testing.T, signatureVersion string) *app.Server {
	cfg := testConfig(t)
	cfg.AllowPrivateEndpoints = true
	cfg.SignatureVersion = signatureVersion
	return startServer(t, cfg)
}

// publish publishes one event through the admin API.
func publish(t *testing.T, srv *app.Server, acct, subject string, body []byte) map[string]any {
	t.Helper()
	in, err := json.Marshal(map[string]any{"subject": subject, "body": json.RawMessage(body), "sourceType": 1,
		"sourceInfo": map[string]string{"key": "platform"}})
	require.NoError(t, err)
	var out map[string]any
	require.Equal(t, 202, adminCall(t, srv, "POST", "/v1/accounts/"+acct+"/events", string(in), &out))
	return out
}

func TestSubscribeConfirmPublishEveryEndpoint(t *testing.T) {
	for _, version := range []string{"1", "2"} {
		t.Run("SignatureVersion"+version, func(t *testing.T) { testEveryEndpoint(t, version) })
	}
}

func testEveryEndpoint(t *testing.T, version string) {
	ctx := context.Background()
	srv := notifyServer(t, version)
	acct, key := newAccountKey(t, srv)
	rcv := newTestReceiver(t, srv.KeyBaseURL, true)
	client := ivvyclient.New(srv.PublicURL, key.Key, key.Secret)

	res, err := client.SubscribeToNotifications(ctx, allEndpoints(rcv))
	require.NoError(t, err)
	topics := map[string]string{}
	for _, e := range catalog.Endpoints() {
		arn := topicOf(res, e)
		require.NotNil(t, arn, e.Name())
		require.Regexp(t, `^arn:aws:sns:local:000000000000:iVvy_Account_`+acct+`_[0-9a-f]{40}_Notif`+e.TopicSuffix()+`$`, *arn)
		topics["/"+e.Name()] = *arn
	}

	confirmations := rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 7)
	for _, c := range confirmations {
		require.Equal(t, topics[c.Path], c.SNS.TopicArn)
		require.Equal(t, version, c.SNS.SignatureVersion)
		require.Contains(t, c.Confirm, "<ConfirmSubscriptionResponse")
		require.Contains(t, c.Confirm, "<SubscriptionArn>"+topics[c.Path]+":")
		require.Empty(t, c.Header.Get("x-amz-sns-subscription-arn"))
	}

	var published int
	for _, s := range srv.Notify.Catalog().Subjects() {
		out := publish(t, srv, acct, s.Name, s.ExampleBody())
		require.EqualValues(t, 1, out["deliveries"], s.Name)
		published++
	}
	notes := rcv.waitFor(receiver.SNSTypeNotification, published)
	seen := map[string]int{}
	for _, n := range notes {
		seen[n.Inner.Subject]++
		subject, ok := srv.Notify.Catalog().Subject(n.Inner.Subject)
		require.True(t, ok)
		require.Equal(t, "/"+subject.Endpoint.Name(), n.Path, "delivered to its endpoint's URL")
		require.Equal(t, topics[n.Path], n.SNS.TopicArn)
		require.Equal(t, acct, n.Inner.AccountId)
		require.Equal(t, "local", n.Inner.Region)
		require.JSONEq(t, string(subject.ExampleBody()), n.Inner.Body)
		require.Equal(t, n.SNS.MessageId, n.Header.Get("x-amz-sns-message-id"))
		require.Equal(t, "Notification", n.Header.Get("x-amz-sns-message-type"))
		require.Equal(t, n.SNS.TopicArn, n.Header.Get("x-amz-sns-topic-arn"))
		require.True(t, strings.HasPrefix(n.Header.Get("x-amz-sns-subscription-arn"), n.SNS.TopicArn+":"))
		require.Contains(t, n.SNS.UnsubscribeURL, "SubscriptionArn="+n.Header.Get("x-amz-sns-subscription-arn"))
	}
	require.Len(t, seen, published, "one of every subject")
	for subject, n := range seen {
		require.Equal(t, 1, n, "%s arrived once", subject)
	}
}

func topicOf(r *ivvyclient.SubscribeResult, e catalog.Endpoint) *string {
	switch e {
	case catalog.Events:
		return r.EventsTopicID
	case catalog.Venues:
		return r.VenuesTopicID
	case catalog.Payments:
		return r.PaymentsTopicID
	case catalog.CRM:
		return r.CRMTopicID
	case catalog.Contacts:
		return r.ContactsTopicID
	case catalog.Companies:
		return r.CompaniesTopicID
	case catalog.ARI:
		return r.ARITopicID
	}
	panic(fmt.Sprint("unknown endpoint ", e))
}
