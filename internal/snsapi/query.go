package snsapi

import (
	"net/url"
	"strings"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
)

// Request is a parsed SNS query: the action and its parameters.
type Request struct {
	Action          string
	TopicArn        string
	Token           string
	SubscriptionArn string
	// AuthenticateOnUnsubscribe is ConfirmSubscription's optional flag. It
	// is read and checked, and has no effect: this server has no AWS
	// principals, so an unsubscribe is never restricted to one.
	AuthenticateOnUnsubscribe bool
}

// Actions this handler answers.
const (
	ActionConfirmSubscription = "ConfirmSubscription"
	ActionUnsubscribe         = "Unsubscribe"
)

// APIVersion is the only Version SNS's Query API has.
const APIVersion = "2010-03-31"

// queryError is a query that cannot be carried out, with SNS's code.
type queryError struct{ code, message string }

func (e *queryError) Error() string { return e.code + ": " + e.message }

func invalidParameter(name string) *queryError {
	return &queryError{sns.ErrorCodeInvalidParameter, "Invalid parameter: " + name}
}

// ParseQuery reads an SNS query string (the SubscribeURL and
// UnsubscribeURL form). Values may be raw (ARN colons are not
// percent-encoded in SNS's URLs) or encoded; each parameter must appear at
// most once; parameters this server does not use are ignored, as SNS does.
func ParseQuery(rawQuery string) (*Request, error) {
	return parse(rawQuery)
}

// ParseForm reads an application/x-www-form-urlencoded Query API body, as
// AWS SDKs POST it: the same parameters and rules as ParseQuery, plus
// Version, which may be absent but otherwise must be 2010-03-31.
func ParseForm(body string) (*Request, error) {
	return parse(body)
}

func parse(encoded string) (*Request, error) {
	v, err := url.ParseQuery(encoded)
	if err != nil {
		return nil, &queryError{"MalformedQueryString", "the query string cannot be parsed"}
	}
	for name, values := range v {
		if len(values) > 1 {
			return nil, &queryError{sns.ErrorCodeInvalidParameter, "Invalid parameter: " + name + " is given more than once"}
		}
	}
	if version, ok := v["Version"]; ok && version[0] != APIVersion {
		return nil, &queryError{"InvalidParameterValue", "Version must be " + APIVersion}
	}
	r := &Request{Action: v.Get("Action"), TopicArn: v.Get("TopicArn"), Token: v.Get("Token"), SubscriptionArn: v.Get("SubscriptionArn")}
	switch r.Action {
	case "":
		return nil, &queryError{"MissingAction", "Action is required"}
	case ActionConfirmSubscription:
		if err := r.checkConfirm(v); err != nil {
			return nil, err
		}
		return r, nil
	case ActionUnsubscribe:
		if r.SubscriptionArn == "" {
			return nil, invalidParameter("SubscriptionArn")
		}
		return r, nil
	}
	return nil, &queryError{"InvalidAction", "The action " + r.Action + " is not valid for this endpoint."}
}

// checkConfirm checks ConfirmSubscription's parameters.
func (r *Request) checkConfirm(v url.Values) error {
	if r.TopicArn == "" {
		return invalidParameter("Topic")
	}
	if r.Token == "" {
		return invalidParameter("Token")
	}
	if a, ok := v["AuthenticateOnUnsubscribe"]; ok {
		switch strings.ToLower(a[0]) {
		case "true":
			r.AuthenticateOnUnsubscribe = true
		case "false":
		default:
			return invalidParameter("AuthenticateOnUnsubscribe")
		}
	}
	return nil
}
