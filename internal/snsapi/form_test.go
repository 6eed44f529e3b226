package snsapi_test

import (
	"bytes"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/snsapi"
)

// sdkConfirm is the body aws-sdk-go-v2's SNS client POSTs for
// ConfirmSubscription (its query serializer: sorted, percent-encoded).
func sdkConfirm(token string) string {
	return "Action=ConfirmSubscription&AuthenticateOnUnsubscribe=true&Token=" + token +
		"&TopicArn=" + url.QueryEscape(topic) + "&Version=2010-03-31"
}

func TestParseForm(t *testing.T) {
	sub := topic + ":f3f2fc87-c426-4c2f-9044-b55890c0939c"
	for name, tc := range map[string]struct {
		body string
		want *snsapi.Request
		err  string
	}{
		"sdk confirm": {sdkConfirm("abc"),
			&snsapi.Request{Action: "ConfirmSubscription", TopicArn: topic, Token: "abc", AuthenticateOnUnsubscribe: true}, ""},
		"confirm without version": {"Action=ConfirmSubscription&TopicArn=" + topic + "&Token=abc",
			&snsapi.Request{Action: "ConfirmSubscription", TopicArn: topic, Token: "abc"}, ""},
		"authenticate false": {"Action=ConfirmSubscription&TopicArn=" + topic + "&Token=abc&AuthenticateOnUnsubscribe=FALSE",
			&snsapi.Request{Action: "ConfirmSubscription", TopicArn: topic, Token: "abc"}, ""},
		"sdk unsubscribe": {"Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(sub) + "&Version=2010-03-31",
			&snsapi.Request{Action: "Unsubscribe", SubscriptionArn: sub}, ""},
		"unknown parameters tolerated": {"Action=Unsubscribe&SubscriptionArn=" + sub + "&X-Amz-Foo=1&Extra=",
			&snsapi.Request{Action: "Unsubscribe", SubscriptionArn: sub}, ""},
		"wrong version":      {"Action=Unsubscribe&SubscriptionArn=" + sub + "&Version=2012-11-05", nil, "InvalidParameterValue"},
		"authenticate maybe": {"Action=ConfirmSubscription&TopicArn=" + topic + "&Token=a&AuthenticateOnUnsubscribe=yes", nil, "Invalid parameter: AuthenticateOnUnsubscribe"},
		"duplicate action":   {"Action=Unsubscribe&Action=Unsubscribe&SubscriptionArn=" + sub, nil, "Action is given more than once"},
		"duplicate version":  {sdkConfirm("a") + "&Version=2010-03-31", nil, "Version is given more than once"},
		"empty body":         {"", nil, "MissingAction"},
		"publish":            {"Action=Publish&Version=2010-03-31", nil, "InvalidAction"},
		"no token":           {"Action=ConfirmSubscription&TopicArn=" + topic, nil, "Invalid parameter: Token"},
		"semicolon":          {"Action=Unsubscribe;SubscriptionArn=x", nil, "MalformedQueryString"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := snsapi.ParseForm(tc.body)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseForm: never panics; an accepted body has a known action, that
// action's parameters, and no other Version than SNS's.
func FuzzParseForm(f *testing.F) {
	f.Add(sdkConfirm("abc"))
	f.Add("Action=Unsubscribe&SubscriptionArn=" + topic + ":x&Version=2010-03-31")
	f.Add("Action=ConfirmSubscription&AuthenticateOnUnsubscribe=%zz")
	f.Fuzz(func(t *testing.T, body string) {
		r, err := snsapi.ParseForm(body)
		if err != nil {
			require.Nil(t, r)
			return
		}
		v, err := url.ParseQuery(body)
		require.NoError(t, err)
		if ver, ok := v["Version"]; ok {
			require.Equal(t, []string{snsapi.APIVersion}, ver)
		}
		switch r.Action {
		case snsapi.ActionConfirmSubscription:
			require.True(t, r.TopicArn != "" && r.Token != "", "accepted confirm without its parameters: %q", body)
		case snsapi.ActionUnsubscribe:
			require.NotEmpty(t, r.SubscriptionArn, "accepted unsubscribe without an ARN: %q", body)
		default:
			t.Fatalf("accepted unknown action %q", r.Action)
		}
	})
}

// post serves one request with a captured logger.
func post(t *testing.T, method, contentType, body string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var logs bytes.Buffer
	mux := http.NewServeMux()
	snsapi.Register(mux, snsapi.Options{Domain: domain{}, PublicKeys: keys{}, CertHex: "abcd",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r := httptest.NewRequest(method, "/", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261204/local/sns/aws4_request, SignedHeaders=host, Signature=00")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w, logs.String()
}

// requestID is the RequestId element of an SNS answer, success or error.
func requestID(t *testing.T, body []byte) string {
	t.Helper()
	var doc struct {
		Metadata string `xml:"ResponseMetadata>RequestId"`
		Error    string `xml:"RequestId"`
	}
	require.NoError(t, xml.Unmarshal(body, &doc))
	return doc.Metadata + doc.Error
}

const form = "application/x-www-form-urlencoded; charset=utf-8"

func TestFormActions(t *testing.T) {
	for name, tc := range map[string]struct {
		method, contentType, body string
		status                    int
		contains, log             string
	}{
		"confirm": {"POST", form, sdkConfirm("good"), 200,
			"<SubscriptionArn>" + topic + ":sub</SubscriptionArn>", "outcome=confirmed"},
		"bad token": {"POST", form, sdkConfirm("bad"), 400,
			"<Code>InvalidParameter</Code>", "outcome=InvalidParameter"},
		"internal error hidden": {"POST", form, sdkConfirm("boom"), 500,
			"<Code>InternalError</Code>", "level=ERROR"},
		"unsubscribe": {"POST", form, "Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(topic+":x") + "&Version=2010-03-31", 200,
			"<UnsubscribeResponse", "subscription_arn=" + topic + ":x outcome=unsubscribed"},
		"duplicate token": {"POST", form, sdkConfirm("good") + "&Token=other", 400,
			"Token is given more than once", "outcome=InvalidParameter"},
		"not a form": {"POST", "application/json", `{"Action":"ConfirmSubscription"}`, 400,
			"<Code>MalformedQueryString</Code>", "outcome=MalformedQueryString"},
		"no content type": {"POST", "", sdkConfirm("good"), 400, "<Code>MalformedQueryString</Code>", ""},
		"too large": {"POST", form, sdkConfirm("good") + "&Pad=" + strings.Repeat("x", snsapi.MaxFormBytes), 413,
			"<Code>RequestEntityTooLarge</Code>", "status=413"},
	} {
		t.Run(name, func(t *testing.T) {
			w, logs := post(t, tc.method, tc.contentType, tc.body)
			require.Equal(t, tc.status, w.Code)
			require.Equal(t, "text/xml", w.Header().Get("Content-Type"))
			require.Contains(t, w.Body.String(), tc.contains)
			id := w.Header()[snsapi.HeaderRequestID]
			require.Len(t, id, 1, "x-amzn-RequestId in SNS's spelling")
			require.Equal(t, requestID(t, w.Body.Bytes()), id[0])
			require.Contains(t, logs, "request_id="+id[0])
			require.Contains(t, logs, tc.log)
			require.NotContains(t, logs, "good", "the token is a credential and is never logged")
			require.NotContains(t, w.Body.String(), "exploded")
		})
	}
}

func TestGetAnswersCarryRequestID(t *testing.T) {
	for _, target := range []string{
		"/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=good",
		"/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=bad",
		"/?Action=Nope",
	} {
		w := serve(t, target)
		id := w.Header()[snsapi.HeaderRequestID]
		require.Len(t, id, 1, target)
		require.Equal(t, requestID(t, w.Body.Bytes()), id[0], target)
	}
}

func TestOtherMethodsRefused(t *testing.T) {
	w, _ := post(t, "PUT", form, sdkConfirm("good"))
	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
	require.Contains(t, w.Header().Get("Allow"), "POST")
}
