// Package store defines ivvy-notify's persistence interface: the rows the
// server keeps and the operations on them, independent of any database.
//
// Backends (internal/store/sqlite, and PostgreSQL later) implement Store and
// must pass the conformance suite in internal/store/storetest. Backends
// translate their own errors into the sentinels below; callers never see a
// driver error type.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a write would violate a uniqueness rule.
var ErrConflict = errors.New("store: conflict")

// Account is a tenant of the notification system: an iVvy account.
type Account struct {
	// ID is the account's number; the API shows it as a decimal string.
	ID int64
	// Name is the operator's label for the account.
	Name string
	// CreatedAt is when the account was created.
	CreatedAt time.Time
	// DeliveryPolicy is the account's delivery policy override (SNS
	// schema JSON); nil to use the server default.
	DeliveryPolicy []byte
}

// APIKey is a credential for the iVvy API, at account level or tied to one
// of the account's users.
type APIKey struct {
	// ID is the row id.
	ID int64
	// AccountID is the account the key belongs to.
	AccountID int64
	// Key is the public key identifier sent in X-Api-Authorization.
	Key string
	// SecretSealed is the HMAC secret, encrypted under the master key.
	SecretSealed []byte
	// UserID is the user the key belongs to; nil for an account-level key.
	UserID *int64
	// Primary reports whether UserID is the account's primary user.
	Primary bool
	// CreatedAt is when the key was created.
	CreatedAt time.Time
	// RevokedAt is when the key was revoked; nil while it is active.
	RevokedAt *time.Time
}

// AccountCreateParams are the inputs of Queries.AccountCreate.
type AccountCreateParams struct {
	Name      string
	CreatedAt time.Time
}

// APIKeyCreateParams are the inputs of Queries.APIKeyCreate.
type APIKeyCreateParams struct {
	AccountID    int64
	Key          string
	SecretSealed []byte
	UserID       *int64
	Primary      bool
	CreatedAt    time.Time
}

// APIKeyRevokeParams are the inputs of Queries.APIKeyRevoke.
type APIKeyRevokeParams struct {
	AccountID int64
	Key       string
	RevokedAt time.Time
}

// Queries are the operations available both on a Store and inside one of
// its transactions.
type Queries interface {
	// AccountCreate inserts an account and returns it with its new ID.
	AccountCreate(ctx context.Context, p AccountCreateParams) (*Account, error)
	// AccountGet returns one account, or ErrNotFound.
	AccountGet(ctx context.Context, id int64) (*Account, error)
	// AccountList returns every account in ID order.
	AccountList(ctx context.Context) ([]*Account, error)

	// APIKeyCreate inserts an API key; ErrConflict if Key is taken and
	// ErrNotFound if the account does not exist.
	APIKeyCreate(ctx context.Context, p APIKeyCreateParams) (*APIKey, error)
	// APIKeyGetByKey returns the key with the given identifier, revoked or
	// not, or ErrNotFound.
	APIKeyGetByKey(ctx context.Context, key string) (*APIKey, error)
	// APIKeyListByAccount returns the account's keys in creation order.
	APIKeyListByAccount(ctx context.Context, accountID int64) ([]*APIKey, error)
	// APIKeyRevoke marks a key of the account revoked and returns it; a key
	// already revoked keeps its first revocation time. ErrNotFound if the
	// account has no such key.
	APIKeyRevoke(ctx context.Context, p APIKeyRevokeParams) (*APIKey, error)

	// SettingGet returns a server-wide setting, or ErrNotFound.
	SettingGet(ctx context.Context, name string) ([]byte, error)
	// SettingPutIfAbsent stores value under name unless the name is already
	// set, and returns the value now stored.
	SettingPutIfAbsent(ctx context.Context, name string, value []byte) ([]byte, error)

	NotifyQueries
}

// Store is a database holding ivvy-notify's state.
type Store interface {
	Queries
	// InTx runs fn in one transaction, committed if fn returns nil and
	// rolled back otherwise. fn must use only the Queries it is given.
	InTx(ctx context.Context, fn func(q Queries) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// Migrator applies a backend's embedded, numbered schema migrations.
type Migrator interface {
	// Migrate applies every migration not yet applied and returns the
	// versions it applied, in order.
	Migrate(ctx context.Context) ([]int, error)
	// SchemaVersion returns the highest applied migration version (0 for
	// an empty database) and the highest version this binary knows.
	SchemaVersion(ctx context.Context) (applied, known int, err error)
}
