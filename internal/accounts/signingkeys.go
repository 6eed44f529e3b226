package accounts

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"strconv"
	"sync"

	"github.com/ivvy-notify/ivvy-notify/internal/ivvymsg"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// SigningKeyBits is the size of accounts' message-signing keys.
const SigningKeyBits = 2048

// Signer is an account's current message-signing key.
type Signer struct {
	Key *rsa.PrivateKey
	// PublicKeyPath is where receivers find the public half, below the
	// key base URL: /accounts/{id}/{version}/notifcert.txt.
	PublicKeyPath string
}

// keyCache holds parsed private keys: decrypting and parsing one costs far
// more than signing with it.
type keyCache struct {
	mu   sync.Mutex
	keys map[[2]int64]*rsa.PrivateKey
}

func (c *keyCache) get(account, version int64) *rsa.PrivateKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keys[[2]int64{account, version}]
}

func (c *keyCache) put(account, version int64, k *rsa.PrivateKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = map[[2]int64]*rsa.PrivateKey{}
	}
	c.keys[[2]int64{account, version}] = k
}

// newKey generates an RSA key, outside any transaction: it is slow, and
// SQLite has one writer.
func (s *Service) newKey() (*rsa.PrivateKey, error) {
	key, err := s.generateKey(s.rand, SigningKeyBits)
	if err != nil {
		return nil, fmt.Errorf("accounts: generate signing key: %w", err)
	}
	return key, nil
}

// createSigningKey seals and stores key as the account's new key version:
// the creation second, or one past the newest version if that is not later.
func (s *Service) createSigningKey(ctx context.Context, q store.Queries, accountID int64, key *rsa.PrivateKey) (*store.SigningKey, error) {
	version := s.now().Unix()
	cur, err := q.SigningKeyCurrent(ctx, accountID)
	if err == nil && cur.Version >= version {
		version = cur.Version + 1
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	sealed, err := s.box.Seal(der, signingKeyAAD(accountID, version))
	if err != nil {
		return nil, err
	}
	pub, err := ivvymsg.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	k := store.SigningKey{AccountID: accountID, Version: version, PrivateKeySealed: sealed, PublicKeyPEM: pub, CreatedAt: s.now()}
	if err := q.SigningKeyCreate(ctx, k); err != nil {
		return nil, err
	}
	s.cache.put(accountID, version, key)
	return &k, nil
}

// RotateSigningKey gives the account a new message-signing key; older
// public keys stay served, so messages signed before still verify.
func (s *Service) RotateSigningKey(ctx context.Context, accountID int64) (*store.SigningKey, error) {
	key, err := s.newKey()
	if err != nil {
		return nil, err
	}
	var k *store.SigningKey
	err = s.store.InTx(ctx, func(q store.Queries) error {
		if _, err := q.AccountGet(ctx, accountID); err != nil {
			return notFound(err, "account %d", accountID)
		}
		k, err = s.createSigningKey(ctx, q, accountID, key)
		return err
	})
	return k, err
}

// SigningKeys lists the account's key versions, oldest first.
func (s *Service) SigningKeys(ctx context.Context, accountID int64) ([]*store.SigningKey, error) {
	if _, err := s.Account(ctx, accountID); err != nil {
		return nil, err
	}
	return s.store.SigningKeyList(ctx, accountID)
}

// CurrentSigner returns the account's newest signing key.
func (s *Service) CurrentSigner(ctx context.Context, q store.Queries, accountID int64) (*Signer, error) {
	row, err := q.SigningKeyCurrent(ctx, accountID)
	if err != nil {
		return nil, err
	}
	key := s.cache.get(accountID, row.Version)
	if key == nil {
		if key, err = s.openSigningKey(row); err != nil {
			return nil, err
		}
		s.cache.put(accountID, row.Version, key)
	}
	return &Signer{Key: key, PublicKeyPath: ivvymsg.PublicKeyPath(strconv.FormatInt(accountID, 10), row.Version)}, nil
}

// openSigningKey decrypts and parses a stored key.
func (s *Service) openSigningKey(row *store.SigningKey) (*rsa.PrivateKey, error) {
	der, err := s.box.Open(row.PrivateKeySealed, signingKeyAAD(row.AccountID, row.Version))
	if err != nil {
		return nil, fmt.Errorf("accounts: signing key %d/%d: %w", row.AccountID, row.Version, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("accounts: signing key %d/%d: %w", row.AccountID, row.Version, err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("accounts: signing key %d/%d is not RSA", row.AccountID, row.Version)
	}
	return key, nil
}

// PublicKeyPEM returns one version of the account's public key, as served
// at /accounts/{id}/{version}/notifcert.txt.
func (s *Service) PublicKeyPEM(ctx context.Context, accountID, version int64) ([]byte, error) {
	k, err := s.store.SigningKeyGet(ctx, accountID, version)
	if err != nil {
		return nil, err
	}
	return k.PublicKeyPEM, nil
}

// signingKeyAAD binds a sealed private key to its account and version.
func signingKeyAAD(accountID, version int64) []byte {
	return []byte("signing-key:" + strconv.FormatInt(accountID, 10) + ":" + strconv.FormatInt(version, 10))
}
