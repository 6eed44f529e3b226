package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

// dataCommand builds a subcommand that opens the data directory's store,
// runs fn, and closes it. Its flags are the storage flags plus --json.
func dataCommand(io IO, use, short string, args cobra.PositionalArgs,
	fn func(ctx context.Context, core *app.Core, args []string, asJSON bool) error) *cobra.Command {
	cfg := config.Default()
	var asJSON bool
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			core, err := app.OpenCore(cmd.Context(), cfg, nil)
			if err != nil {
				return err
			}
			defer core.Close()
			return fn(cmd.Context(), core, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of text")
	bindConfig(cmd, io, &cfg, storage)
	return cmd
}

func newAccountCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{Use: "account", Short: "Create and list accounts"}
	cmd.AddCommand(
		dataCommand(io, "create NAME", "Create an account", cobra.ExactArgs(1),
			func(ctx context.Context, core *app.Core, args []string, asJSON bool) error {
				a, err := core.Accounts.CreateAccount(ctx, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(io.Stdout, admin.AccountView(a))
				}
				fmt.Fprintf(io.Stdout, "created account %d %q\n", a.ID, a.Name)
				return nil
			}),
		dataCommand(io, "list", "List accounts", cobra.NoArgs,
			func(ctx context.Context, core *app.Core, _ []string, asJSON bool) error {
				list, err := core.Accounts.Accounts(ctx)
				if err != nil {
					return err
				}
				out := admin.AccountList{Accounts: []admin.Account{}}
				for _, a := range list {
					out.Accounts = append(out.Accounts, admin.AccountView(a))
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

// parseAccountID reads an --account value.
func parseAccountID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("--account %q: want a positive account id", s)
	}
	return id, nil
}
