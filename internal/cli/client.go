package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

// clientFlags are the iVvy API client's connection settings, shared by the
// commands that call a running server's iVvy API.
type clientFlags struct {
	apiURL  string
	key     string
	secret  string
	dialect string
	// dataDir is where serve --dev left its credentials, used when --key
	// and --secret are not given.
	dataDir string
	// devAccount is the dev credentials' account, when they were used.
	devAccount int64
}

func (f *clientFlags) bind(flags *pflag.FlagSet) {
	flags.StringVar(&f.apiURL, "api-url", "http://127.0.0.1:8080", "base URL of the server's public listener")
	flags.StringVar(&f.key, "key", "", "iVvy API key")
	flags.StringVar(&f.secret, "secret", "", "iVvy API secret (prefer the environment variable: flags are visible to other local users)")
	flags.StringVar(&f.dialect, "dialect", "js", `signing dialect: "js" (iVvy's JS SDK) or "dotnet" (its .NET SDK)`)
	flags.StringVar(&f.dataDir, "data-dir", "./data", "where serve --dev left its credentials, used when --key/--secret are not given")
}

// client builds the API client, checking the settings. Without --key and
// --secret it uses the credentials serve --dev left in --data-dir.
func (f *clientFlags) client() (*ivvyclient.Client, error) {
	if f.key == "" && f.secret == "" {
		creds, err := app.ReadDevCredentials(f.dataDir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--key and --secret are required (or %s and %s); without them the credentials of serve --dev are used, but %s has none",
				config.EnvName("key"), config.EnvName("secret"), f.dataDir)
		}
		if err != nil {
			return nil, fmt.Errorf("serve --dev's credentials in %s: %w", f.dataDir, err)
		}
		f.key, f.secret, f.devAccount = creds.Key, creds.Secret, creds.AccountID
	}
	if f.key == "" || f.secret == "" {
		return nil, fmt.Errorf("--key and --secret are required (or %s and %s)",
			config.EnvName("key"), config.EnvName("secret"))
	}
	var d ivvyclient.Dialect
	switch f.dialect {
	case "js":
		d = ivvyclient.DialectJS
	case "dotnet":
		d = ivvyclient.DialectDotNet
	default:
		return nil, fmt.Errorf(`--dialect %q: want "js" or "dotnet"`, f.dialect)
	}
	return ivvyclient.New(f.apiURL, f.key, f.secret, ivvyclient.WithDialect(d)), nil
}

// explain words a failed call: no server at --api-url says so.
func (f *clientFlags) explain(err error) error {
	return server{what: "iVvy API", url: f.apiURL, flag: "api-url"}.unreachable(err)
}

func newPingCmd(io IO) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "ping",
		Short: "Call test?action=ping on a running server with an API key: checks the key, secret and clock",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			start := time.Now()
			ack, err := c.Ping(cmd.Context())
			if err != nil {
				return f.explain(err)
			}
			fmt.Fprintf(io.Stdout, "ack %s (%s dialect, %d ms)\n", ack, f.dialect, time.Since(start).Milliseconds())
			return nil
		},
	}
	f.bind(cmd.Flags())
	bindFlagsToEnv(cmd, io)
	return cmd
}
