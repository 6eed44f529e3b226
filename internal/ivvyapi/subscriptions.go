package ivvyapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
)

// Subscriptions is what the account namespace needs from the domain.
type Subscriptions interface {
	Subscribe(ctx context.Context, c notify.Caller, req notify.Request) (notify.Status, error)
	Unsubscribe(ctx context.Context, c notify.Caller, req notify.Request) (map[catalog.Endpoint]int, error)
}

// RegisterSubscriptions adds account?action=subscribeToNotifications and
// account?action=unsubscribeFromNotifications.
func (h *Handler) RegisterSubscriptions(s Subscriptions) {
	h.Register("account", "subscribeToNotifications", func(ctx context.Context, c *Caller, body []byte) (any, error) {
		req, caller, err := subscriptionRequest(c, body)
		if err != nil {
			return nil, err
		}
		status, err := s.Subscribe(ctx, caller, req)
		if err != nil {
			return nil, domainError(err)
		}
		return statusJSON(status), nil
	})
	h.Register("account", "unsubscribeFromNotifications", func(ctx context.Context, c *Caller, body []byte) (any, error) {
		req, caller, err := subscriptionRequest(c, body)
		if err != nil {
			return nil, err
		}
		results, err := s.Unsubscribe(ctx, caller, req)
		if err != nil {
			return nil, domainError(err)
		}
		return resultsJSON(results), nil
	})
}

// subscriptionRequest checks permission first (a key that may not manage
// subscriptions learns nothing about the body), then parses the body.
func subscriptionRequest(c *Caller, body []byte) (notify.Request, notify.Caller, error) {
	caller := notify.Caller{AccountID: c.Key.AccountID, Key: c.Key.Key, MayManage: c.MayManageSubscriptions()}
	if !caller.MayManage {
		return nil, caller, NotAllowed("only account-level API keys and the primary user's keys may manage subscriptions")
	}
	req, err := notify.ParseRequest(body)
	if err != nil {
		return nil, caller, domainError(err)
	}
	return req, caller, nil
}

// domainError maps the domain's errors to iVvy errors.
func domainError(err error) error {
	var ie *notify.InputError
	switch {
	case errors.As(err, &ie):
		return NotValidated(ie.Param, ie.Reason)
	case errors.Is(err, notify.ErrNotAllowed):
		return NotAllowed(err.Error())
	}
	return err
}

// statusJSON renders the full status in iVvy's key order:
// {"eventsSuccess":…,"eventsTopicId":…, …, "ariSuccess":…,"ariTopicId":…}.
func statusJSON(st notify.Status) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range catalog.Endpoints() {
		if i > 0 {
			b.WriteByte(',')
		}
		arn, ok := st[e]
		topic := []byte("null")
		if ok {
			topic, _ = json.Marshal(*arn)
		}
		b.WriteString(strconv.Quote(e.SuccessKey()) + ":" + strconv.FormatBool(ok) + "," +
			strconv.Quote(e.TopicIDKey()) + ":" + string(topic))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// resultsJSON renders one result per endpoint in iVvy's key order.
func resultsJSON(results map[catalog.Endpoint]int) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range catalog.Endpoints() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(e.ResultKey()) + ":" + strconv.Itoa(results[e]))
	}
	b.WriteByte('}')
	return b.Bytes()
}
