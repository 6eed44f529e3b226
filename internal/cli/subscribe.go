package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

// subscriptionFlags are subscribe's and unsubscribe's: which endpoint, which
// URL, the API credentials (falling back to serve --dev's) and --json.
type subscriptionFlags struct {
	clientFlags
	endpoint string
	url      string
	adminURL string
	asJSON   bool
	// e is --endpoint, parsed by request.
	e catalog.Endpoint
}

func (f *subscriptionFlags) bind(cmd *cobra.Command) {
	f.clientFlags.bind(cmd.Flags())
	cmd.Flags().StringVar(&f.endpoint, "endpoint", "", "notification endpoint: events, venues, payments, crm, contacts, companies or ari (required)")
	cmd.Flags().StringVar(&f.url, "url", "", "webhook URL (required)")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the outcome as JSON")
	_ = cmd.MarkFlagRequired("endpoint")
	_ = cmd.MarkFlagRequired("url")
}

// request builds the client and the endpoints body.
func (f *subscriptionFlags) request() (*ivvyclient.Client, ivvyclient.Endpoints, error) {
	e, ok := catalog.EndpointByName(strings.TrimSuffix(f.endpoint, "Endpoint"))
	if !ok {
		return nil, ivvyclient.Endpoints{}, fmt.Errorf("--endpoint %q: want one of events, venues, payments, crm, contacts, companies, ari", f.endpoint)
	}
	f.e = e
	c, err := f.client()
	if err != nil {
		return nil, ivvyclient.Endpoints{}, err
	}
	return c, endpoints(e, f.url), nil
}

// endpoints puts url under one endpoint.
func endpoints(e catalog.Endpoint, url string) ivvyclient.Endpoints {
	var out ivvyclient.Endpoints
	*map[catalog.Endpoint]*string{
		catalog.Events: &out.Events, catalog.Venues: &out.Venues, catalog.Payments: &out.Payments, catalog.CRM: &out.CRM,
		catalog.Contacts: &out.Contacts, catalog.Companies: &out.Companies, catalog.ARI: &out.ARI,
	}[e] = url
	return out
}

func newSubscribeCmd(io IO) *cobra.Command {
	var f subscriptionFlags
	cmd := &cobra.Command{
		Use:   "subscribe",
		Short: "Subscribe a webhook URL to a notification endpoint through the iVvy API (subscribeToNotifications)",
		Long: "subscribe calls the iVvy API's subscribeToNotifications. A new URL starts PendingConfirmation:\n" +
			"it receives a SubscriptionConfirmation and is subscribed once it visits its SubscribeURL. With the\n" +
			"admin token at hand (IVVY_NOTIFY_ADMIN_TOKEN or --data-dir) subscribe reads the subscription's\n" +
			"state from the admin API (--admin-url) and shows it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, e, err := f.request()
			if err != nil {
				return err
			}
			res, err := c.SubscribeToNotifications(cmd.Context(), e)
			if err != nil {
				return f.explain(err)
			}
			return f.report(io, res)
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&f.adminURL, "admin-url", "http://127.0.0.1:8081", "base URL of the server's admin listener, read for the subscription's state")
	bindFlagsToEnv(cmd, io)
	return cmd
}

func newUnsubscribeCmd(io IO) *cobra.Command {
	var f subscriptionFlags
	cmd := &cobra.Command{
		Use:   "unsubscribe",
		Short: "Unsubscribe a webhook URL from a notification endpoint through the iVvy API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, e, err := f.request()
			if err != nil {
				return err
			}
			res, err := c.UnsubscribeFromNotifications(cmd.Context(), e)
			if err != nil {
				return f.explain(err)
			}
			code := resultOf(res, f.e)
			if f.asJSON {
				if err := printJSON(io.Stdout, unsubscribeOut{Endpoint: f.e.Name(), URL: f.url, Result: code, ResultText: ivvyclient.ResultText(code)}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(io.Stdout, "%s: %d (%s)\n", f.endpoint, code, ivvyclient.ResultText(code))
			}
			if code != ivvyclient.ResultSuccess {
				return fmt.Errorf("not unsubscribed: %s%s", ivvyclient.ResultText(code), unsubscribeHints[code])
			}
			return nil
		},
	}
	f.bind(cmd)
	bindFlagsToEnv(cmd, io)
	return cmd
}

// unsubscribeHints say what an unsubscribe result means for the user.
var unsubscribeHints = map[int]string{
	ivvyclient.ResultNotFound:        " (no live subscription of that URL on that endpoint for this account)",
	ivvyclient.ResultIncorrectSource: " (only the API key that subscribed the URL may unsubscribe it; give --key/--secret of that key)",
	ivvyclient.ResultStatusNotConfirmed: " (the subscription is still pending confirmation, and the iVvy API unsubscribes only confirmed ones;" +
		" the operator can delete it through the admin API)",
}

// unsubscribeOut is unsubscribe --json's answer.
type unsubscribeOut struct {
	Endpoint   string `json:"endpoint"`
	URL        string `json:"url"`
	Result     int    `json:"result"`
	ResultText string `json:"resultText"`
}

// printStatus prints the account's endpoints as subscribeToNotifications
// reported them: whether each has a live (pending or confirmed)
// subscription, and its topic.
func printStatus(io IO, r *ivvyclient.SubscribeResult) error {
	tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tSUBSCRIPTIONS\tTOPIC")
	for _, row := range statusRows(r) {
		live := "none"
		if row.ok {
			live = "pending or confirmed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", row.e.Name(), live, deref(row.topic))
	}
	return tw.Flush()
}

// statusRow is one endpoint of a subscribe answer.
type statusRow struct {
	e     catalog.Endpoint
	ok    bool
	topic *string
}

func statusRows(r *ivvyclient.SubscribeResult) []statusRow {
	return []statusRow{
		{catalog.Events, r.EventsSuccess, r.EventsTopicID}, {catalog.Venues, r.VenuesSuccess, r.VenuesTopicID},
		{catalog.Payments, r.PaymentsSuccess, r.PaymentsTopicID}, {catalog.CRM, r.CRMSuccess, r.CRMTopicID},
		{catalog.Contacts, r.ContactsSuccess, r.ContactsTopicID}, {catalog.Companies, r.CompaniesSuccess, r.CompaniesTopicID},
		{catalog.ARI, r.ARISuccess, r.ARITopicID},
	}
}

func resultOf(r *ivvyclient.UnsubscribeResult, e catalog.Endpoint) int {
	return map[catalog.Endpoint]int{
		catalog.Events: r.EventsResult, catalog.Venues: r.VenuesResult, catalog.Payments: r.PaymentsResult, catalog.CRM: r.CRMResult,
		catalog.Contacts: r.ContactsResult, catalog.Companies: r.CompaniesResult, catalog.ARI: r.ARIResult,
	}[e]
}
