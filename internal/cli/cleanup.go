package cli

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
)

func newSubscriptionsDeleteCmd(io IO) *cobra.Command {
	cmd, _ := adminCommand(io, "delete ARN", "Delete a subscription in any state and cancel its pending deliveries",
		cobra.ExactArgs(1), func(f *adminFlags, args []string, asJSON bool) error {
			var out admin.DeletedSubscriptionOut
			if err := f.do(io, "DELETE", "/v1/subscriptions/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, out)
			}
			fmt.Fprintln(io.Stdout, deletedText(out))
			return nil
		})
	cmd.Long = "Deletes a subscription, pending or confirmed, for good: it gets no more notifications, its pending\n" +
		"deliveries (a SubscriptionConfirmation still being retried, say) are cancelled, not dead-lettered,\n" +
		"and its SubscribeURL no longer confirms it. Nothing is sent to its endpoint. Subscribing the URL\n" +
		"again makes a new subscription."
	cmd.Example = "  ivvy-notify subscriptions delete arn:aws:sns:local:000000000000:iVvy_Account_1_…_NotifCompanies:0b4f…"
	return cmd
}

// deletedText says what a delete did.
func deletedText(out admin.DeletedSubscriptionOut) string {
	what := fmt.Sprintf("deleted subscription %s (was %s)", out.ARN, out.PreviousStatus)
	if out.PreviousStatus == "Deleted" {
		what = fmt.Sprintf("subscription %s was already deleted", out.ARN)
	}
	n := out.CancelledDeliveries
	return fmt.Sprintf("%s; %d pending deliver%s cancelled", what, n, plural(n, "y", "ies"))
}

func newDeliveriesCancelCmd(io IO) *cobra.Command {
	cmd, _ := adminCommand(io, "cancel ID", "Cancel one pending delivery: it is not sent again, and not dead-lettered",
		cobra.ExactArgs(1), func(f *adminFlags, args []string, asJSON bool) error {
			var d admin.DeliveryOut
			if err := f.post(io, "/v1/deliveries/"+url.PathEscape(args[0])+"/cancel", struct{}{}, &d); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, d)
			}
			fmt.Fprintf(io.Stdout, "cancelled delivery %d (%s %s to %s) after %d attempt(s); it will not be sent again\n",
				d.ID, d.MessageType, d.MessageID, d.SubscriptionARN, d.Attempts)
			return nil
		})
	cmd.Example = "  ivvy-notify deliveries cancel 42"
	return cmd
}
