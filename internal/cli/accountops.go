package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/admin"
	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/internal/config"
)

// lockWait is how long a data command waits for the data directory while
// another command holds it, or while the server holding it starts.
const lockWait = 10 * time.Second

// accountOps are what the account and key commands do: directly on the data
// directory when no server runs on it, or through the admin API of the
// server that holds it, which must see every change (it caches accounts
// and signing keys). Both give the admin API's views.
type accountOps interface {
	createAccount(ctx context.Context, name string) (admin.Account, error)
	accounts(ctx context.Context) (admin.AccountList, error)
	createKey(ctx context.Context, account int64, p accounts.KeyParams) (admin.CreatedAPIKey, error)
	keys(ctx context.Context, account int64) (admin.APIKeyList, error)
	revokeKey(ctx context.Context, account int64, key string) (admin.APIKey, error)
	rotateSigningKey(ctx context.Context, account int64) (admin.SigningKeyOut, error)
}

// openAccountOps locks cfg's data directory for command and opens it, or
// finds the server that holds it. done releases what was opened.
func openAccountOps(ctx context.Context, cfg config.Config, io IO, command string) (ops accountOps, done func(), err error) {
	lock, holder, err := app.LockOrFindServer(cfg.DataDir, command, lockWait)
	if err != nil {
		return nil, nil, dataDirBusy(err)
	}
	if holder != nil {
		dir, _ := filepath.Abs(cfg.DataDir)
		return &serverOps{f: adminFlags{adminURL: holder.AdminURL, dataDir: cfg.DataDir}, io: io, holder: holder, dir: dir}, func() {}, nil
	}
	core, err := app.OpenLockedCore(ctx, cfg, nil, lock)
	if err != nil {
		return nil, nil, err
	}
	return directOps{core.Accounts}, func() { core.Close() }, nil
}

// dataDirBusy says what to do about a data directory still held after
// lockWait: by another command, or by a server that has not finished
// starting.
func dataDirBusy(err error) error {
	var le *app.LockedError
	if !errors.As(err, &le) {
		return err
	}
	if le.Holder != nil && le.Holder.Command == app.ServeCommand {
		return fmt.Errorf("%w, which has not finished starting: try again once it serves", err)
	}
	return fmt.Errorf("%w: try again once it has finished", err)
}

// directOps work on the data directory, locked by this process.
type directOps struct{ svc *accounts.Service }

func (d directOps) createAccount(ctx context.Context, name string) (admin.Account, error) {
	a, err := d.svc.CreateAccount(ctx, name)
	if err != nil {
		return admin.Account{}, err
	}
	return admin.AccountView(a), nil
}

func (d directOps) accounts(ctx context.Context) (admin.AccountList, error) {
	list, err := d.svc.Accounts(ctx)
	out := admin.AccountList{Accounts: []admin.Account{}}
	for _, a := range list {
		out.Accounts = append(out.Accounts, admin.AccountView(a))
	}
	return out, err
}

func (d directOps) createKey(ctx context.Context, account int64, p accounts.KeyParams) (admin.CreatedAPIKey, error) {
	k, err := d.svc.CreateKey(ctx, account, p)
	if err != nil {
		return admin.CreatedAPIKey{}, err
	}
	return admin.CreatedAPIKey{Key: k.Key, Secret: k.Secret, UserID: k.UserID, Primary: k.Primary,
		CreatedAt: admin.APIKeyView(k.APIKey).CreatedAt}, nil
}

func (d directOps) keys(ctx context.Context, account int64) (admin.APIKeyList, error) {
	keys, err := d.svc.Keys(ctx, account)
	out := admin.APIKeyList{Keys: []admin.APIKey{}}
	for _, k := range keys {
		out.Keys = append(out.Keys, admin.APIKeyView(k))
	}
	return out, err
}

