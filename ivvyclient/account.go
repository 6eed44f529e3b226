package ivvyclient

import (
	"context"
	"errors"
)

// Ping calls test?action=ping and returns the server's acknowledgement, its
// current time in iVvy's format, e.g. "2026-11-23 15:04:05 UTC". A nil error
// means the key, secret and clock are all accepted.
func (c *Client) Ping(ctx context.Context) (string, error) {
	var out struct {
		Ack string `json:"ack"`
	}
	if err := c.Call(ctx, "test", "ping", nil, &out); err != nil {
		return "", err
	}
	if out.Ack == "" {
		return "", errors.New("ivvy test?action=ping: response has no ack")
	}
	return out.Ack, nil
}

// Endpoints names the webhook URL to (un)subscribe for each notification
// endpoint of an account. An empty field means "not requested".
type Endpoints struct {
	// Events receives event notifications (eventsEndpoint).
	Events string `json:"eventsEndpoint,omitempty"`
	// Venues receives venue notifications (venuesEndpoint).
	Venues string `json:"venuesEndpoint,omitempty"`
	// Payments receives payment notifications (paymentsEndpoint).
	Payments string `json:"paymentsEndpoint,omitempty"`
	// CRM receives CRM notifications (crmEndpoint).
	CRM string `json:"crmEndpoint,omitempty"`
	// Contacts receives contact notifications (contactsEndpoint).
	Contacts string `json:"contactsEndpoint,omitempty"`
	// Companies receives company notifications (companiesEndpoint).
	Companies string `json:"companiesEndpoint,omitempty"`
	// ARI receives availability, rates and inventory notifications
	// (ariEndpoint).
	ARI string `json:"ariEndpoint,omitempty"`
}

// SubscribeResult is the status of every endpoint of the account after a
// subscribe: {x}Success is true when the account has a subscription
// (pending or confirmed) on that endpoint, and {x}TopicID is then the
// topic's ARN.
type SubscribeResult struct {
	EventsSuccess    bool    `json:"eventsSuccess"`    // an events subscription exists
	EventsTopicID    *string `json:"eventsTopicId"`    // events topic ARN, or nil
	VenuesSuccess    bool    `json:"venuesSuccess"`    // a venues subscription exists
	VenuesTopicID    *string `json:"venuesTopicId"`    // venues topic ARN, or nil
	PaymentsSuccess  bool    `json:"paymentsSuccess"`  // a payments subscription exists
	PaymentsTopicID  *string `json:"paymentsTopicId"`  // payments topic ARN, or nil
	CRMSuccess       bool    `json:"crmSuccess"`       // a CRM subscription exists
	CRMTopicID       *string `json:"crmTopicId"`       // CRM topic ARN, or nil
	ContactsSuccess  bool    `json:"contactsSuccess"`  // a contacts subscription exists
	ContactsTopicID  *string `json:"contactsTopicId"`  // contacts topic ARN, or nil
	CompaniesSuccess bool    `json:"companiesSuccess"` // a companies subscription exists
	CompaniesTopicID *string `json:"companiesTopicId"` // companies topic ARN, or nil
	ARISuccess       bool    `json:"ariSuccess"`       // an ARI subscription exists
	ARITopicID       *string `json:"ariTopicId"`       // ARI topic ARN, or nil
}

// SubscribeToNotifications subscribes the given URLs
// (account?action=subscribeToNotifications). Each new URL receives a
// SubscriptionConfirmation it must confirm before notifications flow.
func (c *Client) SubscribeToNotifications(ctx context.Context, e Endpoints) (*SubscribeResult, error) {
	var out SubscribeResult
	if err := c.Call(ctx, "account", "subscribeToNotifications", e, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Result codes of an unsubscribe, one per endpoint in [UnsubscribeResult].
const (
	// ResultSuccess: unsubscribed; no further notifications.
	ResultSuccess = 1
	// ResultNotRequested: the endpoint was not in the request.
	ResultNotRequested = 2
	// ResultUnknownError: the server failed for another reason.
	ResultUnknownError = 3
	// ResultNotFound: that URL is not subscribed on that endpoint.
	ResultNotFound = 4
	// ResultIncorrectSource: only the API key that subscribed the URL may
	// unsubscribe it.
	ResultIncorrectSource = 5
	// ResultStatusNotConfirmed: pending subscriptions cannot be
	// unsubscribed.
	ResultStatusNotConfirmed = 6
)

// ResultText describes an unsubscribe result code, e.g. "Not Found".
func ResultText(code int) string {
	switch code {
	case ResultSuccess:
		return "Success"
	case ResultNotRequested:
		return "Not Requested"
	case ResultUnknownError:
		return "Unknown Error"
	case ResultNotFound:
		return "Not Found"
	case ResultIncorrectSource:
		return "Incorrect Source"
	case ResultStatusNotConfirmed:
		return "Status Not Confirmed"
	}
	return "Unknown Result"
}

// UnsubscribeResult holds one result code (ResultSuccess …
// ResultStatusNotConfirmed) per endpoint.
type UnsubscribeResult struct {
	EventsResult    int `json:"eventsResult"`    // events endpoint result
	VenuesResult    int `json:"venuesResult"`    // venues endpoint result
	PaymentsResult  int `json:"paymentsResult"`  // payments endpoint result
	CRMResult       int `json:"crmResult"`       // CRM endpoint result
	ContactsResult  int `json:"contactsResult"`  // contacts endpoint result
	CompaniesResult int `json:"companiesResult"` // companies endpoint result
	ARIResult       int `json:"ariResult"`       // ARI endpoint result
}

// UnsubscribeFromNotifications unsubscribes the given URLs
// (account?action=unsubscribeFromNotifications). Only confirmed
// subscriptions created with this client's API key can be unsubscribed; the
// per-endpoint codes say what happened.
func (c *Client) UnsubscribeFromNotifications(ctx context.Context, e Endpoints) (*UnsubscribeResult, error) {
	var out UnsubscribeResult
	if err := c.Call(ctx, "account", "unsubscribeFromNotifications", e, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
