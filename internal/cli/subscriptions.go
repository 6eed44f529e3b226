package cli

import (
	"fmt"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
)

func newSubscriptionsListCmd(io IO) *cobra.Command {
	var account string
	cmd, _ := adminCommand(io, "list", "List subscriptions, deleted ones included, of one account or all", cobra.NoArgs,
		func(f *adminFlags, _ []string, asJSON bool) error {
			q := url.Values{}
			if account != "" {
				id, err := parseAccountID(account)
				if err != nil {
					return err
				}
				q.Set("account", fmt.Sprint(id))
			}
			var out admin.SubscriptionViewList
			if err := f.do(io, "GET", "/v1/subscriptions?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, out)
			}
			if len(out.Subscriptions) == 0 {
				fmt.Fprintln(io.Stdout, "no subscriptions")
				return nil
			}
			tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tACCOUNT\tENDPOINT\tSTATE\tPAUSED\tURL\tARN")
			for _, s := range out.Subscriptions {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%t\t%s\t%s\n", s.ID, s.AccountID, s.Endpoint, s.Status, s.Paused, s.URL, s.ARN)
			}
			return tw.Flush()
		})
	cmd.Flags().StringVar(&account, "account", "", "only this account's subscriptions (default: every account's)")
	return cmd
}
