// Package config holds ivvy-notify's configuration: one struct with its
// defaults and validation, bound to command-line flags, each of which can
// also be set through an IVVY_NOTIFY_<FLAG> environment variable.
package config

import (
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ivvy-notify/ivvy-notify/internal/deliverypolicy"
)

// EnvPrefix prefixes every environment variable the server reads.
const EnvPrefix = "IVVY_NOTIFY_"

// Environment variables that are deliberately not flags: secrets do not
// belong on a command line, where any local user can read them.
const (
	EnvMasterKey  = EnvPrefix + "MASTER_KEY"
	EnvAdminToken = EnvPrefix + "ADMIN_TOKEN"
)

// Config is the whole configuration of one ivvy-notify node.
type Config struct {
	// DataDir holds the SQLite database and generated secrets. Default "./data".
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…) instead of the embedded
	// SQLite database. Default "".
	DatabaseURL string
	// DatabasePoolSize caps PostgreSQL connections per node, the store and
	// the delivery engine together. Default 20.
	DatabasePoolSize int
	// Listen is the public listener's address (iVvy API, SNS endpoints).
	// Default "127.0.0.1:8080".
	Listen string
	// AdminListen is the admin API's address. Default "127.0.0.1:8081".
	AdminListen string
	// RateLimit is each API key's sustained request rate, per second.
	// Default 20; 0 disables rate limiting.
	RateLimit float64
	// RateBurst is each API key's burst allowance. Default 40.
	RateBurst int
	// MaxBodyBytes caps iVvy API request bodies. Default 1 MiB.
	MaxBodyBytes int64
	// ShutdownTimeout bounds a graceful shutdown. Default 15s.
	ShutdownTimeout time.Duration
	// LogFormat is "text" or "json". Default "text".
	LogFormat string
	// LogLevel is "debug", "info", "warn" or "error". Default "info".
	LogLevel string

	// PublicURL is the base of every URL handed out (SubscribeURL,
	// UnsubscribeURL, SigningCertURL). Default: derived from Listen.
	PublicURL string
	// KeyBaseURL is where receivers fetch accounts' public keys:
	// {KeyBaseURL}{SigningPublicKeyPath}. Default "{PublicURL}/keys".
	KeyBaseURL string
	// Partition, Region and Owner make up ARNs. Defaults "aws", "local",
	// "000000000000". Region is also the iVvy message's Region.
	Partition, Region, Owner string
	// SignatureVersion of SNS messages: "1" (SHA1withRSA) or "2"
	// (SHA256withRSA). Default "1".
	SignatureVersion string
	// SNSCert and SNSKey are PEM files of the SNS signing certificate and
	// key; empty means generated on first start and kept in the database.
	SNSCert, SNSKey string
	// TLSCert and TLSKey make the public listener serve HTTPS.
	TLSCert, TLSKey string
	// AllowPrivateEndpoints lets webhook URLs reach loopback and private
	// addresses (local testing). Default false.
	AllowPrivateEndpoints bool
	// TokenTTL is how long a subscription confirmation token is valid.
	// Default 72h, as SNS.
	TokenTTL time.Duration
	// CatalogFile is a JSON file of extra subjects; empty for none.
	CatalogFile string
	// DeliveryTimeout bounds one delivery attempt. Default 15s, as SNS.
	DeliveryTimeout time.Duration
	// DeliveryWorkers is how many deliveries run at once. Default 50.
	DeliveryWorkers int
	// DeliveryPolicy is the server's default delivery policy: a preset
	// name ("default", "sns") or SNS-schema JSON. Default "default".
	DeliveryPolicy string
	// ConfirmationDeliveryPolicy is the retry policy of confirmation
	// messages (SubscriptionConfirmation, UnsubscribeConfirmation), in
	// place of the server's, account's and subscription's: the same
	// forms as DeliveryPolicy, of which only healthyRetryPolicy is used.
	// Default "sns" (3 retries 20 s apart).
	ConfirmationDeliveryPolicy string
	// MaxInFlight is each subscription's limit of requests in flight.
	// Default 8.
	MaxInFlight int
	// DirectSends is how many first attempts may be sent at once straight
	// after their publish commits, without waiting for the job queue; 0
	// sends every attempt through the queue. Default 512.
	DirectSends int
	// Dev is local-development mode: private endpoints allowed, and a dev
	// account and API key created once and printed. Default false.
	Dev bool
	// AttemptRetention is how long the attempt log keeps attempts.
	// Default 720h (30 days).
	AttemptRetention time.Duration

	// MasterKey is the master key as text, from IVVY_NOTIFY_MASTER_KEY
	// only; empty means <DataDir>/master.key.
	MasterKey string
	// AdminToken is the admin bearer token, from IVVY_NOTIFY_ADMIN_TOKEN
	// only; empty means <DataDir>/admin-token.
	AdminToken string
}

