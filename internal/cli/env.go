package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

// envBound marks a command whose flags bindFlagsToEnv made settable from
// the environment.
const envBound = "ivvy-notify/env"

// sharedEnvFlags are the flags that mean the same in every command — where
// the data and the server are, and the credentials to reach it — so one
// IVVY_NOTIFY_<FLAG> variable sets them all.
var sharedEnvFlags = map[string]bool{
	"data-dir": true, "database-url": true, "database-pool-size": true,
	"admin-url": true, "api-url": true, "key": true, "secret": true, "dialect": true,
}

// globalEnvCommands are the commands every flag of which is read from
// IVVY_NOTIFY_<FLAG>: the server's configuration.
var globalEnvCommands = map[string]bool{"serve": true, "migrate": true}

// envNames names the environment variable of every flag of every command
// under root that bindFlagsToEnv bound, and shows it in --help. A shared
// flag, or any flag of serve, reads IVVY_NOTIFY_<FLAG>; every other flag
// is the command's own and reads IVVY_NOTIFY_<COMMAND PATH>_<FLAG> (listen
// --listen: IVVY_NOTIFY_LISTEN_LISTEN), so that serve's IVVY_NOTIFY_LISTEN
// does not move listen's port, nor one command's --json or --since
// another's.
func envNames(root *cobra.Command) {
	walk(root, func(cmd *cobra.Command) {
		if cmd.Annotations[envBound] == "" {
			return
		}
		path := strings.TrimSpace(strings.TrimPrefix(cmd.CommandPath(), root.Name()))
		top := strings.Fields(path)[0]
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Name == "help" {
				return
			}
			name := config.ScopedEnvName(path, f.Name)
			if sharedEnvFlags[f.Name] || globalEnvCommands[top] {
				name = config.EnvName(f.Name)
			}
			config.SetFlagEnv(f, name)
		})
	})
}

// walk calls fn for cmd and every command under it.
func walk(cmd *cobra.Command, fn func(*cobra.Command)) {
	fn(cmd)
	for _, c := range cmd.Commands() {
		walk(c, fn)
	}
}
