package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/delivery"
	"github.com/ivvy-notify/ivvy-notify/internal/deliverypolicy"
	"github.com/ivvy-notify/ivvy-notify/internal/metrics"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/snskey"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// Domain is the running domain: the notify service, the SNS identity that
// signs for it, and the delivery engine.
type Domain struct {
	Notify     *notify.Service
	SNS        *snskey.Identity
	Deliveries Runner
	Metrics    *metrics.Metrics
	// ServerPolicy is the server's default delivery policy.
	ServerPolicy *deliverypolicy.Policy
	PublicURL    string
	KeyBaseURL   string
}

// NewDomain builds the domain on a core, for the public base URL given.
func (c *Core) NewDomain(ctx context.Context, publicURL string) (*Domain, error) {
	cfg := c.Config
	cat := catalog.Default()
	if cfg.CatalogFile != "" {
		var err error
		if cat, err = catalog.LoadFile(cfg.CatalogFile, cat); err != nil {
			return nil, fmt.Errorf("--catalog-file: %w", err)
		}
	}
	u, err := url.Parse(publicURL)
	if err != nil {
		return nil, fmt.Errorf("public URL: %w", err)
	}
	id, err := snskey.Load(ctx, c.Store, c.Box, snskey.Options{
		CertFile: cfg.SNSCert, KeyFile: cfg.SNSKey, CommonName: u.Hostname(), Now: time.Now, Rand: rand.Reader,
	})
	if err != nil {
		return nil, err
	}
	policy := webhookurl.Policy{AllowPrivate: cfg.AllowPrivateEndpoints}
	serverPolicy, err := deliverypolicy.ParseFlag(cfg.DeliveryPolicy)
	if err != nil {
		return nil, fmt.Errorf("--delivery-policy: %w", err)
	}
	confirmRetry, err := cfg.ConfirmationRetry()
	if err != nil {
		return nil, fmt.Errorf("--confirmation-delivery-policy: %w", err)
	}
	m := metrics.New(c.Store.DeliveryStats, c.Logger)
	svc := notify.New(notify.Deps{
		Store: c.Store, Accounts: c.Accounts, Catalog: cat,
		SNS:  sns.Signer{Key: id.Key, Version: cfg.SignatureVersion, CertURL: sns.CertURL(publicURL, id.CertHex)},
		URLs: policy, TopicSecret: c.MasterKey.Derive("topic-arn/v1"), Rand: rand.Reader, Logger: c.Logger,
		OnPublished: m.Published,
	}, notify.Settings{
		Partition: cfg.Partition, Region: cfg.Region, Owner: cfg.Owner, PublicURL: publicURL, TokenTTL: cfg.TokenTTL,
	})
	runner, err := c.Store.NewRunner(delivery.Config{
		MaxWorkers: cfg.DeliveryWorkers, MaxInFlight: cfg.MaxInFlight, RequestTimeout: cfg.DeliveryTimeout,
		Policy: policy, Planner: &planner{server: serverPolicy, log: c.Logger}, OnAttempt: m.Attempt,
		Retention: cfg.AttemptRetention, Logger: c.Logger, DirectSends: directSends(cfg.DirectSends),
		OnDirect: m.Direct, ConfirmationRetry: confirmRetry.Delay,
	})
	if err != nil {
		return nil, err
	}
	if d := runner.Direct(); d != nil {
		svc.SetDirect(d)
	}
	return &Domain{Notify: svc, SNS: id, Deliveries: runner, Metrics: m, ServerPolicy: serverPolicy,
		PublicURL: publicURL, KeyBaseURL: cfg.KeyBase(publicURL)}, nil
}

// directSends maps --direct-sends to delivery.Config.DirectSends, where 0
// means the default and a negative number none.
func directSends(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// planner resolves subscriptions' effective delivery policies: the server
// default, overlaid by the account's and then the subscription's override.
type planner struct {
	server *deliverypolicy.Policy
	log    *slog.Logger
}

// Plan implements delivery.Planner. An override that no longer parses
// (it was validated when set) is logged and ignored.
func (p *planner) Plan(sub *store.Subscription) delivery.Plan {
	eff := deliverypolicy.Effective(p.server, p.parse(sub.AccountDeliveryPolicy), p.parse(sub.DeliveryPolicy))
	return delivery.Plan{RetryDelay: eff.Retry().Delay, MaxReceivesPerSecond: eff.MaxReceivesPerSecond()}
}

func (p *planner) parse(b []byte) *deliverypolicy.Policy {
	if b == nil {
		return nil
	}
	pol, err := deliverypolicy.Parse(b, deliverypolicy.SNSLimits)
	if err != nil {
		p.log.Error("stored delivery policy does not parse; using the next level", "err", err)
		return nil
	}
	return pol
}
