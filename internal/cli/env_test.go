package cli

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

func testRoot(env map[string]string) *cobra.Command {
	return newRoot(IO{Stdout: io.Discard, Stderr: io.Discard, LookupEnv: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
}

// find returns the command at path under root.
func find(t *testing.T, root *cobra.Command, path string) *cobra.Command {
	t.Helper()
	cmd, rest, err := root.Find(strings.Fields(path))
	require.NoError(t, err)
	require.Empty(t, rest, path)
	return cmd
}

func TestEnvNames(t *testing.T) {
	root := testRoot(nil)
	for _, tc := range []struct{ cmd, flag, env string }{
		{"serve", "listen", "IVVY_NOTIFY_LISTEN"},
		{"serve", "key-base-url", "IVVY_NOTIFY_KEY_BASE_URL"},
		{"serve", "data-dir", "IVVY_NOTIFY_DATA_DIR"},
		{"listen", "listen", "IVVY_NOTIFY_LISTEN_LISTEN"},
		{"listen", "key-base-url", "IVVY_NOTIFY_LISTEN_KEY_BASE_URL"},
		{"listen", "json", "IVVY_NOTIFY_LISTEN_JSON"},
		{"publish", "admin-url", "IVVY_NOTIFY_ADMIN_URL"},
		{"publish", "account", "IVVY_NOTIFY_PUBLISH_ACCOUNT"},
		{"publish", "json", "IVVY_NOTIFY_PUBLISH_JSON"},
		{"deadletters list", "since", "IVVY_NOTIFY_DEADLETTERS_LIST_SINCE"},
		{"deadletters redrive", "since", "IVVY_NOTIFY_DEADLETTERS_REDRIVE_SINCE"},
		{"subscribe", "api-url", "IVVY_NOTIFY_API_URL"},
		{"subscribe", "admin-url", "IVVY_NOTIFY_ADMIN_URL"},
		{"ping", "data-dir", "IVVY_NOTIFY_DATA_DIR"},
		{"key create", "account", "IVVY_NOTIFY_KEY_CREATE_ACCOUNT"},
		{"account list", "data-dir", "IVVY_NOTIFY_DATA_DIR"},
	} {
		f := find(t, root, tc.cmd).Flags().Lookup(tc.flag)
		require.NotNil(t, f, tc)
		require.Equal(t, tc.env, config.FlagEnv(f), tc)
		require.True(t, strings.HasSuffix(f.Usage, "(env "+tc.env+")"), "--help shows it: %q", f.Usage)
	}
}

// TestEnvNamesDoNotCollide checks that no variable sets two different
// flags, and that a variable shared by several commands sets a flag that
// means the same in all of them.
func TestEnvNamesDoNotCollide(t *testing.T) {
	type use struct{ cmd, flag string }
	uses := map[string][]use{}
	walk(testRoot(nil), func(cmd *cobra.Command) {
		if cmd.Annotations[envBound] == "" {
			return
		}
		top := strings.Fields(cmd.CommandPath())[1]
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" {
				uses[config.FlagEnv(f)] = append(uses[config.FlagEnv(f)], use{top, f.Name})
			}
		})
	})
	require.NotEmpty(t, uses)
	for env, list := range uses {
		for _, u := range list[1:] {
			require.Equal(t, list[0].flag, u.flag, "%s sets two flags: %v", env, list)
			if u.cmd != list[0].cmd {
				require.True(t, sharedEnvFlags[u.flag] || globalEnvCommands[u.cmd] && globalEnvCommands[list[0].cmd],
					"%s is read by %v, but --%s is not a shared flag", env, list, u.flag)
			}
		}
	}
}

// TestServeEnvDoesNotMoveListen checks the collision the issue names:
// serve's IVVY_NOTIFY_LISTEN must not change listen's --listen.
func TestServeEnvDoesNotMoveListen(t *testing.T) {
	root := testRoot(map[string]string{"IVVY_NOTIFY_LISTEN": "0.0.0.0:8080", "IVVY_NOTIFY_JSON": "true"})
	listen := find(t, root, "listen")
	require.NoError(t, listen.PreRunE(listen, nil))
	require.Equal(t, "127.0.0.1:9000", listen.Flags().Lookup("listen").Value.String())
	require.Equal(t, "false", listen.Flags().Lookup("json").Value.String())

	root = testRoot(map[string]string{"IVVY_NOTIFY_LISTEN_LISTEN": "127.0.0.1:9100", "IVVY_NOTIFY_LISTEN": "0.0.0.0:8080"})
	listen, serve := find(t, root, "listen"), find(t, root, "serve")
	require.NoError(t, listen.PreRunE(listen, nil))
	require.NoError(t, serve.PreRunE(serve, nil))
	require.Equal(t, "127.0.0.1:9100", listen.Flags().Lookup("listen").Value.String())
	require.Equal(t, "0.0.0.0:8080", serve.Flags().Lookup("listen").Value.String())
}
