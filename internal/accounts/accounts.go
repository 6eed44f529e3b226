// Package accounts manages accounts and their iVvy API keys: creation with
// validation, secrets sealed under the master key, listing and revocation.
// The admin API, the CLI and the iVvy API's authentication all go through
// it, so the rules live in one place.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// MaxNameLength bounds an account name, in characters.
const MaxNameLength = 200

// ValidationError reports an input that breaks a rule; Field names it.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Service carries out account and key operations.
type Service struct {
	store store.Store
	box   *secrets.Box
	now   func() time.Time
	rand  io.Reader
	cache keyCache
	// generateKey makes RSA keys; tests may swap in a faster source.
	generateKey func(r io.Reader, bits int) (*rsa.PrivateKey, error)
}

// SetKeyGenerator replaces the RSA key generator (tests use a pool of
// pre-generated keys, because generating RSA-2048 keys is slow).
func (s *Service) SetKeyGenerator(gen func(r io.Reader, bits int) (*rsa.PrivateKey, error)) {
	s.generateKey = gen
}

// NewService returns a Service on st whose secrets are sealed by box. now
// and r may be nil for the wall clock and crypto/rand.
func NewService(st store.Store, box *secrets.Box, now func() time.Time, r io.Reader) *Service {
	if now == nil {
		now = time.Now
	}
	if r == nil {
		r = rand.Reader
	}
	return &Service{store: st, box: box, now: now, rand: r, generateKey: rsa.GenerateKey}
}

// CreateAccount creates an account with a trimmed, non-empty name, and
// its first message-signing key, in one transaction.
func (s *Service) CreateAccount(ctx context.Context, name string) (*store.Account, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, &ValidationError{Field: "name", Message: "is required"}
	case utf8.RuneCountInString(name) > MaxNameLength:
		return nil, &ValidationError{Field: "name", Message: fmt.Sprintf("must be at most %d characters", MaxNameLength)}
	case !utf8.ValidString(name):
		return nil, &ValidationError{Field: "name", Message: "must be valid UTF-8"}
	}
	key, err := s.newKey()
	if err != nil {
		return nil, err
	}
	var a *store.Account
	err = s.store.InTx(ctx, func(q store.Queries) error {
		if a, err = q.AccountCreate(ctx, store.AccountCreateParams{Name: name, CreatedAt: s.now()}); err != nil {
			return err
		}
		_, err = s.createSigningKey(ctx, q, a.ID, key)
		return err
	})
	return a, err
}

// Account returns one account, or an error wrapping store.ErrNotFound.
func (s *Service) Account(ctx context.Context, id int64) (*store.Account, error) {
	a, err := s.store.AccountGet(ctx, id)
	return a, notFound(err, "account %d", id)
}

// Accounts lists every account.
func (s *Service) Accounts(ctx context.Context) ([]*store.Account, error) {
	return s.store.AccountList(ctx)
}

// KeyParams describe a new API key: account-level when UserID is nil,
// otherwise a user's, primary or not.
type KeyParams struct {
	UserID  *int64
	Primary bool
}

// CreatedKey is a new API key together with its secret, which is shown
// this once and never again.
type CreatedKey struct {
	*store.APIKey
	Secret string
}

// CreateKey creates an API key for the account with a random key id and
// secret; the secret is stored sealed, bound to its key id.
func (s *Service) CreateKey(ctx context.Context, accountID int64, p KeyParams) (*CreatedKey, error) {
	if p.UserID != nil && *p.UserID <= 0 {
		return nil, &ValidationError{Field: "userId", Message: "must be a positive integer"}
	}
	if p.UserID == nil && p.Primary {
		return nil, &ValidationError{Field: "primary", Message: "applies only to a user's key; give userId"}
	}
	if _, err := s.Account(ctx, accountID); err != nil {
		return nil, err
	}
	key, err := secrets.RandomHex(s.rand, 16)
	if err != nil {
		return nil, err
	}
	secret, err := secrets.RandomHex(s.rand, 20)
	if err != nil {
		return nil, err
	}
	sealed, err := s.box.Seal([]byte(secret), keyAAD(key))
	if err != nil {
		return nil, err
	}
	k, err := s.store.APIKeyCreate(ctx, store.APIKeyCreateParams{
		AccountID: accountID, Key: key, SecretSealed: sealed,
		UserID: p.UserID, Primary: p.Primary, CreatedAt: s.now(),
	})
	if err != nil {
		return nil, err
	}
	return &CreatedKey{APIKey: k, Secret: secret}, nil
}

// Keys lists the account's keys, without secrets.
func (s *Service) Keys(ctx context.Context, accountID int64) ([]*store.APIKey, error) {
	if _, err := s.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return s.store.APIKeyListByAccount(ctx, accountID)
}

// RevokeKey revokes one of the account's keys; revoking twice is harmless.
func (s *Service) RevokeKey(ctx context.Context, accountID int64, key string) (*store.APIKey, error) {
	if _, err := s.Account(ctx, accountID); err != nil {
		return nil, err
	}
	k, err := s.store.APIKeyRevoke(ctx, store.APIKeyRevokeParams{AccountID: accountID, Key: key, RevokedAt: s.now()})
	return k, notFound(err, "key %s in account %d", key, accountID)
}

// ErrUnknownKey is returned by LookupKey for a key id nobody issued.
var ErrUnknownKey = errors.New("accounts: unknown API key")

// LookupKey returns the key row and its decrypted secret, for verifying a
// request's signature. A revoked key is returned too: the caller decides.
func (s *Service) LookupKey(ctx context.Context, key string) (*store.APIKey, string, error) {
	k, err := s.store.APIKeyGetByKey(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", ErrUnknownKey
	}
	if err != nil {
		return nil, "", err
	}
	secret, err := s.box.Open(k.SecretSealed, keyAAD(k.Key))
	if err != nil {
		return nil, "", fmt.Errorf("accounts: secret of key %s: %w", k.Key, err)
	}
	return k, string(secret), nil
}

// keyAAD binds a sealed secret to its key id, so a ciphertext copied onto
// another row does not open.
func keyAAD(key string) []byte { return []byte("api-key:" + key) }
