package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
)

// DevCredentialsFile holds serve --dev's account and key, for subscribe.
const DevCredentialsFile = "dev-credentials.json"

// DevCredentials are the account and API key serve --dev creates once.
type DevCredentials struct {
	AccountID int64  `json:"accountId"`
	Key       string `json:"key"`
	Secret    string `json:"secret"`
}

// EnsureDevCredentials returns the dev account's credentials, creating the
// account and an account-level key on first use and keeping them in the
// data directory (mode 0600): local development only.
func (c *Core) EnsureDevCredentials(ctx context.Context) (*DevCredentials, error) {
	creds, err := ReadDevCredentials(c.Config.DataDir)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return creds, err
	}
	acct, err := c.Accounts.CreateAccount(ctx, "Dev")
	if err != nil {
		return nil, err
	}
	key, err := c.Accounts.CreateKey(ctx, acct.ID, accounts.KeyParams{})
	if err != nil {
		return nil, err
	}
	creds = &DevCredentials{AccountID: acct.ID, Key: key.Key, Secret: key.Secret}
	b, _ := json.MarshalIndent(creds, "", "  ")
	if err := os.WriteFile(filepath.Join(c.Config.DataDir, DevCredentialsFile), append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("dev credentials: %w", err)
	}
	return creds, nil
}

// ReadDevCredentials reads serve --dev's credentials from a data directory.
func ReadDevCredentials(dataDir string) (*DevCredentials, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, DevCredentialsFile))
	if err != nil {
		return nil, err
	}
	var c DevCredentials
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", DevCredentialsFile, err)
	}
	return &c, nil
}
