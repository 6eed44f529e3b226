package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
)

// deliveryFilters are the flags of a delivery listing, as GET
// /v1/deliveries's query parameters.
type deliveryFilters struct {
	subscription, account, status, since, until string
	before                                      int64
	limit                                       int
}

// bind adds the filter flags; status says whether --status is one.
func (d *deliveryFilters) bind(cmd *cobra.Command, what string, status bool) {
	fs := cmd.Flags()
	fs.StringVar(&d.subscription, "subscription", "", "only this subscription (ARN or id)")
	fs.StringVar(&d.account, "account", "", "only this account's "+what)
	if status {
		fs.StringVar(&d.status, "status", "", "only this status: pending, delivered, cancelled, dead or redriven")
	}
	fs.StringVar(&d.since, "since", "", what+" created at or after this time: RFC 3339, or an age such as 30m, 1h, 2d")
	fs.StringVar(&d.until, "until", "", what+" created before this time: RFC 3339, or an age such as 30m, 1h, 2d")
	fs.Int64Var(&d.before, "before", 0, "only ids below this one (the next page: a listing's last id)")
	fs.IntVar(&d.limit, "limit", 100, "at most this many (1 to 1000)")
}

// query is the filters as query parameters.
func (d *deliveryFilters) query() (string, error) {
	q := url.Values{}
	setIf(q, "subscription", d.subscription)
	if d.account != "" {
		id, err := parseAccountID(d.account)
		if err != nil {
			return "", err
		}
		q.Set("account", strconv.FormatInt(id, 10))
	}
	setIf(q, "status", d.status)
	for _, v := range []struct{ flag, value, param string }{{"--since", d.since, "since"}, {"--until", d.until, "until"}} {
		t, err := timeFlagValue(v.flag, v.value)
		if err != nil {
			return "", err
		}
		setIf(q, v.param, t)
	}
	if d.before != 0 {
		q.Set("before", strconv.FormatInt(d.before, 10))
	}
	q.Set("limit", strconv.Itoa(d.limit))
	return q.Encode(), nil
}

func newDeliveriesListCmd(io IO) *cobra.Command {
	var filters deliveryFilters
	cmd, _ := adminCommand(io, "list", "List deliveries, newest first", cobra.NoArgs,
		func(f *adminFlags, _ []string, asJSON bool) error {
			q, err := filters.query()
			if err != nil {
				return err
			}
			var out admin.DeliveryList
			if err := f.do(io, "GET", "/v1/deliveries?"+q, nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, out)
			}
			if len(out.Deliveries) == 0 {
				fmt.Fprintln(io.Stdout, "no deliveries")
				return nil
			}
			tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tACCOUNT\tSUBJECT\tATTEMPTS\tNEXT ATTEMPT\tCREATED\tURL")
			for _, d := range out.Deliveries {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.Status, d.AccountID, subjectText(d),
					d.Attempts, deref(d.NextAttemptAt), d.CreatedAt, d.URL)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if out.NextBefore != nil {
				fmt.Fprintf(io.Stdout, "more: --before %d\n", *out.NextBefore)
			}
			return nil
		})
	filters.bind(cmd, "deliveries", true)
	return cmd
}

func newDeliveriesShowCmd(io IO) *cobra.Command {
	cmd, _ := adminCommand(io, "show ID", "Show a delivery: who it is for, its body and every attempt", cobra.ExactArgs(1),
		func(f *adminFlags, args []string, asJSON bool) error {
			var d admin.DeliveryOut
			if err := f.do(io, "GET", "/v1/deliveries/"+url.PathEscape(args[0]), nil, &d); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, d)
			}
			printDelivery(io, "delivery", d)
			return nil
		})
	return cmd
}

// subjectText is a delivery's subject, or its message type in brackets
// for a message without one (a SubscriptionConfirmation).
func subjectText(d admin.DeliveryOut) string {
	if d.Subject != nil {
		return *d.Subject
	}
	return "(" + d.MessageType + ")"
}

// printDelivery prints a single delivery's view: what, to whom, its state,
// every attempt, and its body pretty-printed.
func printDelivery(io IO, what string, d admin.DeliveryOut) {
	w := io.Stdout
	label := d.MessageType
	if d.Subject != nil {
		label += " " + *d.Subject
	}
	fmt.Fprintf(w, "%s %d: %s (MessageId %s)\n", what, d.ID, label, d.MessageID)
	fmt.Fprintf(w, "  account:      %s\n  subscription: %d %s\n  url:          %s\n",
		d.AccountID, d.SubscriptionID, d.SubscriptionARN, d.URL)
	fmt.Fprintf(w, "  status:       %s, %d attempt(s)", d.Status, d.Attempts)
	if d.NextAttemptAt != nil {
		fmt.Fprintf(w, ", next attempt at %s", *d.NextAttemptAt)
		if d.SubscriptionPaused {
			fmt.Fprint(w, " (subscription paused: waits for a resume)")
		}
	}
	fmt.Fprintln(w)
	if d.LastError != "" {
		fmt.Fprintf(w, "  last error:   %s\n", d.LastError)
	}
	if d.RedrivenFrom != nil {
		fmt.Fprintf(w, "  redrives dead letter %d\n", *d.RedrivenFrom)
	}
	for _, a := range d.AttemptLog {
		fmt.Fprintln(w, attemptLine(a))
	}
	fmt.Fprintf(w, "body:\n%s\n", prettyBody(deref(d.Body)))
}

// attemptLine is one attempt of an attempt log: "no response" when there
// was no HTTP status.
func attemptLine(a admin.AttemptOut) string {
	status := "no response"
	if a.StatusCode != 0 {
		status = "HTTP " + strconv.Itoa(a.StatusCode)
	}
	line := fmt.Sprintf("  attempt %d at %s: %s, %s, %d ms", a.Number, a.StartedAt, a.Outcome, status, a.DurationMs)
	if a.Error != "" {
		line += ": " + a.Error
	}
	return line
}

// prettyBody indents a JSON body; anything else is printed as it is.
func prettyBody(body string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(body), "", "  ") != nil {
		return body
	}
	return b.String()
}
