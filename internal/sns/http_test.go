package sns_test

import (
	"encoding/xml"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
)

func TestHeaders(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			m := c.signed(t)
			h := sns.Headers(m, testSubArn)
			want := http.Header{
				"x-amz-sns-message-type": {m.Type},
				"x-amz-sns-message-id":   {m.MessageId},
				"x-amz-sns-topic-arn":    {testTopicArn},
				"Content-Type":           {"text/plain; charset=UTF-8"},
				"User-Agent":             {"Amazon Simple Notification Service Agent"},
			}
			if m.Type != sns.TypeSubscriptionConfirmation {
				want["x-amz-sns-subscription-arn"] = []string{testSubArn}
			}
			require.Equal(t, want, h)
		})
	}
	h := sns.Headers(goldenCases[1].build(), "")
	require.NotContains(t, h, sns.HeaderSubscriptionArn, "no empty subscription ARN header")
}

func TestXML_Golden(t *testing.T) {
	golden(t, "confirm-subscription-response.xml",
		sns.ConfirmSubscriptionResponseXML(testSubArn, "075ecce8-8dac-11e1-bf80-f781d96e9307"))
	golden(t, "unsubscribe-response.xml",
		sns.UnsubscribeResponseXML("6a5d4c3b-2a19-4c8e-9f7b-5e3b0f5c2d1a"))
	golden(t, "error-response.xml",
		sns.ErrorResponseXML(sns.ErrorCodeInvalidParameter, "Invalid parameter: Token", "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"))
}

// xmlError is the shape of an SNS ErrorResponse.
type xmlError struct {
	XMLName xml.Name `xml:"http://sns.amazonaws.com/doc/2010-03-31/ ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ID      string   `xml:"RequestId"`
}

func TestXML_EscapesValues(t *testing.T) {
	msg := `Invalid parameter: <Token> & "more" 'x'`
	var e xmlError
	require.NoError(t, xml.Unmarshal(sns.ErrorResponseXML("InvalidParameter", msg, "r<1>"), &e))
	require.Equal(t, xmlError{XMLName: e.XMLName, Type: "Sender", Code: "InvalidParameter", Message: msg, ID: "r<1>"}, e)

	require.NoError(t, xml.Unmarshal(sns.ErrorResponseXML(sns.ErrorCodeInternal, "oops", "r"), &e))
	require.Equal(t, "Receiver", e.Type)

	var c struct {
		Arn string `xml:"ConfirmSubscriptionResult>SubscriptionArn"`
		ID  string `xml:"ResponseMetadata>RequestId"`
	}
	require.NoError(t, xml.Unmarshal(sns.ConfirmSubscriptionResponseXML("a&b", "<id>"), &c))
	require.Equal(t, "a&b", c.Arn)
	require.Equal(t, "<id>", c.ID)
}
