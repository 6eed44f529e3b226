package sns

import (
	"bytes"
	"encoding/xml"
	"net/http"
)

// Header names and values SNS sends with every message (SNS.md §3.2).
const (
	HeaderMessageType     = "x-amz-sns-message-type"
	HeaderMessageID       = "x-amz-sns-message-id"
	HeaderTopicArn        = "x-amz-sns-topic-arn"
	HeaderSubscriptionArn = "x-amz-sns-subscription-arn"
	// ContentType is the Content-Type of every message body.
	ContentType = "text/plain; charset=UTF-8"
	// UserAgent is the User-Agent SNS sends.
	UserAgent = "Amazon Simple Notification Service Agent"
)

// Headers returns the HTTP headers SNS sends with m (SNS.md §3.2). The
// x-amz-sns-* names are stored as map keys in SNS's lowercase spelling (not
// canonicalised), so net/http writes them lowercase. h.Get canonicalises
// the name it looks up and will not find them: read h[HeaderMessageType].
// x-amz-sns-subscription-arn is left out on a SubscriptionConfirmation, as
// SNS does, and whenever subscriptionArn is empty.
func Headers(m *Message, subscriptionArn string) http.Header {
	h := http.Header{
		HeaderMessageType: {m.Type},
		HeaderMessageID:   {m.MessageId},
		HeaderTopicArn:    {m.TopicArn},
	}
	if m.Type != TypeSubscriptionConfirmation && subscriptionArn != "" {
		h[HeaderSubscriptionArn] = []string{subscriptionArn}
	}
	h.Set("Content-Type", ContentType)
	h.Set("User-Agent", UserAgent)
	return h
}

// XMLNamespace is the namespace of SNS's query API responses.
const XMLNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// ConfirmSubscriptionResponseXML is the 200 answer to a SubscribeURL GET
// (SNS.md §5.2).
func ConfirmSubscriptionResponseXML(subscriptionArn, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(`<ConfirmSubscriptionResponse xmlns="` + XMLNamespace + `">` + "\n")
	b.WriteString("  <ConfirmSubscriptionResult>\n")
	element(&b, "    ", "SubscriptionArn", subscriptionArn)
	b.WriteString("  </ConfirmSubscriptionResult>\n")
	responseMetadata(&b, requestID)
	b.WriteString("</ConfirmSubscriptionResponse>\n")
	return b.Bytes()
}

// UnsubscribeResponseXML is the 200 answer to an UnsubscribeURL GET.
func UnsubscribeResponseXML(requestID string) []byte {
	var b bytes.Buffer
	b.WriteString(`<UnsubscribeResponse xmlns="` + XMLNamespace + `">` + "\n")
	responseMetadata(&b, requestID)
	b.WriteString("</UnsubscribeResponse>\n")
	return b.Bytes()
}

// Error codes SNS uses in ErrorResponse (sent with HTTP 400, or 500 for
// ErrorCodeInternal).
const (
	ErrorCodeInvalidParameter = "InvalidParameter"
	ErrorCodeNotFound         = "NotFound"
	ErrorCodeInternal         = "InternalError"
)

// ErrorResponseXML is an SNS error answer, e.g.
// ErrorResponseXML(ErrorCodeInvalidParameter, "Invalid parameter: Token", id).
// The error Type is "Receiver" for ErrorCodeInternal (a server fault) and
// "Sender" for every other code.
func ErrorResponseXML(code, message, requestID string) []byte {
	typ := "Sender"
	if code == ErrorCodeInternal {
		typ = "Receiver"
	}
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse xmlns="` + XMLNamespace + `">` + "\n")
	b.WriteString("  <Error>\n")
	element(&b, "    ", "Type", typ)
	element(&b, "    ", "Code", code)
	element(&b, "    ", "Message", message)
	b.WriteString("  </Error>\n")
	element(&b, "  ", "RequestId", requestID)
	b.WriteString("</ErrorResponse>\n")
	return b.Bytes()
}

// responseMetadata writes the ResponseMetadata block of a success answer.
func responseMetadata(b *bytes.Buffer, requestID string) {
	b.WriteString("  <ResponseMetadata>\n")
	element(b, "    ", "RequestId", requestID)
	b.WriteString("  </ResponseMetadata>\n")
}

// element writes indent<name>escaped text</name> and a newline.
func element(b *bytes.Buffer, indent, name, text string) {
	b.WriteString(indent + "<" + name + ">")
	_ = xml.EscapeText(b, []byte(text)) // writes to a bytes.Buffer never fail
	b.WriteString("</" + name + ">\n")
}
