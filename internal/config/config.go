// Package config holds ivvy-notify's configuration: one struct with its
// defaults and validation, bound to command-line flags, each of which can
// also be set through an IVVY_NOTIFY_<FLAG> environment variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"
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
	}
}

// BindStorage registers the flags every command that opens the database
// needs.
func (c *Config) BindStorage(fs *pflag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the database and generated secrets")
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
}

// Validate checks every field, naming the flag of the first one wrong.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	for flag, addr := range map[string]string{"--listen": c.Listen, "--admin-listen": c.AdminListen} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want host:port: %v", flag, addr, err))
		}
	}
	if c.Listen == c.AdminListen && !strings.HasSuffix(c.Listen, ":0") {
		errs = append(errs, errors.New("--listen and --admin-listen must differ: the admin API has its own listener"))
	}
	if c.RateLimit < 0 {
		errs = append(errs, errors.New("--rate-limit must be 0 or more"))
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		errs = append(errs, errors.New("--rate-burst must be at least 1"))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("--max-body-bytes must be at least 1024"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("--shutdown-timeout must be positive"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf(`--log-format %q: want "text" or "json"`, c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf(`--log-level %q: want "debug", "info", "warn" or "error"`, c.LogLevel))
	}
	return errors.Join(errs...)
}
