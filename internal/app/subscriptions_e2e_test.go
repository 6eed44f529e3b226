package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// subscribed is an account with a confirmed companies subscription.
type subscribed struct {
	srv    *app.Server
	acct   string
	key    createdKey
	client *ivvyclient.Client
	rcv    *testReceiver
	url    string
}

func newSubscribed(t *testing.T) *subscribed {
	srv := notifyServer(t, "1")
	acct, key := newAccountKey(t, srv)
	s := &subscribed{srv: srv, acct: acct, key: key, client: ivvyclient.New(srv.PublicURL, key.Key, key.Secret),
		rcv: newTestReceiver(t, srv.KeyBaseURL, true)}
	s.url = s.rcv.URL("/companies")
	_, err := s.client.SubscribeToNotifications(context.Background(), ivvyclient.Endpoints{Companies: s.url})
	require.NoError(t, err)
	s.rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 1)
	return s
}

// subscriptions lists the account's subscriptions through the admin API.
func (s *subscribed) subscriptions(t *testing.T) []map[string]any {
	var out struct {
		Topics []struct {
			Subscriptions []map[string]any `json:"subscriptions"`
		} `json:"topics"`
	}
	require.Equal(t, 200, adminCall(t, s.srv, "GET", "/v1/accounts/"+s.acct+"/subscriptions", "", &out))
	var subs []map[string]any
	for _, topic := range out.Topics {
		subs = append(subs, topic.Subscriptions...)
	}
	return subs
}

func TestUnsubscribeResultCodes(t *testing.T) {
	ctx := context.Background()
	s := newSubscribed(t)

	other := createKey(t, s.srv, s.acct, `{"userId":7,"primary":true}`)
	otherClient := ivvyclient.New(s.srv.PublicURL, other.Key, other.Secret)
	res, err := otherClient.UnsubscribeFromNotifications(ctx, ivvyclient.Endpoints{Companies: s.url})
	require.NoError(t, err)
	require.Equal(t, ivvyclient.ResultIncorrectSource, res.CompaniesResult)

	pending := newTestReceiver(t, s.srv.KeyBaseURL, false)
	_, err = s.client.SubscribeToNotifications(ctx, ivvyclient.Endpoints{Contacts: pending.URL("/contacts")})
	require.NoError(t, err)

	res, err = s.client.UnsubscribeFromNotifications(ctx, ivvyclient.Endpoints{
		Companies: s.url, Contacts: pending.URL("/contacts"), CRM: s.rcv.URL("/crm"),
	})
	require.NoError(t, err)
	require.Equal(t, ivvyclient.UnsubscribeResult{
		EventsResult: 2, VenuesResult: 2, PaymentsResult: 2, CRMResult: ivvyclient.ResultNotFound,
		ContactsResult: ivvyclient.ResultStatusNotConfirmed, CompaniesResult: ivvyclient.ResultSuccess, ARIResult: 2,
	}, *res)

	res, err = s.client.UnsubscribeFromNotifications(ctx, ivvyclient.Endpoints{Companies: s.url})
	require.NoError(t, err)
	require.Equal(t, ivvyclient.ResultNotFound, res.CompaniesResult, "already unsubscribed")

	out := publish(t, s.srv, s.acct, "CompanyAdded", []byte(`{"data":{"id":1}}`))
	require.EqualValues(t, 0, out["deliveries"], "nothing is delivered after unsubscribing")
}

