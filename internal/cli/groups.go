package cli

import "github.com/spf13/cobra"

// newSubscriptionsCmd is the group of commands on subscriptions, through
// a running server's admin API.
func newSubscriptionsCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subscriptions",
		Short: "Manage subscriptions through a running server's admin API",
	}
	cmd.AddCommand(newSubscriptionsDeleteCmd(io))
	return cmd
}

// newDeliveriesCmd is the group of commands on deliveries, through a
// running server's admin API.
func newDeliveriesCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "Manage deliveries through a running server's admin API",
	}
	cmd.AddCommand(newDeliveriesCancelCmd(io))
	return cmd
}
