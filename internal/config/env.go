package config

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Flag annotations that carry a flag's environment variable.
const (
	// envAnnotation is the variable that sets the flag.
	envAnnotation = "ivvy-notify/env"
	// envSetAnnotation is present once ApplyEnv set the flag from it.
	envSetAnnotation = "ivvy-notify/env-set"
)

// EnvName returns the environment variable for a flag:
// --admin-listen → IVVY_NOTIFY_ADMIN_LISTEN.
func EnvName(flag string) string {
	return EnvPrefix + envWord(flag)
}

// ScopedEnvName returns a command's own variable for a flag, named after
// the command's path: ("listen", "listen") → IVVY_NOTIFY_LISTEN_LISTEN,
// ("deadletters list", "since") → IVVY_NOTIFY_DEADLETTERS_LIST_SINCE.
func ScopedEnvName(command, flag string) string {
	return EnvPrefix + envWord(strings.Join(strings.Fields(command), "_")) + "_" + envWord(flag)
}

func envWord(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

// SetFlagEnv makes name the environment variable of f and appends
// "(env NAME)" to its usage so --help shows it; a name set before is
// replaced.
func SetFlagEnv(f *pflag.Flag, name string) {
	if old := FlagEnv(f); f.Annotations[envAnnotation] != nil {
		f.Usage = strings.TrimSuffix(f.Usage, " (env "+old+")")
	}
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[envAnnotation] = []string{name}
	f.Usage += " (env " + name + ")"
}

// FlagEnv returns f's environment variable: the one SetFlagEnv gave it,
// else EnvName(f.Name).
func FlagEnv(f *pflag.Flag) string {
	if v := f.Annotations[envAnnotation]; len(v) == 1 {
		return v[0]
	}
	return EnvName(f.Name)
}

// SetFromEnv returns the variable ApplyEnv set f from, if it did.
func SetFromEnv(f *pflag.Flag) (string, bool) {
	if _, ok := f.Annotations[envSetAnnotation]; ok {
		return FlagEnv(f), true
	}
	return "", false
}

// AnnotateEnv gives each flag of fs without a variable its
// IVVY_NOTIFY_<FLAG> one (see SetFlagEnv).
func AnnotateEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || f.Annotations[envAnnotation] != nil {
			return
		}
		SetFlagEnv(f, EnvName(f.Name))
	})
}

// ApplyEnv sets every flag that was not given on the command line from its
// environment variable (FlagEnv), if that is set. lookup is os.LookupEnv in
// production. Flags win over the environment; the environment wins over
// defaults. A value the flag cannot take is an error naming the variable
// and the form it wants.
func ApplyEnv(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := FlagEnv(f)
		v, ok := lookup(name)
		if !ok {
			return
		}
		if fs.Set(f.Name, v) != nil {
			err = fmt.Errorf("%s=%q (it sets --%s): want %s", name, v, f.Name, ExpectedForm(f))
			return
		}
		if f.Annotations == nil {
			f.Annotations = map[string][]string{}
		}
		f.Annotations[envSetAnnotation] = []string{}
	})
	return err
}

// ExpectedForm describes the values f takes, e.g. "a whole number".
func ExpectedForm(f *pflag.Flag) string {
	t := f.Value.Type()
	switch {
	case t == "bool":
		return "true or false"
	case t == "duration":
		return "a duration such as 90s, 5m or 1h30m"
	case strings.HasPrefix(t, "uint"):
		return "a whole number, 0 or more"
	case strings.HasPrefix(t, "int"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "a " + t + " value"
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