func TestUnsubscribeURL(t *testing.T) {
	s := newSubscribed(t)
	publish(t, s.srv, s.acct, "CompanyAdded", []byte(`{"data":{"id":1}}`))
	note := s.rcv.waitFor(receiver.SNSTypeNotification, 1)[0]

	body, err := httpGet(note.SNS.UnsubscribeURL)
	require.NoError(t, err)
	require.Contains(t, string(body), "<UnsubscribeResponse")
	bye := s.rcv.waitFor(receiver.SNSTypeUnsubscribeConfirmation, 1)[0]
	require.Equal(t, note.SNS.TopicArn, bye.SNS.TopicArn)
	require.Contains(t, bye.SNS.Message, "You have chosen to deactivate subscription "+note.Header.Get("x-amz-sns-subscription-arn"))
	require.Equal(t, note.Header.Get("x-amz-sns-subscription-arn"), bye.Header.Get("x-amz-sns-subscription-arn"))

	out := publish(t, s.srv, s.acct, "CompanyUpdated", []byte(`{"data":{"id":1},"previousData":{"id":1}}`))
	require.EqualValues(t, 0, out["deliveries"])
	_, err = httpGet(note.SNS.UnsubscribeURL)
	require.NoError(t, err, "unsubscribing again is a no-op")
	time.Sleep(100 * time.Millisecond)
	require.Len(t, s.rcv.messages(receiver.SNSTypeNotification), 1, "nothing more delivered")
	require.Len(t, s.rcv.messages(receiver.SNSTypeUnsubscribeConfirmation), 1)

	t.Run("SubscribeURLOfTheGoodbyeRestores", func(t *testing.T) {
		resp, err := httpGet(bye.SNS.SubscribeURL)
		require.NoError(t, err)
		require.Contains(t, string(resp), "<SubscriptionArn>"+note.Header.Get("x-amz-sns-subscription-arn")+"</SubscriptionArn>")
		out := publish(t, s.srv, s.acct, "CompanyAdded", []byte(`{"data":{"id":2}}`))
		require.EqualValues(t, 1, out["deliveries"])
	})
}

func TestConfirmation(t *testing.T) {
	ctx := context.Background()
	srv := notifyServer(t, "1")
	_, key := newAccountKey(t, srv)
	rcv := newTestReceiver(t, srv.KeyBaseURL, false)
	client := ivvyclient.New(srv.PublicURL, key.Key, key.Secret)
	hook := ivvyclient.Endpoints{Companies: rcv.URL("/c")}
	_, err := client.SubscribeToNotifications(ctx, hook)
	require.NoError(t, err)
	first := rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 1)[0]

	t.Run("PendingGetsNothing", func(t *testing.T) {
		out := publish(t, srv, acctOf(t, srv), "CompanyAdded", []byte(`{"data":{"id":1}}`))
		require.EqualValues(t, 0, out["deliveries"])
	})
	t.Run("ResubscribingPendingResends", func(t *testing.T) {
		_, err := client.SubscribeToNotifications(ctx, hook)
		require.NoError(t, err)
		second := rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 2)[1]
		require.NotEqual(t, first.SNS.Token, second.SNS.Token)
		require.NotEqual(t, first.SNS.MessageId, second.SNS.MessageId)
	})
	t.Run("BadTokenIsSNSError", func(t *testing.T) {
		resp, err := http.Get(strings.Replace(first.SNS.SubscribeURL, "Token=", "Token=00", 1))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, 400, resp.StatusCode)
		var e struct {
			Error struct{ Type, Code, Message string }
		}
		require.NoError(t, decodeXML(resp, &e))
		require.Equal(t, "InvalidParameter", e.Error.Code)
		require.Equal(t, "Invalid parameter: Token", e.Error.Message)
	})
	t.Run("ConfirmTwiceSameArn", func(t *testing.T) {
		a, err := httpGet(first.SNS.SubscribeURL)
		require.NoError(t, err)
		b, err := httpGet(first.SNS.SubscribeURL)
		require.NoError(t, err)
		require.Equal(t, arnIn(t, a), arnIn(t, b))
	})
	t.Run("ConfirmedIsLeftAlone", func(t *testing.T) {
		_, err := client.SubscribeToNotifications(ctx, hook)
		require.NoError(t, err)
		time.Sleep(100 * time.Millisecond)
		require.Len(t, rcv.messages(receiver.SNSTypeSubscriptionConfirmation), 2)
	})
}

