// Package notify is the domain of ivvy-notify: topics and their ARNs, the
// subscribe/unsubscribe rules of the iVvy API, the SNS confirmation
// handshake, and publishing events as signed SNS notifications.
//
// Every operation that changes state does so in one store transaction,
// including the queue jobs of the deliveries it causes.
package notify

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// Settings are the deployment facts the wire formats carry.
type Settings struct {
	// Partition, Region and Owner make up ARNs:
	// arn:{partition}:sns:{region}:{owner}:… (defaults aws, local, 000000000000).
	Partition, Region, Owner string
	// PublicURL is the base of SubscribeURL, UnsubscribeURL and
	// SigningCertURL.
	PublicURL string
	// TokenTTL is how long a confirmation token stays valid (3 days).
	TokenTTL time.Duration
}

// Deps are the Service's collaborators.
type Deps struct {
	Store    store.Store
	Accounts *accounts.Service
	Catalog  *catalog.Catalog
	// SNS signs every SNS message.
	SNS sns.Signer
	// URLs decides which webhook URLs may be subscribed.
	URLs webhookurl.Policy
	// TopicSecret keys the unguessable part of topic ARNs.
	TopicSecret []byte
	Now         func() time.Time
	Rand        io.Reader
	Logger      *slog.Logger
	// OnPublished, when set, observes each publish's new events and
	// deliveries (metrics).
	OnPublished func(events, deliveries int)
}

// Service carries out the domain operations.
type Service struct {
	Deps
	settings Settings
	direct   DirectSender
}

// DirectSender sends deliveries' first attempts right after their publish
// commits, without waiting for the job queue (package delivery's Direct).
type DirectSender interface {
	// Reserve claims room for up to n sends: how many, and until when
	// their deliveries are held (store.DeliveryCreateParams.HoldUntil).
	Reserve(n int) (int, time.Time)
	// Send starts the sends of the committed deliveries that are held and
	// ends the reservation; ds is nil when the publish failed.
	Send(ds []*store.Delivery, reserved int)
}

// SetDirect makes publishes send their deliveries' first attempts
// through d. Without it the job queue makes every attempt.
func (s *Service) SetDirect(d DirectSender) { s.direct = d }

// New returns a Service.
func New(d Deps, s Settings) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Service{Deps: d, settings: s}
}

// Catalog returns the subjects catalog in use.
func (s *Service) Catalog() *catalog.Catalog { return s.Deps.Catalog }

// TopicARN is the ARN of the account's topic for an endpoint:
// arn:{partition}:sns:{region}:{owner}:iVvy_Account_{id}_{40 hex}_Notif{Suffix},
// where the 40 hex digits are an HMAC-SHA1 of the account id under the
// server's topic secret: stable, and unguessable without it.
func (s *Service) TopicARN(accountID int64, e catalog.Endpoint) string {
	mac := hmac.New(sha1.New, s.TopicSecret)
	mac.Write([]byte(strconv.FormatInt(accountID, 10)))
	return "arn:" + s.settings.Partition + ":sns:" + s.settings.Region + ":" + s.settings.Owner +
		":iVvy_Account_" + strconv.FormatInt(accountID, 10) + "_" + hex.EncodeToString(mac.Sum(nil)) +
		"_Notif" + e.TopicSuffix()
}

// subscriptionARN is the topic ARN + ":" + a random UUID.
func (s *Service) subscriptionARN(topicARN string) (string, error) {
	id, err := sns.NewMessageID(s.Rand)
	if err != nil {
		return "", err
	}
	return topicARN + ":" + id, nil
}

// hashToken is how tokens are stored: a database leak reveals none.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
