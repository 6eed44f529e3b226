package cli

import "github.com/spf13/cobra"

// newSubscriptionsCmd is the "subscriptions" group: operator views and
// controls of subscriptions through a running server's admin API.
func newSubscriptionsCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subscriptions",
		Short: "List and delete subscriptions through a running server's admin API",
	}
	cmd.AddCommand(newSubscriptionsListCmd(io), newSubscriptionsDeleteCmd(io))
	return cmd
}

// newDeliveriesCmd is the "deliveries" group: operator views and controls
// of deliveries through a running server's admin API.
func newDeliveriesCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deliveries",
		Short: "List, inspect and cancel deliveries through a running server's admin API",
	}
	cmd.AddCommand(newDeliveriesListCmd(io), newDeliveriesShowCmd(io), newDeliveriesCancelCmd(io))
	return cmd
}
