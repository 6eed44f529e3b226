// Package cli is ivvy-notify's command line: cobra commands over the app
// package. main only handles signals and calls Run.
package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

// IO is the process environment a command runs in.
type IO struct {
	Stdout, Stderr io.Writer
	// LookupEnv reads environment variables; os.LookupEnv in production.
	LookupEnv func(string) (string, bool)
}

// Run executes the command line args and returns the exit code.
func Run(ctx context.Context, args []string, io IO) int {
	if io.LookupEnv == nil {
		io.LookupEnv = os.LookupEnv
	}
	root := newRoot(io)
	root.SetArgs(args)
	root.SetOut(io.Stdout)
	root.SetErr(io.Stderr)
	if cmd, err := root.ExecuteContextC(ctx); err != nil {
		fmt.Fprintln(io.Stderr, "error:", explain(cmd, err))
		return 1
	}
	return 0
}

func newRoot(io IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "ivvy-notify",
		Short: "Self-hostable iVvy account notifications, byte-compatible with Amazon SNS delivery",
		Long: "ivvy-notify serves iVvy's notification API: integrators subscribe webhook URLs,\n" +
			"confirm them, and receive signed notifications exactly as iVvy sends them through Amazon SNS.\n\n" +
			"Every flag can also be set from the environment; each command's --help names the variable:\n" +
			"IVVY_NOTIFY_<FLAG> for serve's flags and for those that mean the same everywhere (--data-dir,\n" +
			"--database-url, --api-url, --admin-url, --key, --secret, --dialect), and\n" +
			"IVVY_NOTIFY_<COMMAND>_<FLAG> for a command's own (listen --listen: IVVY_NOTIFY_LISTEN_LISTEN).",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(io), newMigrateCmd(io), newAccountCmd(io), newKeyCmd(io), newPingCmd(io), newSubscribeCmd(io), newUnsubscribeCmd(io), newPublishCmd(io),
		newDeadLettersCmd(io), newListenCmd(io), newVersionCmd(io), newBenchCmd(io))
	root.AddCommand(newSubscriptionsCmd(io), newDeliveriesCmd(io), newSubjectsCmd(io))
	root.SetFlagErrorFunc(flagError)
	root.Version = versionText()
	root.SetVersionTemplate("{{.Version}}")
	envNames(root)
	groupsRefuseUnknown(root)
	return root
}

// bindConfig gives cmd the flags of cfg chosen by bind, annotates each with
// its environment variable, and applies the environment before running.
func bindConfig(cmd *cobra.Command, io IO, cfg *config.Config, binds ...func(*config.Config, *pflag.FlagSet)) {
	for _, b := range binds {
		b(cfg, cmd.Flags())
	}
	bindFlagsToEnv(cmd, io)
	cmd.PreRunE = chain(cmd.PreRunE, func(*cobra.Command, []string) error {
		cfg.ApplySecretEnv(io.LookupEnv)
		return nil
	})
}

// bindFlagsToEnv makes cmd's flags settable from the environment: before
// cmd runs, each flag not given is set from its variable (envNames names
// them, once the command tree is built).
func bindFlagsToEnv(cmd *cobra.Command, io IO) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[envBound] = "true"
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		return config.ApplyEnv(cmd.Flags(), io.LookupEnv)
	}
}

// chain runs first, then next.
func chain(first, next func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := first(cmd, args); err != nil {
			return err
		}
		return next(cmd, args)
	}
}

// storage and serve are the flag groups commands choose from.
func storage(c *config.Config, fs *pflag.FlagSet) { c.BindStorage(fs) }
func serve(c *config.Config, fs *pflag.FlagSet) {
	c.BindStorage(fs)
	c.BindServe(fs)
}

// newLogger builds the structured logger the configuration asks for.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
