package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

// dataCommand builds a subcommand that works on the data directory's
// accounts and keys: directly, holding the directory's lock for its run,
// or through the admin API of the server that holds it (openAccountOps).
// Its flags are the storage flags plus --json.
func dataCommand(io IO, use, short string, args cobra.PositionalArgs,
	fn func(ctx context.Context, ops accountOps, args []string, asJSON bool) error) *cobra.Command {
	cfg := config.Default()
	var asJSON bool
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
			ops, done, err := openAccountOps(cmd.Context(), cfg, io, name)
			if err != nil {
				return err
			}
			defer done()
			return fn(cmd.Context(), ops, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of text")
	bindConfig(cmd, io, &cfg, storage)
	return cmd
}

func newAccountCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Create and list accounts", Long: "Create and list accounts.\n" + throughServerNote}
	cmd.AddCommand(
		dataCommand(io, "create NAME", "Create an account", cobra.ExactArgs(1),
			func(ctx context.Context, ops accountOps, args []string, asJSON bool) error {
				a, err := ops.createAccount(ctx, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(io.Stdout, a)
				}
				fmt.Fprintf(io.Stdout, "created account %s %q\n", a.ID, a.Name)
				return nil
			}),
		dataCommand(io, "list", "List accounts", cobra.NoArgs,
			func(ctx context.Context, ops accountOps, _ []string, asJSON bool) error {
				out, err := ops.accounts(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(io.Stdout, out)
				}
				tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tCREATED")
				for _, a := range out.Accounts {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.Name, a.CreatedAt)
				}
				return tw.Flush()
			}),
	)
	return cmd
}

// throughServerNote tells the account and key commands' users where their
// changes go.
const throughServerNote = "With no server running they open the data directory themselves; while a serve holds it,\n" +
	"they go through its admin API (found in <data-dir>/" + app.LockFile + "; the token from " + config.EnvAdminToken + "\n" +
	"or <data-dir>/admin-token), so that the server sees every change at once."

// parseAccountID reads an --account value.
func parseAccountID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("--account %q: want a positive account id", s)
	}
	return id, nil
}
