package cli

import (
	"fmt"
	"net/url"
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
	var filters deliveryFilters
	cmd, _ := adminCommand(io, "list", "List dead letters, newest first", cobra.NoArgs,
		func(f *adminFlags, _ []string, asJSON bool) error {
			q, err := filters.query()
			if err != nil {
				return err
			}
			var out admin.DeliveryList
			if err := f.do(io, "GET", "/v1/deadletters?"+q, nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, out)
			}
			if len(out.Deliveries) == 0 {
				fmt.Fprintln(io.Stdout, "no dead letters")
				return nil
			}
			tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tACCOUNT\tSUBJECT\tATTEMPTS\tDEAD AT\tURL\tLAST ERROR")
			for _, d := range out.Deliveries {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.AccountID, subjectText(d), d.Attempts,
					deref(d.DeadAt), d.URL, d.LastError)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if out.NextBefore != nil {
				fmt.Fprintf(io.Stdout, "more: --before %d\n", *out.NextBefore)
			}
			return nil
		})
	filters.bind(cmd, "dead letters", false)
	return cmd
}

func newDeadLettersShowCmd(io IO) *cobra.Command {
	cmd, _ := adminCommand(io, "show ID", "Show a dead letter: who it is for, its body and every attempt", cobra.ExactArgs(1),
		func(f *adminFlags, args []string, asJSON bool) error {
			var d admin.DeliveryOut
			if err := f.do(io, "GET", "/v1/deadletters/"+url.PathEscape(args[0]), nil, &d); err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, d)
			}
			printDelivery(io, "dead letter", d)
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
	cmd.Flags().StringVar(&since, "since", "", "redrive dead letters created at or after this time: RFC 3339, or an age such as 30m, 1h, 2d")
	cmd.Flags().StringVar(&until, "until", "", "redrive dead letters created before this time: RFC 3339, or an age such as 30m, 1h, 2d")
	return cmd
}

// redriveSelection builds a bulk redrive request from the flags.
func redriveSelection(subscription, since, until string) (admin.RedriveIn, error) {
	in := admin.RedriveIn{Subscription: subscription}
	now := time.Now()
	for _, v := range []struct {
		flag, value string
		dst         **time.Time
	}{{"--since", since, &in.Since}, {"--until", until, &in.Until}} {
		if v.value == "" {
			continue
		}
		t, err := parseTimeFlag(v.flag, v.value, now)
		if err != nil {
			return in, err
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