// Default returns the configuration with every default filled in.
func Default() Config {
	return Config{
		DataDir:         "./data",
		Listen:          "127.0.0.1:8080",
		AdminListen:     "127.0.0.1:8081",
		RateLimit:       20,
		RateBurst:       40,
		MaxBodyBytes:    1 << 20,
		ShutdownTimeout: 15 * time.Second,
		LogFormat:       "text",
		LogLevel:        "info",

		DatabasePoolSize: 20,
		Partition:        "aws",
		Region:           "local",
		Owner:            "000000000000",
		SignatureVersion: "1",
		TokenTTL:         72 * time.Hour,
		DeliveryTimeout:  15 * time.Second,
		DeliveryWorkers:  50,
		DeliveryPolicy:   "default",
		MaxInFlight:      8,
		DirectSends:      512,
		AttemptRetention: 30 * 24 * time.Hour,

		ConfirmationDeliveryPolicy: "sns",
	}
}

// BindStorage registers the flags every command that opens the database
// needs.
func (c *Config) BindStorage(fs *pflag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the database and generated secrets")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "PostgreSQL URL (postgres://…) to use instead of the embedded SQLite database")
	fs.IntVar(&c.DatabasePoolSize, "database-pool-size", c.DatabasePoolSize, "PostgreSQL connections per node, the store and the delivery engine together")
}

// BindServe registers the serve command's own flags.
func (c *Config) BindServe(fs *pflag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "public listener address (iVvy API, SNS endpoints)")
	fs.StringVar(&c.AdminListen, "admin-listen", c.AdminListen, "admin API listener address")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "iVvy API requests per second allowed per API key (0 = unlimited)")
	fs.IntVar(&c.RateBurst, "rate-burst", c.RateBurst, "iVvy API request burst allowed per API key")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest iVvy API request body accepted, in bytes")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "how long a graceful shutdown may take")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, `log format: "text" or "json"`)
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, `log level: "debug", "info", "warn" or "error"`)
	fs.BoolVar(&c.Dev, "dev", c.Dev, "local development: allow private endpoints, create a dev account and API key, print them")
	c.bindWire(fs)
	c.bindDelivery(fs)
}

// bindWire registers the flags that shape what receivers see.
func (c *Config) bindWire(fs *pflag.FlagSet) {
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "base URL receivers reach the public listener at (default: derived from --listen)")
	fs.StringVar(&c.KeyBaseURL, "key-base-url", c.KeyBaseURL, "base URL of accounts' public keys, the receiver's SIGNING_BASE_PATH (default: {public-url}/keys)")
	fs.StringVar(&c.Partition, "partition", c.Partition, "ARN partition")
	fs.StringVar(&c.Region, "region", c.Region, "region in ARNs and in iVvy messages")
	fs.StringVar(&c.Owner, "owner", c.Owner, "12-digit account number in ARNs")
	fs.StringVar(&c.SignatureVersion, "signature-version", c.SignatureVersion, `SNS SignatureVersion: "1" (SHA1withRSA) or "2" (SHA256withRSA)`)
	fs.StringVar(&c.SNSCert, "sns-cert", c.SNSCert, "PEM certificate of the SNS signing key (default: generated and kept in the database)")
	fs.StringVar(&c.SNSKey, "sns-key", c.SNSKey, "PEM private key that signs SNS messages (with --sns-cert)")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate: serve the public listener over HTTPS")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key for --tls-cert")
	fs.StringVar(&c.CatalogFile, "catalog-file", c.CatalogFile, "JSON file of extra notification subjects (see docs/catalog.md)")
	fs.DurationVar(&c.TokenTTL, "token-ttl", c.TokenTTL, "how long a subscription confirmation token stays valid")
}

// bindDelivery registers the delivery engine's flags.
func (c *Config) bindDelivery(fs *pflag.FlagSet) {
	fs.BoolVar(&c.AllowPrivateEndpoints, "allow-private-endpoints", c.AllowPrivateEndpoints, "allow webhook URLs on loopback and private addresses (for local testing)")
	fs.DurationVar(&c.DeliveryTimeout, "delivery-timeout", c.DeliveryTimeout, "timeout of one delivery attempt")
	fs.IntVar(&c.DeliveryWorkers, "delivery-workers", c.DeliveryWorkers, "deliveries in flight at once, across all subscriptions")
	fs.StringVar(&c.DeliveryPolicy, "delivery-policy", c.DeliveryPolicy, `default delivery policy: "default" (survives a 24 h outage), "sns" (SNS's own: 3 retries 20 s apart), or SNS-schema JSON`)
	fs.StringVar(&c.ConfirmationDeliveryPolicy, "confirmation-delivery-policy", c.ConfirmationDeliveryPolicy, `retries of SubscriptionConfirmation and UnsubscribeConfirmation messages, whatever the account's or subscription's policy: "sns" (3 retries 20 s apart), "default", or SNS-schema JSON (its healthyRetryPolicy)`)
	fs.IntVar(&c.MaxInFlight, "max-in-flight", c.MaxInFlight, "requests in flight per subscription, so one slow endpoint cannot hold every worker")
	fs.IntVar(&c.DirectSends, "direct-sends", c.DirectSends, "first attempts sent at once straight after their publish commits, without waiting for the job queue (0: all through the queue)")
	fs.DurationVar(&c.AttemptRetention, "attempt-retention", c.AttemptRetention, "how long delivery attempts are kept in the attempt log")
}

