package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
}

func (f *clientFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.apiURL, "api-url", "http://127.0.0.1:8080", "base URL of the server's public listener")
	fs.StringVar(&f.key, "key", "", "iVvy API key")
	fs.StringVar(&f.secret, "secret", "", "iVvy API secret (prefer the environment variable: flags are visible to other local users)")
	fs.StringVar(&f.dialect, "dialect", "js", `signing dialect: "js" (iVvy's JS SDK) or "dotnet" (its .NET SDK)`)
}

// client builds the API client, checking the settings.
func (f *clientFlags) client() (*ivvyclient.Client, error) {
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
				return err
			}
			fmt.Fprintf(io.Stdout, "ack %s (%s dialect, %d ms)\n", ack, f.dialect, time.Since(start).Milliseconds())
			return nil
		},
	}
	f.bind(cmd.Flags())
	bindFlagsToEnv(cmd, io)
	return cmd
}
