package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ivvy-notify/ivvy-notify/internal/config"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// server names one of the running server's listeners a command talks to,
// and how the user points the command at it.
type server struct {
	// what is the listener's name in messages, e.g. "admin API".
	what string
	// url is the base URL the command tried.
	url string
	// flag sets url, e.g. "admin-url"; its environment variable is named
	// after it.
	flag string
}

// unreachable turns a request error that means "no server there" —
// connection refused, a host name that does not resolve, a timeout — into
// a message that names the URL tried and how to change it. Other errors
// are returned unchanged.
func (s server) unreachable(err error) error {
	reason := unreachableReason(err)
	if reason == "" {
		return err
	}
	return fmt.Errorf("no ivvy-notify %s at %s (%s): is serve running? set --%s or %s",
		s.what, s.url, reason, s.flag, config.EnvName(s.flag))
}

// unreachableReason says in a few words why a connection failed, or ""
// when err is not a connection failure.
func unreachableReason(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dnsErr):
		return "host " + dnsErr.Name + " not found"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timed out"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.Is(err, syscall.ECONNRESET), errors.As(err, &opErr) && opErr.Op == "dial":
		return "connection failed"
	}
	return ""
}

// flagError is every command's FlagErrorFunc: an unknown flag gets the
// nearest known one suggested, a bad value says what form it wants, and
// each points to the command's --help.
func flagError(cmd *cobra.Command, err error) error {
	help := fmt.Sprintf("see '%s --help'", cmd.CommandPath())
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if near := nearestFlag(cmd.Flags(), name); near != "" {
			return fmt.Errorf("unknown flag --%s: did you mean --%s? (%s)", name, near, help)
		}
		return fmt.Errorf("unknown flag --%s (%s)", name, help)
	}
	if m := badFlagValue.FindStringSubmatch(msg); m != nil {
		if f := cmd.Flags().Lookup(m[2]); f != nil {
			return fmt.Errorf("--%s %q: want %s (%s)", f.Name, m[1], config.ExpectedForm(f), help)
		}
	}
	return fmt.Errorf("%s (%s)", msg, help)
}

// badFlagValue matches pflag's `invalid argument "x" for "-r, --rate" flag: …`.
var badFlagValue = regexp.MustCompile(`^invalid argument "((?:[^"\\]|\\.)*)" for "(?:-\w, )?--([\w-]+)" flag`)

// nearestFlag returns the flag of fs whose name is nearest to name, if it
// is near enough to be a typo: within a third of its length in edits (at
// least 2), or one of them a prefix of the other.
func nearestFlag(fs *pflag.FlagSet, name string) string {
	best, bestDist := "", 1<<30
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := levenshtein(name, f.Name)
		if strings.HasPrefix(f.Name, name) || strings.HasPrefix(name, f.Name) {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	if bestDist <= max(2, len(name)/3) {
		return best
	}
	return ""
}

// levenshtein is the edit distance between a and b, in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// explain adds to an error of cmd what to do about it: usage errors point
// to --help.
func explain(cmd *cobra.Command, err error) string {
	if cmd == nil {
		return err.Error()
	}
	msg := fromEnv(cmd, config.NameSources(err, cmd.Flags()).Error())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		msg = storeWords.Replace(msg)
	}
	switch {
	case strings.HasPrefix(msg, "unknown command"):
		return strings.TrimRight(msg, "\n") + fmt.Sprintf("\nsee '%s --help' for the commands", cmd.CommandPath())
	case strings.HasPrefix(msg, "required flag"), usageArgs.MatchString(msg):
		return msg + fmt.Sprintf(" (see '%s --help')", cmd.CommandPath())
	}
	return msg
}

// storeWords drops the store's layers from an error chain that did not
// get user words where it was made: "sqlite: subscription 5: store: not
// found" reads "subscription 5: not found".
var storeWords = strings.NewReplacer("sqlite: ", "", "postgres: ", "", "store: ", "")

// usageArgs matches cobra's positional-argument errors.
var usageArgs = regexp.MustCompile(`^(accepts (at most |between )?\d+.* arg\(s\), received \d+|unknown command .* for )`)

// flagPrefix matches an error that starts by naming a flag and its value:
// `--account "x": …`.
var flagPrefix = regexp.MustCompile(`^--([\w-]+)( "(?:[^"\\]|\\.)*")?`)

// fromEnv says, in an error about a flag whose value came from the
// environment, which variable set it: `--account "x" (from
// IVVY_NOTIFY_KEY_LIST_ACCOUNT): …`.
func fromEnv(cmd *cobra.Command, msg string) string {
	m := flagPrefix.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	f := cmd.Flags().Lookup(msg[m[2]:m[3]])
	if f == nil {
		return msg
	}
	name, ok := config.SetFromEnv(f)
	if !ok {
		return msg
	}
	return msg[:m[1]] + " (from " + name + ")" + msg[m[1]:]
}

// groupsRefuseUnknown makes every command under root that only groups
// subcommands (deadletters, key, …) refuse an unknown subcommand with
// cobra's suggestion, as root does, instead of printing its help and
// exiting 0; without arguments it still prints its help.
func groupsRefuseUnknown(root *cobra.Command) {
	walk(root, func(cmd *cobra.Command) {
		if cmd == root || !cmd.HasSubCommands() || cmd.Runnable() {
			return
		}
		cmd.Args = cobra.ArbitraryArgs
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2
		}
		cmd.FParseErrWhitelist.UnknownFlags = true
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t") + "\n"
			}
			return errors.New(msg)
		}
	})
}
