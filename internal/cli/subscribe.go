package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

// subscriptionFlags are subscribe's and unsubscribe's: which endpoint, which
// URL, and the API credentials (falling back to serve --dev's).
type subscriptionFlags struct {
	clientFlags
	endpoint string
	url      string
	dataDir  string
}

func (f *subscriptionFlags) bind(cmd *cobra.Command) {
	f.clientFlags.bind(cmd.Flags())
	cmd.Flags().StringVar(&f.endpoint, "endpoint", "", "notification endpoint: events, venues, payments, crm, contacts, companies or ari (required)")
	cmd.Flags().StringVar(&f.url, "url", "", "webhook URL (required)")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "./data", "where serve --dev left its credentials, used when --key/--secret are not given")
	_ = cmd.MarkFlagRequired("endpoint")
	_ = cmd.MarkFlagRequired("url")
}

// request builds the client and the endpoints body.
func (f *subscriptionFlags) request() (*ivvyclient.Client, ivvyclient.Endpoints, error) {
	e, ok := catalog.EndpointByName(strings.TrimSuffix(f.endpoint, "Endpoint"))
	if !ok {
		return nil, ivvyclient.Endpoints{}, fmt.Errorf("--endpoint %q: want one of events, venues, payments, crm, contacts, companies, ari", f.endpoint)
	}
	if f.key == "" && f.secret == "" {
		creds, err := app.ReadDevCredentials(f.dataDir)
		if err != nil {
			return nil, ivvyclient.Endpoints{}, fmt.Errorf("--key and --secret are required (no dev credentials in %s: %w)", f.dataDir, err)
		}
		f.key, f.secret = creds.Key, creds.Secret
	}
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
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, e, err := f.request()
			if err != nil {
				return err
			}
			res, err := c.SubscribeToNotifications(cmd.Context(), e)
			if err != nil {
				return err
			}
			fmt.Fprintf(io.Stdout, "subscribed %s to %s; it receives a SubscriptionConfirmation to confirm\n", f.url, f.endpoint)
			return printStatus(io, res)
		},
	}
	f.bind(cmd)
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
				return err
			}
			e2, _ := catalog.EndpointByName(strings.TrimSuffix(f.endpoint, "Endpoint"))
			code := resultOf(res, e2)
			fmt.Fprintf(io.Stdout, "%s: %d (%s)\n", f.endpoint, code, ivvyclient.ResultText(code))
			if code != ivvyclient.ResultSuccess {
				return fmt.Errorf("not unsubscribed: %s", ivvyclient.ResultText(code))
			}
			return nil
		},
	}
	f.bind(cmd)
	bindFlagsToEnv(cmd, io)
	return cmd
}

// printStatus prints the account's endpoints as subscribeToNotifications
// reported them.
func printStatus(io IO, r *ivvyclient.SubscribeResult) error {
	tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENDPOINT\tSUBSCRIBED\tTOPIC")
	for _, row := range []struct {
		name  string
		ok    bool
		topic *string
	}{
		{"events", r.EventsSuccess, r.EventsTopicID}, {"venues", r.VenuesSuccess, r.VenuesTopicID},
		{"payments", r.PaymentsSuccess, r.PaymentsTopicID}, {"crm", r.CRMSuccess, r.CRMTopicID},
		{"contacts", r.ContactsSuccess, r.ContactsTopicID}, {"companies", r.CompaniesSuccess, r.CompaniesTopicID},
		{"ari", r.ARISuccess, r.ARITopicID},
	} {
		fmt.Fprintf(tw, "%s\t%t\t%s\n", row.name, row.ok, deref(row.topic))
	}
	return tw.Flush()
}

func resultOf(r *ivvyclient.UnsubscribeResult, e catalog.Endpoint) int {
	return map[catalog.Endpoint]int{
		catalog.Events: r.EventsResult, catalog.Venues: r.VenuesResult, catalog.Payments: r.PaymentsResult, catalog.CRM: r.CRMResult,
		catalog.Contacts: r.ContactsResult, catalog.Companies: r.CompaniesResult, catalog.ARI: r.ARIResult,
	}[e]
}
