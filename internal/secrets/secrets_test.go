package secrets_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
)

func newKey(t *testing.T) *secrets.MasterKey {
	t.Helper()
	k, err := secrets.NewMasterKey(rand.Reader)
	require.NoError(t, err)
	return k
}

func TestBox(t *testing.T) {
	box := secrets.NewBox(newKey(t), nil)
	secret := []byte("api-secret-value")
	aad := []byte("api-key:k1")

	sealed, err := box.Seal(secret, aad)
	require.NoError(t, err)
	require.False(t, bytes.Contains(sealed, secret), "ciphertext must not contain the plaintext")

	t.Run("OpensWithSameAAD", func(t *testing.T) {
		got, err := box.Open(sealed, aad)
		require.NoError(t, err)
		require.Equal(t, secret, got)
	})
	t.Run("FailsWithOtherAAD", func(t *testing.T) {
		_, err := box.Open(sealed, []byte("api-key:k2"))
		require.ErrorIs(t, err, secrets.ErrDecrypt)
	})
	t.Run("FailsWithOtherKey", func(t *testing.T) {
		_, err := secrets.NewBox(newKey(t), nil).Open(sealed, aad)
		require.ErrorIs(t, err, secrets.ErrDecrypt)
	})
	t.Run("FailsWhenAnyByteFlipped", func(t *testing.T) {
		for i := range sealed {
			c := bytes.Clone(sealed)
			c[i] ^= 1
			_, err := box.Open(c, aad)
			require.ErrorIs(t, err, secrets.ErrDecrypt, "byte %d", i)
		}
	})
	t.Run("FailsWhenTruncated", func(t *testing.T) {
		for _, n := range []int{0, 1, 12, len(sealed) - 1} {
			_, err := box.Open(sealed[:n], aad)
			require.ErrorIs(t, err, secrets.ErrDecrypt)
		}
	})
	t.Run("NoncesDiffer", func(t *testing.T) {
		again, err := box.Seal(secret, aad)
		require.NoError(t, err)
		require.NotEqual(t, sealed, again)
	})
}

func TestParseMasterKey(t *testing.T) {
	k := newKey(t)
	for name, text := range map[string]string{
		"hex":       k.String(),
		"hex upper": strings.ToUpper(k.String()),
		"padded":    "  " + k.String() + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := secrets.ParseMasterKey(text)
			require.NoError(t, err)
			require.Equal(t, k.String(), got.String())
		})
	}
	t.Run("base64", func(t *testing.T) {
		got, err := secrets.ParseMasterKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
		require.NoError(t, err)
		require.Equal(t, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", got.String())
	})
	for _, bad := range []string{"", "abc", strings.Repeat("a", 62), strings.Repeat("zz", 32), "AAECAw=="} {
		_, err := secrets.ParseMasterKey(bad)
		require.Error(t, err, "%q", bad)
	}
}

func TestCheckValue(t *testing.T) {
	k1, k2 := newKey(t), newKey(t)
	require.True(t, k1.MatchesCheckValue(k1.CheckValue()))
	require.False(t, k1.MatchesCheckValue(k2.CheckValue()))
	require.NotContains(t, string(k1.CheckValue()), k1.String())
	require.NotEqual(t, k1.Derive("a"), k1.Derive("b"))
}

func TestLoadMasterKey(t *testing.T) {
	t.Run("GeneratesPrivateFileOnceThenReadsIt", func(t *testing.T) {
		dir := t.TempDir()
		k1, src, err := secrets.LoadMasterKey(dir, "", true, rand.Reader)
		require.NoError(t, err)
		require.True(t, src.Created)
		info, err := os.Stat(filepath.Join(dir, secrets.MasterKeyFile))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

		k2, src, err := secrets.LoadMasterKey(dir, "", true, rand.Reader)
		require.NoError(t, err)
		require.False(t, src.Created)
		require.Equal(t, k1.String(), k2.String())
	})
	t.Run("EnvWinsAndWritesNothing", func(t *testing.T) {
		dir := t.TempDir()
		want := newKey(t)
		k, src, err := secrets.LoadMasterKey(dir, want.String(), true, rand.Reader)
		require.NoError(t, err)
		require.Equal(t, want.String(), k.String())
		require.Equal(t, "from $IVVY_NOTIFY_MASTER_KEY", src.String())
		require.NoFileExists(t, filepath.Join(dir, secrets.MasterKeyFile))
	})
	t.Run("BadEnvIsAnError", func(t *testing.T) {
		_, _, err := secrets.LoadMasterKey(t.TempDir(), "short", true, rand.Reader)
		require.ErrorContains(t, err, "IVVY_NOTIFY_MASTER_KEY")
	})
	t.Run("NoCreateMeansMissingIsAnError", func(t *testing.T) {
		_, _, err := secrets.LoadMasterKey(t.TempDir(), "", false, rand.Reader)
		require.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("RefusesWorldReadableFile", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, secrets.MasterKeyFile)
		require.NoError(t, os.WriteFile(path, []byte(newKey(t).String()), 0o644))
		_, _, err := secrets.LoadMasterKey(dir, "", true, rand.Reader)
		require.ErrorContains(t, err, "chmod 600")
	})
}

func TestLoadAdminToken(t *testing.T) {
	dir := t.TempDir()
	tok, src, err := secrets.LoadAdminToken(dir, "", rand.Reader)
	require.NoError(t, err)
	require.Len(t, tok, 64)
	require.True(t, src.Created)
	again, _, err := secrets.LoadAdminToken(dir, "", rand.Reader)
	require.NoError(t, err)
	require.Equal(t, tok, again)

	env, src, err := secrets.LoadAdminToken(dir, "from-env", rand.Reader)
	require.NoError(t, err)
	require.Equal(t, "from-env", env)
	require.Equal(t, "from $IVVY_NOTIFY_ADMIN_TOKEN", src.String())
}

func TestEqualConstantTime(t *testing.T) {
	require.True(t, secrets.EqualConstantTime("abc", "abc"))
	require.False(t, secrets.EqualConstantTime("abc", "abd"))
	require.False(t, secrets.EqualConstantTime("abc", "abcd"))
	require.False(t, secrets.EqualConstantTime("", "x"))
}
