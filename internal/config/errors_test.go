package config_test

import (
	"errors"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

func TestValidateNamesTheVariable(t *testing.T) {
	c := config.Default()
	fs := bind(&c)
	config.AnnotateEnv(fs)
	require.NoError(t, fs.Parse([]string{"--log-level", "loud"}))
	require.NoError(t, config.ApplyEnv(fs, env(map[string]string{
		"IVVY_NOTIFY_LOG_FORMAT": "xml", "IVVY_NOTIFY_OWNER": "12", "IVVY_NOTIFY_RATE_BURST": "0",
	})))
	err := config.NameSources(c.Validate(), fs)
	require.EqualError(t, err, `IVVY_NOTIFY_RATE_BURST="0" (it sets --rate-burst): want at least 1`+"\n"+
		`IVVY_NOTIFY_LOG_FORMAT="xml" (it sets --log-format): want "text" or "json"`+"\n"+
		`--log-level "loud": want "debug", "info", "warn" or "error"`+"\n"+
		`IVVY_NOTIFY_OWNER="12" (it sets --owner): want 12 digits`)
	var fe *config.FlagError
	require.True(t, errors.As(err, &fe), "the rewritten errors still unwrap to *FlagError")
	require.NoError(t, config.NameSources(nil, fs))
	plain := errors.New("x")
	require.Same(t, plain, config.NameSources(plain, fs))
}

func TestScopedEnvName(t *testing.T) {
	require.Equal(t, "IVVY_NOTIFY_LISTEN_LISTEN", config.ScopedEnvName("listen", "listen"))
	require.Equal(t, "IVVY_NOTIFY_DEADLETTERS_LIST_SINCE", config.ScopedEnvName("deadletters list", "since"))
	require.Equal(t, "IVVY_NOTIFY_KEY_CREATE_USER_ID", config.ScopedEnvName("key  create", "user-id"))
}

func TestSetFlagEnvReplaces(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("listen", "", "address")
	config.AnnotateEnv(fs)
	f := fs.Lookup("listen")
	require.Equal(t, "address (env IVVY_NOTIFY_LISTEN)", f.Usage)
	config.SetFlagEnv(f, "IVVY_NOTIFY_LISTEN_LISTEN")
	require.Equal(t, "address (env IVVY_NOTIFY_LISTEN_LISTEN)", f.Usage)
	require.Equal(t, "IVVY_NOTIFY_LISTEN_LISTEN", config.FlagEnv(f))
	require.NoError(t, config.ApplyEnv(fs, env(map[string]string{"IVVY_NOTIFY_LISTEN": "a:1"})))
	require.Equal(t, "", f.Value.String(), "the old name no longer applies")
	_, set := config.SetFromEnv(f)
	require.False(t, set)
	require.NoError(t, config.ApplyEnv(fs, env(map[string]string{"IVVY_NOTIFY_LISTEN_LISTEN": "b:2"})))
	require.Equal(t, "b:2", f.Value.String())
	name, set := config.SetFromEnv(f)
	require.True(t, set)
	require.Equal(t, "IVVY_NOTIFY_LISTEN_LISTEN", name)
}

func TestApplyEnvSaysTheForm(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Int("n", 0, "")
	fs.Bool("b", false, "")
	fs.Duration("d", 0, "")
	fs.Float64("f", 0, "")
	fs.Uint("u", 0, "")
	for name, want := range map[string]string{
		"N": `IVVY_NOTIFY_N="x" (it sets --n): want a whole number`,
		"B": `IVVY_NOTIFY_B="x" (it sets --b): want true or false`,
		"D": `IVVY_NOTIFY_D="x" (it sets --d): want a duration such as 90s, 5m or 1h30m`,
		"F": `IVVY_NOTIFY_F="x" (it sets --f): want a number`,
		"U": `IVVY_NOTIFY_U="x" (it sets --u): want a whole number, 0 or more`,
	} {
		require.EqualError(t, config.ApplyEnv(fs, env(map[string]string{"IVVY_NOTIFY_" + name: "x"})), want)
	}
}
