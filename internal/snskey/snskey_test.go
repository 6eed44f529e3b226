package snskey_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/snskey"
	"github.com/ivvy-notify/ivvy-notify/internal/store/sqlite"
)

func setup(t *testing.T) (*sqlite.Store, *secrets.Box) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(context.Background())
	require.NoError(t, err)
	mk, err := secrets.NewMasterKey(rand.Reader)
	require.NoError(t, err)
	return st, secrets.NewBox(mk, nil)
}

func opts() snskey.Options {
	return snskey.Options{CommonName: "sns.example.test", Now: time.Now, Rand: rand.Reader}
}

func TestGeneratedOnceAndShared(t *testing.T) {
	ctx := context.Background()
	st, box := setup(t)
	first, err := snskey.Load(ctx, st, box, opts())
	require.NoError(t, err)
	second, err := snskey.Load(ctx, st, box, opts())
	require.NoError(t, err)
	require.True(t, first.Key.Equal(second.Key), "a second node (or restart) gets the same key")
	require.Equal(t, first.CertPEM, second.CertPEM)
	require.Regexp(t, `^[0-9a-f]{32}$`, first.CertHex)

	block, _ := pem.Decode(first.CertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.Equal(t, "sns.example.test", cert.Subject.CommonName)
	require.NotContains(t, string(first.CertPEM), "\r", "LF line endings")

	raw, err := st.SettingGet(ctx, "sns_signing_key")
	require.NoError(t, err)
	der, _ := x509.MarshalPKCS8PrivateKey(first.Key)
	require.NotContains(t, string(raw), string(der[10:60]), "the key is stored encrypted")

	other, err := secrets.NewMasterKey(rand.Reader)
	require.NoError(t, err)
	_, err = snskey.Load(ctx, st, secrets.NewBox(other, nil), opts())
	require.ErrorIs(t, err, secrets.ErrDecrypt)
}

func TestFromFiles(t *testing.T) {
	ctx := context.Background()
	st, box := setup(t)
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	certPEM, err := sns.GenerateCertificate(key, "ops.example.test", time.Now(), time.Now().Add(time.Hour), rand.Reader)
	require.NoError(t, err)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, certPEM, 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))

	o := opts()
	o.CertFile, o.KeyFile = certFile, keyFile
	id, err := snskey.Load(ctx, st, box, o)
	require.NoError(t, err)
	require.True(t, id.Key.Equal(key))

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}), 0o600))
	_, err = snskey.Load(ctx, st, box, o)
	require.ErrorContains(t, err, "does not belong to the signing key")

	o.KeyFile = ""
	_, err = snskey.Load(ctx, st, box, o)
	require.ErrorContains(t, err, "together")
}
