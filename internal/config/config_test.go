package config_test

import (
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

func bind(c *config.Config) *pflag.FlagSet {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	c.BindStorage(fs)
	c.BindServe(fs)
	return fs
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsValidate(t *testing.T) {
	c := config.Default()
	require.NoError(t, c.Validate())
	require.Equal(t, "127.0.0.1:8080", c.Listen)
	require.Equal(t, "127.0.0.1:8081", c.AdminListen)
	require.Equal(t, "./data", c.DataDir)
}

func TestEnvName(t *testing.T) {
	require.Equal(t, "IVVY_NOTIFY_ADMIN_LISTEN", config.EnvName("admin-listen"))
	require.Equal(t, "IVVY_NOTIFY_DATA_DIR", config.EnvName("data-dir"))
}

func TestApplyEnv(t *testing.T) {
	t.Run("EnvSetsUnsetFlags", func(t *testing.T) {
		c := config.Default()
		fs := bind(&c)
		require.NoError(t, fs.Parse(nil))
		require.NoError(t, config.ApplyEnv(fs, env(map[string]string{
			"IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:9999",
			"IVVY_NOTIFY_RATE_LIMIT":   "5",
		})))
		require.Equal(t, "127.0.0.1:9999", c.AdminListen)
		require.Equal(t, 5.0, c.RateLimit)
	})
	t.Run("FlagBeatsEnv", func(t *testing.T) {
		c := config.Default()
		fs := bind(&c)
		require.NoError(t, fs.Parse([]string{"--admin-listen", "127.0.0.1:7000"}))
		require.NoError(t, config.ApplyEnv(fs, env(map[string]string{"IVVY_NOTIFY_ADMIN_LISTEN": "127.0.0.1:9999"})))
		require.Equal(t, "127.0.0.1:7000", c.AdminListen)
	})
	t.Run("BadEnvValueNamesVariable", func(t *testing.T) {
		c := config.Default()
		fs := bind(&c)
		require.NoError(t, fs.Parse(nil))
		err := config.ApplyEnv(fs, env(map[string]string{"IVVY_NOTIFY_RATE_BURST": "lots"}))
		require.ErrorContains(t, err, "IVVY_NOTIFY_RATE_BURST")
	})
	t.Run("EveryServeFlagIsAnnotated", func(t *testing.T) {
		c := config.Default()
		fs := bind(&c)
		config.AnnotateEnv(fs)
		fs.VisitAll(func(f *pflag.Flag) {
			require.Contains(t, f.Usage, config.EnvName(f.Name))
		})
	})
	t.Run("SecretsOnlyFromEnv", func(t *testing.T) {
		c := config.Default()
		c.ApplySecretEnv(env(map[string]string{"IVVY_NOTIFY_MASTER_KEY": "mk", "IVVY_NOTIFY_ADMIN_TOKEN": "tok"}))
		require.Equal(t, "mk", c.MasterKey)
		require.Equal(t, "tok", c.AdminToken)
	})
}

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func(*config.Config)
		want   string
	}{
		"bad listen":       {func(c *config.Config) { c.Listen = "nonsense" }, "--listen"},
		"same listeners":   {func(c *config.Config) { c.AdminListen = c.Listen }, "must differ"},
		"negative rate":    {func(c *config.Config) { c.RateLimit = -1 }, "--rate-limit"},
		"zero burst":       {func(c *config.Config) { c.RateBurst = 0 }, "--rate-burst"},
		"tiny body":        {func(c *config.Config) { c.MaxBodyBytes = 10 }, "--max-body-bytes"},
		"bad log format":   {func(c *config.Config) { c.LogFormat = "xml" }, "--log-format"},
		"bad log level":    {func(c *config.Config) { c.LogLevel = "loud" }, "--log-level"},
		"empty data dir":   {func(c *config.Config) { c.DataDir = "" }, "--data-dir"},
		"no shutdown time": {func(c *config.Config) { c.ShutdownTimeout = 0 }, "--shutdown-timeout"},
	} {
		t.Run(name, func(t *testing.T) {
			c := config.Default()
			tc.mutate(&c)
			require.ErrorContains(t, c.Validate(), tc.want)
		})
	}
}
