package snsapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/snsapi"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

const topic = "arn:aws:sns:local:000000000000:iVvy_Account_1_0000000000000000000000000000000000000000_NotifCompanies"

func TestParseQuery(t *testing.T) {
	for name, tc := range map[string]struct {
		query string
		want  *snsapi.Request
		err   string
	}{
		"confirm raw colons": {"Action=ConfirmSubscription&TopicArn=" + topic + "&Token=abc123",
			&snsapi.Request{Action: "ConfirmSubscription", TopicArn: topic, Token: "abc123"}, ""},
		"confirm encoded": {"Action=ConfirmSubscription&TopicArn=" + strings.ReplaceAll(topic, ":", "%3A") + "&Token=abc",
			&snsapi.Request{Action: "ConfirmSubscription", TopicArn: topic, Token: "abc"}, ""},
		"unsubscribe": {"Action=Unsubscribe&SubscriptionArn=" + topic + ":f3f2fc87-c426-4c2f-9044-b55890c0939c",
			&snsapi.Request{Action: "Unsubscribe", SubscriptionArn: topic + ":f3f2fc87-c426-4c2f-9044-b55890c0939c"}, ""},
		"no action":          {"TopicArn=x", nil, "MissingAction"},
		"unknown action":     {"Action=Publish", nil, "InvalidAction"},
		"confirm no topic":   {"Action=ConfirmSubscription&Token=abc", nil, "Invalid parameter: Topic"},
		"confirm no token":   {"Action=ConfirmSubscription&TopicArn=" + topic, nil, "Invalid parameter: Token"},
		"unsubscribe no arn": {"Action=Unsubscribe", nil, "Invalid parameter: SubscriptionArn"},
		"repeated token":     {"Action=ConfirmSubscription&TopicArn=" + topic + "&Token=a&Token=b", nil, "more than once"},
		"bad escape":         {"Action=%zz", nil, "MalformedQueryString"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := snsapi.ParseQuery(tc.query)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseQuery: never panics; an accepted query has a known action and
// that action's parameters.
func FuzzParseQuery(f *testing.F) {
	f.Add("Action=ConfirmSubscription&TopicArn=" + topic + "&Token=abc")
	f.Add("Action=Unsubscribe&SubscriptionArn=" + topic + ":x")
	f.Add("Action=%zz&&=")
	f.Fuzz(func(t *testing.T, q string) {
		r, err := snsapi.ParseQuery(q)
		if err != nil {
			return
		}
		switch r.Action {
		case snsapi.ActionConfirmSubscription:
			if r.TopicArn == "" || r.Token == "" {
				t.Fatalf("accepted confirm without its parameters: %q", q)
			}
		case snsapi.ActionUnsubscribe:
			if r.SubscriptionArn == "" {
				t.Fatalf("accepted unsubscribe without an ARN: %q", q)
			}
		default:
			t.Fatalf("accepted unknown action %q", r.Action)
		}
	})
}

// domain answers like the notify service, from fixed data.
type domain struct{}

func (domain) Confirm(_ context.Context, topicARN, token string) (string, error) {
	switch {
	case token == "boom":
		return "", errors.New("database exploded")
	case token != "good":
		return "", notify.ErrInvalidToken
	}
	return topicARN + ":sub", nil
}

func (domain) UnsubscribeByURL(context.Context, string) error { return nil }

type keys struct{}

func (keys) PublicKeyPEM(_ context.Context, account, version int64) ([]byte, error) {
	if account == 1 && version == 100 {
		return []byte("-----BEGIN PUBLIC KEY-----\n"), nil
	}
	return nil, store.ErrNotFound
}

func serve(t *testing.T, target string) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	snsapi.Register(mux, snsapi.Options{Domain: domain{}, PublicKeys: keys{}, CertPEM: []byte("CERT\n"), CertHex: "abcd"})
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
	return w
}

func TestHandlers(t *testing.T) {
	t.Run("Confirm", func(t *testing.T) {
		w := serve(t, "/?Action=ConfirmSubscription&TopicArn="+topic+"&Token=good")
		require.Equal(t, 200, w.Code)
		require.Equal(t, "text/xml", w.Header().Get("Content-Type"))
		require.Contains(t, w.Body.String(), "<SubscriptionArn>"+topic+":sub</SubscriptionArn>")
	})
	t.Run("BadToken", func(t *testing.T) {
		w := serve(t, "/?Action=ConfirmSubscription&TopicArn="+topic+"&Token=bad")
		require.Equal(t, 400, w.Code)
		require.Contains(t, w.Body.String(), "<Code>InvalidParameter</Code>")
		require.Contains(t, w.Body.String(), "<Message>Invalid parameter: Token</Message>")
	})
	t.Run("InternalErrorHidden", func(t *testing.T) {
		w := serve(t, "/?Action=ConfirmSubscription&TopicArn="+topic+"&Token=boom")
		require.Equal(t, 500, w.Code)
		require.NotContains(t, w.Body.String(), "exploded")
	})
	t.Run("Unsubscribe", func(t *testing.T) {
		w := serve(t, "/?Action=Unsubscribe&SubscriptionArn="+topic+":x")
		require.Equal(t, 200, w.Code)
		require.Contains(t, w.Body.String(), "<UnsubscribeResponse")
	})
	t.Run("Certificate", func(t *testing.T) {
		w := serve(t, "/SimpleNotificationService-abcd.pem")
		require.Equal(t, 200, w.Code)
		require.Equal(t, "CERT\n", w.Body.String())
		require.Equal(t, 404, serve(t, "/SimpleNotificationService-ffff.pem").Code)
	})
	t.Run("PublicKey", func(t *testing.T) {
		w := serve(t, "/keys/accounts/1/100/notifcert.txt")
		require.Equal(t, 200, w.Code)
		require.Contains(t, w.Body.String(), "BEGIN PUBLIC KEY")
		require.Equal(t, 404, serve(t, "/keys/accounts/1/101/notifcert.txt").Code)
		require.Equal(t, 404, serve(t, "/keys/accounts/x/100/notifcert.txt").Code)
	})
}
