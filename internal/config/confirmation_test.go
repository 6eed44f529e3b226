package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

func TestConfirmationRetry(t *testing.T) {
	for name, tc := range map[string]struct {
		value            string
		retries, minWait int
		err              string
	}{
		"default is SNS's": {value: "sns", retries: 3, minWait: 20},
		"empty is SNS's":   {value: " ", retries: 3, minWait: 20},
		"preset":           {value: "default", retries: 38, minWait: 1},
		"json":             {value: `{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":2,"maxDelayTarget":2}}`, retries: 1, minWait: 2},
		"json, no retries": {value: `{"throttlePolicy":{"maxReceivesPerSecond":1}}`, retries: 3, minWait: 20},
		"typo":             {value: "snss", err: "unknown delivery policy preset"},
		"bad json":         {value: `{"healthyRetryPolicy":{"numRetries":-1}}`, err: "numRetries"},
	} {
		t.Run(name, func(t *testing.T) {
			c := config.Default()
			if name != "default is SNS's" {
				c.ConfirmationDeliveryPolicy = tc.value
			}
			r, err := c.ConfirmationRetry()
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.ErrorContains(t, c.Validate(), "--confirmation-delivery-policy")
				return
			}
			require.NoError(t, err)
			require.NoError(t, c.Validate())
			require.Equal(t, tc.retries, r.NumRetries)
			require.Equal(t, tc.minWait, r.MinDelayTarget)
		})
	}
}

func TestConfirmationFlagAndEnv(t *testing.T) {
	c := config.Default()
	fs := bind(&c)
	require.NoError(t, fs.Parse([]string{"--confirmation-delivery-policy", "default"}))
	require.Equal(t, "default", c.ConfirmationDeliveryPolicy)

	c = config.Default()
	fs = bind(&c)
	require.NoError(t, fs.Parse(nil))
	require.NoError(t, config.ApplyEnv(fs, env(map[string]string{"IVVY_NOTIFY_CONFIRMATION_DELIVERY_POLICY": `{"healthyRetryPolicy":{"numRetries":0}}`})))
	r, err := c.ConfirmationRetry()
	require.NoError(t, err)
	require.Zero(t, r.NumRetries)
}

// FuzzConfirmationRetry: any value is either refused by Validate or gives
// a retry policy that validates.
func FuzzConfirmationRetry(f *testing.F) {
	for _, s := range []string{"sns", "default", "", `{"healthyRetryPolicy":{"numRetries":1}}`, `{`, "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c := config.Default()
		c.ConfirmationDeliveryPolicy = v
		r, err := c.ConfirmationRetry()
		if err != nil {
			require.Error(t, c.Validate())
			return
		}
		require.GreaterOrEqual(t, r.NumRetries, 0)
	})
}
