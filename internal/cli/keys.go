package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/admin"
)

func newKeyCmd(io IO) *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Create, list and revoke iVvy API keys",
		Long: "Create, list and revoke iVvy API keys, and rotate an account's message-signing key.\n" + throughServerNote}
	cmd.AddCommand(newKeyCreateCmd(io), newKeyListCmd(io), newKeyRevokeCmd(io), newKeyRotateCmd(io))
	return cmd
}

// accountFlag adds the required --account flag to cmd.
func accountFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "account", "", "account id (required)")
	_ = cmd.MarkFlagRequired("account")
}

func newKeyCreateCmd(io IO) *cobra.Command {
	var account string
	var userID int64
	var primary bool
	cmd := dataCommand(io, "create", "Create an API key (account-level, or a user's with --user-id)", cobra.NoArgs,
		func(ctx context.Context, ops accountOps, _ []string, asJSON bool) error {
			id, err := parseAccountID(account)
			if err != nil {
				return err
			}
			p := accounts.KeyParams{Primary: primary}
			if userID != 0 {
				p.UserID = &userID
			}
			k, err := ops.createKey(ctx, id, p)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, k)
			}
			fmt.Fprintf(io.Stdout, "created %s for account %d\n  key:    %s\n  secret: %s\n"+
				"The secret is shown only now; store it safely.\n", describeKey(admin.APIKey{UserID: k.UserID, Primary: k.Primary}), id, k.Key, k.Secret)
			return nil
		})
	accountFlag(cmd, &account)
	cmd.Flags().Int64Var(&userID, "user-id", 0, "make a user's key for this user id (default: an account-level key)")
	cmd.Flags().BoolVar(&primary, "primary", false, "the user is the account's primary user (may manage subscriptions)")
	return cmd
}

func newKeyListCmd(io IO) *cobra.Command {
	var account string
	cmd := dataCommand(io, "list", "List an account's API keys (never their secrets)", cobra.NoArgs,
		func(ctx context.Context, ops accountOps, _ []string, asJSON bool) error {
			id, err := parseAccountID(account)
			if err != nil {
				return err
			}
			out, err := ops.keys(ctx, id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, out)
			}
			tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tKIND\tCREATED\tSTATUS")
			for _, k := range out.Keys {
				status := "active"
				if k.RevokedAt != nil {
					status = "revoked " + *k.RevokedAt
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Key, describeKey(k), k.CreatedAt, status)
			}
			return tw.Flush()
		})
	accountFlag(cmd, &account)
	return cmd
}

func newKeyRevokeCmd(io IO) *cobra.Command {
	var account string
	cmd := dataCommand(io, "revoke KEY", "Revoke an API key: it gets 463 from then on", cobra.ExactArgs(1),
		func(ctx context.Context, ops accountOps, args []string, asJSON bool) error {
			id, err := parseAccountID(account)
			if err != nil {
				return err
			}
			k, err := ops.revokeKey(ctx, id, args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, k)
			}
			fmt.Fprintf(io.Stdout, "revoked key %s of account %d\n", k.Key, id)
			return nil
		})
	accountFlag(cmd, &account)
	return cmd
}

// describeKey names a key's kind: account-level, or a (primary) user's.
func describeKey(k admin.APIKey) string {
	switch {
	case k.UserID == nil:
		return "account-level key"
	case k.Primary:
		return fmt.Sprintf("primary user %d's key", *k.UserID)
	default:
		return fmt.Sprintf("user %d's key", *k.UserID)
	}
}

func newKeyRotateCmd(io IO) *cobra.Command {
	var account string
	cmd := dataCommand(io, "rotate", "Rotate the account's message-signing key (RSA); older public keys stay served", cobra.NoArgs,
		func(ctx context.Context, ops accountOps, _ []string, asJSON bool) error {
			id, err := parseAccountID(account)
			if err != nil {
				return err
			}
			v, err := ops.rotateSigningKey(ctx, id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(io.Stdout, v)
			}
			fmt.Fprintf(io.Stdout, "account %d now signs with key version %d\n  public key path: %s\n", id, v.Version, v.PublicKeyPath)
			return nil
		})
	accountFlag(cmd, &account)
	return cmd
}