func (d directOps) revokeKey(ctx context.Context, account int64, key string) (admin.APIKey, error) {
	k, err := d.svc.RevokeKey(ctx, account, key)
	if err != nil {
		return admin.APIKey{}, err
	}
	return admin.APIKeyView(k), nil
}

func (d directOps) rotateSigningKey(ctx context.Context, account int64) (admin.SigningKeyOut, error) {
	k, err := d.svc.RotateSigningKey(ctx, account)
	if err != nil {
		return admin.SigningKeyOut{}, err
	}
	return admin.SigningKeyView(k), nil
}

// serverOps go through the admin API of the server holding the data
// directory, found in its lock file.
type serverOps struct {
	f      adminFlags
	io     IO
	holder *app.LockHolder
	dir    string
}

// call is adminFlags.do, with the server named when it does not answer or
// refuses the token.
func (s *serverOps) call(method, path string, in, out any) error {
	var err error
	if in != nil {
		err = s.f.post(s.io, path, in, out)
	} else {
		err = s.f.do(s.io, method, path, nil, out)
	}
	return s.explain(err)
}

// explain adds to err what the user needs to know about the server.
func (s *serverOps) explain(err error) error {
	var ue *url.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue):
		return fmt.Errorf("data directory %s is in use by ivvy-notify serve (PID %d), but its admin API at %s does not answer "+
			"(is it shutting down?): %w", s.dir, s.holder.PID, s.holder.AdminURL, err)
	case strings.Contains(err.Error(), "HTTP 401"), strings.Contains(err.Error(), "no admin token"):
		return fmt.Errorf("%w (the server holding data directory %s, PID %d, takes its admin token %s)",
			err, s.dir, s.holder.PID, s.holder.AdminTokenSource)
	}
	return err
}

func (s *serverOps) createAccount(_ context.Context, name string) (admin.Account, error) {
	var out admin.Account
	return out, s.call(http.MethodPost, "/v1/accounts", map[string]string{"name": name}, &out)
}

func (s *serverOps) accounts(context.Context) (admin.AccountList, error) {
	out := admin.AccountList{Accounts: []admin.Account{}}
	return out, s.call(http.MethodGet, "/v1/accounts", nil, &out)
}

func (s *serverOps) createKey(_ context.Context, account int64, p accounts.KeyParams) (admin.CreatedAPIKey, error) {
	var out admin.CreatedAPIKey
	in := struct {
		UserID  *int64 `json:"userId,omitempty"`
		Primary bool   `json:"primary"`
	}{p.UserID, p.Primary}
	return out, s.call(http.MethodPost, fmt.Sprintf("/v1/accounts/%d/keys", account), in, &out)
}

func (s *serverOps) keys(_ context.Context, account int64) (admin.APIKeyList, error) {
	out := admin.APIKeyList{Keys: []admin.APIKey{}}
	return out, s.call(http.MethodGet, fmt.Sprintf("/v1/accounts/%d/keys", account), nil, &out)
}

// revokeKey revokes the key (DELETE answers 204, no body), then reads it
// back from the account's list for the caller's view of it.
func (s *serverOps) revokeKey(ctx context.Context, account int64, key string) (admin.APIKey, error) {
	path := fmt.Sprintf("/v1/accounts/%d/keys/%s", account, url.PathEscape(key))
	if err := s.call(http.MethodDelete, path, nil, nil); err != nil {
		return admin.APIKey{}, err
	}
	list, err := s.keys(ctx, account)
	if err != nil {
		return admin.APIKey{}, err
	}
	for _, k := range list.Keys {
		if k.Key == key {
			return k, nil
		}
	}
	return admin.APIKey{}, fmt.Errorf("key %s is not in account %d's list after its revocation", key, account)
}

func (s *serverOps) rotateSigningKey(_ context.Context, account int64) (admin.SigningKeyOut, error) {
	var out admin.SigningKeyOut
	return out, s.call(http.MethodPost, fmt.Sprintf("/v1/accounts/%d/signing-keys", account), struct{}{}, &out)
}
