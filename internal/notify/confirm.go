package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// ErrInvalidToken is a confirmation token that is unknown or expired.
var ErrInvalidToken = errors.New("Invalid parameter: Token")

// ErrInvalidTopic is a TopicArn that is not an ARN, or not the token's topic.
var ErrInvalidTopic = errors.New("Invalid parameter: Topic")

// ErrInvalidSubscriptionArn is an Unsubscribe without a usable ARN.
var ErrInvalidSubscriptionArn = errors.New("Invalid parameter: SubscriptionArn")

// newToken creates and stores a confirmation token for the subscription
// and returns it; only its hash is stored.
func (s *Service) newToken(ctx context.Context, q store.Queries, subID int64) (string, error) {
	token, err := sns.NewToken(s.Rand)
	if err != nil {
		return "", err
	}
	now := s.Now()
	err = q.TokenCreate(ctx, store.ConfirmationToken{
		TokenHash: hashToken(token), SubscriptionID: subID, ExpiresAt: now.Add(s.settings.TokenTTL), CreatedAt: now,
	})
	return token, err
}

// sendSubscriptionConfirmation queues a signed SubscriptionConfirmation
// with a fresh token to the subscription's URL.
func (s *Service) sendSubscriptionConfirmation(ctx context.Context, q store.Queries, sub *store.Subscription) error {
	token, err := s.newToken(ctx, q, sub.ID)
	if err != nil {
		return err
	}
	p, err := s.confirmationParams(sub.TopicARN, token)
	if err != nil {
		return err
	}
	return s.queueSigned(ctx, q, sub, sns.NewSubscriptionConfirmation(p), nil)
}

// sendUnsubscribeConfirmation queues a signed UnsubscribeConfirmation whose
// SubscribeURL (a fresh token) restores the subscription.
func (s *Service) sendUnsubscribeConfirmation(ctx context.Context, q store.Queries, sub *store.Subscription) error {
	token, err := s.newToken(ctx, q, sub.ID)
	if err != nil {
		return err
	}
	p, err := s.confirmationParams(sub.TopicARN, token)
	if err != nil {
		return err
	}
	return s.queueSigned(ctx, q, sub, sns.NewUnsubscribeConfirmation(p, sub.ARN), nil)
}

func (s *Service) confirmationParams(topicARN, token string) (sns.ConfirmationParams, error) {
	id, err := sns.NewMessageID(s.Rand)
	if err != nil {
		return sns.ConfirmationParams{}, err
	}
	return sns.ConfirmationParams{BaseURL: s.settings.PublicURL, MessageID: id, TopicArn: topicARN, Token: token, Timestamp: s.Now()}, nil
}

// queueSigned signs m and queues its bytes for the subscription.
func (s *Service) queueSigned(ctx context.Context, q store.Queries, sub *store.Subscription, m *sns.Message, eventID *int64) error {
	if err := s.SNS.Sign(m); err != nil {
		return err
	}
	_, err := q.DeliveryCreate(ctx, store.DeliveryCreateParams{
		SubscriptionID: sub.ID, EventID: eventID, MessageID: m.MessageId, MessageType: m.Type,
		Body: m.MarshalSNS(), CreatedAt: s.Now(),
	})
	return err
}

// Confirm confirms the subscription a token was issued for and returns its
// ARN. Confirming again returns the same ARN; a token from an
// UnsubscribeConfirmation restores the subscription.
func (s *Service) Confirm(ctx context.Context, topicARN, token string) (string, error) {
	if !strings.HasPrefix(topicARN, "arn:") || strings.Count(topicARN, ":") != 5 {
		return "", ErrInvalidTopic
	}
	var arn string
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		tok, err := q.TokenGet(ctx, hashToken(token))
		if errors.Is(err, store.ErrNotFound) || (err == nil && !s.Now().Before(tok.ExpiresAt)) {
			return ErrInvalidToken
		}
		if err != nil {
			return err
		}
		sub, err := q.SubscriptionGet(ctx, tok.SubscriptionID)
		if err != nil {
			return err
		}
		if sub.TopicARN != topicARN {
			return ErrInvalidTopic
		}
		if arn, err = s.confirm(ctx, q, sub); err != nil {
			return err
		}
		return tokenStillValid(ctx, q, token)
	})
	return arn, err
}

// tokenStillValid reads the token again after the confirm's write: an
// operator's delete (store.SubscriptionDelete) that committed meanwhile
// deleted it, and must not be undone. (On PostgreSQL the confirm's write
// waits for that delete's commit, and this read sees it.)
func tokenStillValid(ctx context.Context, q store.Queries, token string) error {
	_, err := q.TokenGet(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return ErrInvalidToken
	}
	return err
}

// confirm moves a pending or deleted subscription to confirmed. When a
// deleted one's URL has meanwhile been subscribed again, that live
// subscription's ARN is the answer.
func (s *Service) confirm(ctx context.Context, q store.Queries, sub *store.Subscription) (string, error) {
	if sub.Status == store.SubscriptionConfirmed {
		return sub.ARN, nil
	}
	if sub.Status == store.SubscriptionDeleted {
		if live, err := q.SubscriptionGetLive(ctx, sub.TopicID, sub.URL); err == nil {
			return live.ARN, nil
		}
	}
	confirmed, err := q.SubscriptionSetStatus(ctx, sub.ID, store.SubscriptionConfirmed, s.Now())
	if err != nil {
		return "", fmt.Errorf("notify: confirm %s: %w", sub.ARN, err)
	}
	return confirmed.ARN, nil
}

// UnsubscribeByURL removes a subscription through its UnsubscribeURL and
// sends it an UnsubscribeConfirmation, as SNS does. An unknown or already
// removed subscription is a no-op.
func (s *Service) UnsubscribeByURL(ctx context.Context, subscriptionARN string) error {
	if !strings.HasPrefix(subscriptionARN, "arn:") || strings.Count(subscriptionARN, ":") != 6 {
		return ErrInvalidSubscriptionArn
	}
	return s.Store.InTx(ctx, func(q store.Queries) error {
		sub, err := q.SubscriptionGetByARN(ctx, subscriptionARN)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || sub.Status == store.SubscriptionDeleted {
			return err
		}
		if sub, err = q.SubscriptionSetStatus(ctx, sub.ID, store.SubscriptionDeleted, s.Now()); err != nil {
			return err
		}
		return s.sendUnsubscribeConfirmation(ctx, q, sub)
	})
}
