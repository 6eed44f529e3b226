package config

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// EnvName returns the environment variable for a flag:
// --admin-listen → IVVY_NOTIFY_ADMIN_LISTEN.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// AnnotateEnv appends "(env IVVY_NOTIFY_X)" to each flag's usage so --help
// shows how to set it from the environment.
func AnnotateEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || strings.Contains(f.Usage, EnvPrefix) {
			return
		}
		f.Usage += " (env " + EnvName(f.Name) + ")"
	})
}

// ApplyEnv sets every flag that was not given on the command line from its
// environment variable, if that is set. lookup is os.LookupEnv in
// production. Flags win over the environment; the environment wins over
// defaults.
func ApplyEnv(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := EnvName(f.Name)
		v, ok := lookup(name)
		if !ok {
			return
		}
		if setErr := fs.Set(f.Name, v); setErr != nil {
			err = fmt.Errorf("%s=%q: %w", name, v, setErr)
		}
	})
	return err
}

// ApplySecretEnv reads the secrets that are only ever taken from the
// environment.
func (c *Config) ApplySecretEnv(lookup func(string) (string, bool)) {
	if v, ok := lookup(EnvMasterKey); ok {
		c.MasterKey = v
	}
	if v, ok := lookup(EnvAdminToken); ok {
		c.AdminToken = v
	}
}
