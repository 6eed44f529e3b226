package cli

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

// pendingNote is what a pending subscription waits for.
const pendingNote = "it receives a SubscriptionConfirmation and is subscribed once it visits SubscribeURL"

// subscribeOut is subscribe --json's answer.
type subscribeOut struct {
	Endpoint string `json:"endpoint"`
	URL      string `json:"url"`
	TopicARN string `json:"topicArn"`
	// Status is PendingConfirmation or Confirmed, or "" when it could not
	// be read (StatusUnknown says why).
	Status          string                      `json:"status"`
	StatusUnknown   string                      `json:"statusUnknown,omitempty"`
	SubscriptionARN string                      `json:"subscriptionArn,omitempty"`
	Result          *ivvyclient.SubscribeResult `json:"result"`
}

// report prints what subscribe did: the subscription's state, read from
// the admin API when the admin token is at hand, and the account's
// endpoints.
func (f *subscriptionFlags) report(io IO, res *ivvyclient.SubscribeResult) error {
	out := subscribeOut{Endpoint: f.e.Name(), URL: f.url, Result: res}
	for _, row := range statusRows(res) {
		if row.e == f.e {
			out.TopicARN = deref(row.topic)
		}
	}
	sub, err := f.subscription(io, out.TopicARN)
	if err != nil {
		out.StatusUnknown = err.Error()
	} else {
		out.Status, out.SubscriptionARN = sub.Status, sub.ARN
	}
	if f.asJSON {
		return printJSON(io.Stdout, out)
	}
	switch out.Status {
	case string(store.SubscriptionPending):
		fmt.Fprintf(io.Stdout, "subscribed %s to %s: %s\n  %s\n", f.url, f.endpoint, out.Status, pendingNote)
	case string(store.SubscriptionConfirmed):
		fmt.Fprintf(io.Stdout, "subscribed %s to %s: %s; notifications flow\n", f.url, f.endpoint, out.Status)
	default:
		fmt.Fprintf(io.Stdout, "subscribed %s to %s: pending unless it was confirmed before: %s\n  (state not read: %s)\n",
			f.url, f.endpoint, pendingNote, out.StatusUnknown)
	}
	if out.SubscriptionARN != "" {
		fmt.Fprintf(io.Stdout, "  subscription: %s\n", out.SubscriptionARN)
	}
	return printStatus(io, res)
}

// topicAccount reads the account id out of an ivvy-notify topic ARN.
var topicAccount = regexp.MustCompile(`:iVvy_Account_([0-9]+)_[0-9a-f]+_Notif[A-Za-z]+$`)

// subscription finds the live subscription of --url on topic through the
// admin API. The account is the dev credentials' or the topic's.
func (f *subscriptionFlags) subscription(io IO, topic string) (*admin.SubscriptionOut, error) {
	account := f.devAccount
	if m := topicAccount.FindStringSubmatch(topic); account == 0 && m != nil {
		account, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if account == 0 {
		return nil, fmt.Errorf("topic %q names no account", topic)
	}
	a := adminFlags{adminURL: f.adminURL, dataDir: f.dataDir}
	var list admin.SubscriptionsOut
	if err := a.do(io, "GET", fmt.Sprintf("/v1/accounts/%d/subscriptions", account), nil, &list); err != nil {
		return nil, err
	}
	want := storedURL(f.url)
	for _, t := range list.Topics {
		if t.ARN != topic {
			continue
		}
		for i, s := range t.Subscriptions {
			if s.DeletedAt == nil && (s.URL == want || s.URL == maskedURL(want)) {
				return &t.Subscriptions[i], nil
			}
		}
	}
	return nil, fmt.Errorf("the admin API lists no live subscription of %s on %s", f.url, topic)
}

// storedURL is raw as the server keeps it.
func storedURL(raw string) string {
	if u, err := webhookurl.Parse(raw); err == nil {
		return u.String()
	}
	return raw
}

// maskedURL is raw as the admin API lists it: a password masked.
func maskedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