func TestSubscribeRules(t *testing.T) {
	ctx := context.Background()
	srv := notifyServer(t, "1")
	acct, key := newAccountKey(t, srv)
	client := ivvyclient.New(srv.PublicURL, key.Key, key.Secret)
	rcv := newTestReceiver(t, srv.KeyBaseURL, false)

	for name, body := range map[string]string{
		"unknown key":  `{"companiesEndpoint":"` + rcv.URL("/c") + `","bogusEndpoint":"https://x.example"}`,
		"relative URL": `{"companiesEndpoint":"` + rcv.URL("/c") + `","venuesEndpoint":"/hook"}`,
		"ftp URL":      `{"venuesEndpoint":"ftp://x.example/"}`,
		"number":       `{"venuesEndpoint":5}`,
	} {
		t.Run("400 "+name, func(t *testing.T) {
			err := client.Call(ctx, "account", "subscribeToNotifications", json.RawMessage(body), nil)
			requireAPIError(t, err, 400, 23016, apiMessage(err))
			require.Contains(t, apiMessage(err), "does not validate")
			var st ivvyclient.SubscribeResult
			require.NoError(t, client.Call(ctx, "account", "subscribeToNotifications", json.RawMessage(`{}`), &st))
			require.False(t, st.CompaniesSuccess, "nothing changed")
			require.Nil(t, st.CompaniesTopicID)
		})
	}
	t.Run("NullAndEmptyAreNotRequested", func(t *testing.T) {
		var st ivvyclient.SubscribeResult
		require.NoError(t, client.Call(ctx, "account", "subscribeToNotifications",
			json.RawMessage(`{"eventsEndpoint":null,"venuesEndpoint":""}`), &st))
		require.False(t, st.EventsSuccess)
		require.False(t, st.VenuesSuccess)
	})
	t.Run("403 non-primary user", func(t *testing.T) {
		k := createKey(t, srv, acct, `{"userId":8,"primary":false}`)
		_, err := ivvyclient.New(srv.PublicURL, k.Key, k.Secret).SubscribeToNotifications(ctx, ivvyclient.Endpoints{Companies: rcv.URL("/c")})
		requireAPIError(t, err, 403, 23009, "Not Allowed")
		_, err = ivvyclient.New(srv.PublicURL, k.Key, k.Secret).UnsubscribeFromNotifications(ctx, ivvyclient.Endpoints{Companies: rcv.URL("/c")})
		requireAPIError(t, err, 403, 23009, "Not Allowed")
	})
	t.Run("FullStatusResponse", func(t *testing.T) {
		raw := json.RawMessage{}
		require.NoError(t, client.Call(ctx, "account", "subscribeToNotifications",
			json.RawMessage(`{"companiesEndpoint":"`+rcv.URL("/c")+`"}`), &raw))
		require.Regexp(t, `^\{"eventsSuccess":false,"eventsTopicId":null,"venuesSuccess":false,"venuesTopicId":null,`+
			`"paymentsSuccess":false,"paymentsTopicId":null,"crmSuccess":false,"crmTopicId":null,`+
			`"contactsSuccess":false,"contactsTopicId":null,"companiesSuccess":true,"companiesTopicId":"arn:aws:sns:local:000000000000:iVvy_Account_`+acct+`_[0-9a-f]{40}_NotifCompanies",`+
			`"ariSuccess":false,"ariTopicId":null\}$`, string(raw))
	})
}

func TestPrivateEndpointsRefusedByDefault(t *testing.T) {
	srv := startServer(t, testConfig(t))
	_, key := newAccountKey(t, srv)
	_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(),
		ivvyclient.Endpoints{Companies: "http://127.0.0.1:9/hook"})
	requireAPIError(t, err, 400, 23016, "'companiesEndpoint' does not validate")
	require.Contains(t, err.Error(), "loopback")
}