// Validate checks every field, naming the flag of the first one wrong.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, flagErr("data-dir", c.DataDir, "a directory"))
	}
	for _, l := range []struct{ flag, addr string }{{"listen", c.Listen}, {"admin-listen", c.AdminListen}} {
		if _, _, err := net.SplitHostPort(l.addr); err != nil {
			errs = append(errs, flagErr(l.flag, l.addr, "host:port, e.g. 127.0.0.1:8080 or :8080"))
		}
	}
	if c.Listen == c.AdminListen && !strings.HasSuffix(c.Listen, ":0") {
		errs = append(errs, errors.New("--listen and --admin-listen must differ: the admin API has its own listener"))
	}
	if c.RateLimit < 0 {
		errs = append(errs, flagErr("rate-limit", c.RateLimit, "requests per second, 0 or more (0: unlimited)"))
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		errs = append(errs, flagErr("rate-burst", c.RateBurst, "at least 1"))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, flagErr("max-body-bytes", c.MaxBodyBytes, "at least 1024 (bytes)"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, flagErr("shutdown-timeout", c.ShutdownTimeout, "a positive duration such as 15s"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, flagErr("log-format", c.LogFormat, `"text" or "json"`))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, flagErr("log-level", c.LogLevel, `"debug", "info", "warn" or "error"`))
	}
	errs = append(errs, c.validateWire()...)
	return errors.Join(errs...)
}

// validateWire checks the wire-format and delivery settings.
func (c *Config) validateWire() []error {
	var errs []error
	for _, v := range []struct{ flag, u string }{{"public-url", c.PublicURL}, {"key-base-url", c.KeyBaseURL}} {
		if v.u == "" {
			continue
		}
		if p, err := url.Parse(v.u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" {
			errs = append(errs, flagErr(v.flag, v.u, "an absolute http(s) URL without a query"))
		}
	}
	if c.SignatureVersion != "1" && c.SignatureVersion != "2" {
		errs = append(errs, flagErr("signature-version", c.SignatureVersion, `"1" or "2"`))
	}
	if (c.SNSCert == "") != (c.SNSKey == "") {
		errs = append(errs, errors.New("--sns-cert and --sns-key go together"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	for _, v := range []struct{ flag, value string }{{"partition", c.Partition}, {"region", c.Region}} {
		if !arnPart.MatchString(v.value) {
			errs = append(errs, flagErr(v.flag, v.value, "1 to 64 lowercase letters, digits and dashes"))
		}
	}
	if !ownerPattern.MatchString(c.Owner) {
		errs = append(errs, flagErr("owner", c.Owner, "12 digits"))
	}
	if c.TokenTTL < time.Minute {
		errs = append(errs, flagErr("token-ttl", c.TokenTTL, "at least 1m"))
	}
	return append(errs, c.validateDelivery()...)
}

// validateDelivery checks the delivery engine's and the database's settings.
func (c *Config) validateDelivery() []error {
	var errs []error
	if c.DeliveryTimeout <= 0 {
		errs = append(errs, flagErr("delivery-timeout", c.DeliveryTimeout, "a positive duration such as 15s"))
	}
	if c.DeliveryWorkers < 1 {
		errs = append(errs, flagErr("delivery-workers", c.DeliveryWorkers, "at least 1"))
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, flagErr("max-in-flight", c.MaxInFlight, "at least 1"))
	}
	if c.DirectSends < 0 || c.DirectSends > 100_000 {
		errs = append(errs, flagErr("direct-sends", c.DirectSends, "0 to 100000"))
	}
	if _, err := deliverypolicy.ParseFlag(c.DeliveryPolicy); err != nil {
		errs = append(errs, &FlagError{Flag: "delivery-policy", Value: c.DeliveryPolicy, Reason: err.Error()})
	}
	if _, err := c.ConfirmationRetry(); err != nil {
		errs = append(errs, &FlagError{Flag: "confirmation-delivery-policy", Value: c.ConfirmationDeliveryPolicy, Reason: err.Error()})
	}
	if c.DatabasePoolSize < 1 {
		errs = append(errs, flagErr("database-pool-size", c.DatabasePoolSize, "at least 1"))
	}
	if c.AttemptRetention < time.Hour {
		errs = append(errs, flagErr("attempt-retention", c.AttemptRetention, "at least 1h"))
	}
	return errs
}

var (
	arnPart      = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	ownerPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// PublicBase returns PublicURL, or the URL derived from the public
// listener's bound address: https when TLS is on, and "localhost" for an
// unspecified host (set --public-url when receivers are elsewhere).
func (c *Config) PublicBase(boundAddr string) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(boundAddr)
	if err != nil {
		return scheme + "://" + boundAddr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// KeyBase returns KeyBaseURL, or {public}/keys.
func (c *Config) KeyBase(publicBase string) string {
	if c.KeyBaseURL != "" {
		return strings.TrimRight(c.KeyBaseURL, "/")
	}
	return publicBase + "/keys"
}
