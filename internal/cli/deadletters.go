package cli

import (
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/admin"
)

func newDeadLettersCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deadletters",
		Short: "List, inspect and redrive dead letters through a running server's admin API",
		Long: "Deliveries the delivery policy gave up on, or that the receiver refused for good (e.g. 404),\n" +
			"wait in the dead-letter store. Redrive sends the same bytes (same MessageId) again as a fresh\n" +
			"delivery with a fresh policy.",
	}
	cmd.AddCommand(newDeadLettersListCmd(io), newDeadLettersShowCmd(io), newDeadLettersRedriveCmd(io))
	return cmd
}

// adminCommand builds a subcommand talking to the admin API, with --json.
func adminCommand(io IO, use, short string, args cobra.PositionalArgs,
	fn func(f *adminFlags, args []string, asJSON bool) error) (*cobra.Command, *adminFlags) {
	var f adminFlags
	var asJSON bool
	cmd := &cobra.Command{Use: use, Short: short, Args: args,
		RunE: func(_ *cobra.Command, args []string) error { return fn(&f, args, asJSON) }}
	f.bind(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of text")
	bindFlagsToEnv(cmd, io)
	return cmd, &f
}

func newDeadLettersListCmd(io IO) *cobra.Command {
	var subscription, since, until string
	var limit int
	cmd, _ := adminCommand(io, "list", "List dead letters, newest first", cobra.NoArgs,
		func(f *adminFlags, _ []string, asJSON bool) error {
			q := url.Values{}
			setIf(q, "subscription", subscription)
			setIf(q, "since", since)
			setIf(q, "until", until)
			q.Set("limit", strconv.Itoa(limit))
			var out admin.DeliveryList
			if err := f.do(io, "GET", "/v1/deadletters?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, out)
			}
			tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tMESSAGE ID\tATTEMPTS\tDEAD AT\tLAST ERROR")
			for _, d := range out.Deliveries {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.MessageType, d.MessageID, d.Attempts, deref(d.DeadAt), d.LastError)
			}
			return tw.Flush()
		})
	cmd.Flags().StringVar(&subscription, "subscription", "", "only this subscription (ARN or id)")
	cmd.Flags().StringVar(&since, "since", "", "only dead letters created at or after this RFC 3339 time")
	cmd.Flags().StringVar(&until, "until", "", "only dead letters created before this RFC 3339 time")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many")
	return cmd
}

func newDeadLettersShowCmd(io IO) *cobra.Command {
	cmd, _ := adminCommand(io, "show ID", "Show a dead letter: its body and every attempt", cobra.ExactArgs(1),
		func(f *adminFlags, args []string, asJSON bool) error {
			var d admin.DeliveryOut
			if err := f.do(io, "GET", "/v1/deadletters/"+url.PathEscape(args[0]), nil, &d); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, d)
			}
			fmt.Fprintf(io.Stdout, "dead letter %d (%s %s) to %s\n  status: %s, %d attempt(s), last error: %s\n",
				d.ID, d.MessageType, d.MessageID, d.SubscriptionARN, d.Status, d.Attempts, d.LastError)
			for _, a := range d.AttemptLog {
				fmt.Fprintf(io.Stdout, "  attempt %d at %s: %s, HTTP %d, %d ms %s\n", a.Number, a.StartedAt, a.Outcome, a.StatusCode, a.DurationMs, a.Error)
			}
			fmt.Fprintf(io.Stdout, "body:\n%s\n", deref(d.Body))
			return nil
		})
	return cmd
}

func newDeadLettersRedriveCmd(io IO) *cobra.Command {
	var subscription, since, until string
	cmd, _ := adminCommand(io, "redrive [ID]", "Redrive one dead letter, or all of a subscription and/or a time range",
		cobra.MaximumNArgs(1), func(f *adminFlags, args []string, asJSON bool) error {
			var out admin.RedriveOut
			var err error
			if len(args) == 1 {
				err = f.post(io, "/v1/deadletters/"+url.PathEscape(args[0])+"/redrive", struct{}{}, &out)
			} else {
				in, perr := redriveSelection(subscription, since, until)
				if perr != nil {
					return perr
				}
				err = f.post(io, "/v1/deadletters/redrive", in, &out)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, out)
			}
			for _, r := range out.Redriven {
				fmt.Fprintf(io.Stdout, "redrove dead letter %d as delivery %d\n", r.DeadLetter, r.Delivery)
			}
			fmt.Fprintf(io.Stdout, "%d redriven%s\n", len(out.Redriven), map[bool]string{true: "; more remain, run again"}[out.More])
			return nil
		})
	cmd.Flags().StringVar(&subscription, "subscription", "", "redrive every dead letter of this subscription (ARN or id)")
	cmd.Flags().StringVar(&since, "since", "", "redrive dead letters created at or after this RFC 3339 time")
	cmd.Flags().StringVar(&until, "until", "", "redrive dead letters created before this RFC 3339 time")
	return cmd
}

// redriveSelection builds a bulk redrive request from the flags.
func redriveSelection(subscription, since, until string) (admin.RedriveIn, error) {
	in := admin.RedriveIn{Subscription: subscription}
	for _, v := range []struct {
		flag, value string
		dst         **time.Time
	}{{"--since", since, &in.Since}, {"--until", until, &in.Until}} {
		if v.value == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v.value)
		if err != nil {
			return in, fmt.Errorf("%s %q: want an RFC 3339 time", v.flag, v.value)
		}
		*v.dst = &t
	}
	if in.Subscription == "" && in.Since == nil && in.Until == nil {
		return in, fmt.Errorf("give a dead letter ID, or --subscription and/or --since/--until")
	}
	return in, nil
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}