func TestPublishRules(t *testing.T) {
	s := newSubscribed(t)
	t.Run("SameTxnIDDeliversOnce", func(t *testing.T) {
		body := `{"subject":"CompanyAdded","body":{"data":{"id":1}},"txnId":"0123456789abcdef0123456789abcdef"}`
		var first, second map[string]any
		require.Equal(t, 202, adminCall(t, s.srv, "POST", "/v1/accounts/"+s.acct+"/events", body, &first))
		require.Equal(t, 202, adminCall(t, s.srv, "POST", "/v1/accounts/"+s.acct+"/events", body, &second))
		require.Equal(t, "0123456789abcdef0123456789abcdef", first["txnId"])
		require.Equal(t, true, second["duplicate"])
		require.Equal(t, first["deliveries"], second["deliveries"])
		s.rcv.waitFor(receiver.SNSTypeNotification, 1)
		time.Sleep(100 * time.Millisecond)
		require.Len(t, s.rcv.messages(receiver.SNSTypeNotification), 1)
	})
	t.Run("Batch", func(t *testing.T) {
		var out struct{ Results []map[string]any }
		require.Equal(t, 202, adminCall(t, s.srv, "POST", "/v1/accounts/"+s.acct+"/events/batch",
			`{"events":[{"subject":"CompanyAdded","body":{"data":{"id":2}}},{"subject":"CompanyDeleted","body":{"companyId":2}}]}`, &out))
		require.Len(t, out.Results, 2)
		s.rcv.waitFor(receiver.SNSTypeNotification, 3)
	})
	for name, tc := range map[string]struct{ body, field string }{
		"unknown subject": {`{"subject":"CompanyExploded","body":{"data":{}}}`, "subject"},
		"wrong shape":     {`{"subject":"CompanyDeleted","body":{"data":{}}}`, "body"},
		"bad txnId":       {`{"subject":"CompanyAdded","body":{"data":{}},"txnId":"x"}`, "txnId"},
		"too large":       {`{"subject":"CompanyAdded","body":{"data":{"x":"` + strings.Repeat("a", 262144) + `"}}}`, "body"},
	} {
		t.Run("400 "+name, func(t *testing.T) {
			before := len(s.rcv.messages(""))
			var e map[string]any
			code := adminCallRaw(t, s.srv, "POST", "/v1/accounts/"+s.acct+"/events", tc.body, &e)
			require.Equal(t, 400, code, e)
			require.Equal(t, tc.field, e["field"])
			time.Sleep(50 * time.Millisecond)
			require.Len(t, s.rcv.messages(""), before)
		})
	}
	t.Run("BadBatchStoresNothing", func(t *testing.T) {
		before := len(s.rcv.messages(""))
		var e map[string]any
		code := adminCallRaw(t, s.srv, "POST", "/v1/accounts/"+s.acct+"/events/batch",
			`{"events":[{"subject":"CompanyAdded","body":{"data":{"id":9}}},{"subject":"Nope","body":{}}]}`, &e)
		require.Equal(t, 400, code)
		require.EqualValues(t, 1, e["index"])
		time.Sleep(100 * time.Millisecond)
		require.Len(t, s.rcv.messages(""), before, "the valid event of a refused batch is not delivered")
	})
	t.Run("SubscriptionsListing", func(t *testing.T) {
		subs := s.subscriptions(t)
		require.Len(t, subs, 1)
		require.Equal(t, "Confirmed", subs[0]["status"])
		require.Equal(t, s.url, subs[0]["url"])
	})
}

func subscribeCompanies(t *testing.T, srv *app.Server, key createdKey, url string) {
	_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(), ivvyclient.Endpoints{Companies: url})
	require.NoError(t, err)
}

func subscribeEvents(t *testing.T, srv *app.Server, key createdKey, url string) {
	_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).SubscribeToNotifications(context.Background(), ivvyclient.Endpoints{Events: url})
	require.NoError(t, err)
}
