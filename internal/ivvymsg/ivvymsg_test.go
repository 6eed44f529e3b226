package ivvymsg_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/ivvymsg"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fixtureMessage(t testing.TB) *ivvymsg.Message {
	t.Helper()
	var m ivvymsg.Message
	require.NoError(t, json.Unmarshal(fixture.Read(t, "ivvy", "inner-message-company-added.json"), &m))
	return &m
}

func fixtureKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(fixture.Read(t, "ivvy", "account-14-private-key.pem"))
	require.NotNil(t, block)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)
	return k.(*rsa.PrivateKey)
}

var freshKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

func TestStringToSign(t *testing.T) {
	want := fixture.Read(t, "ivvy", "inner-message-company-added.string-to-sign.txt")
	require.Equal(t, string(want), ivvymsg.StringToSign(fixtureMessage(t)))

	tests := []struct {
		name string
		m    ivvymsg.Message
		want string
	}{
		{"zero", ivvymsg.Message{}, "::0:::da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"lowercased", ivvymsg.Message{TxnId: "ABC", Region: "Stage", Timestamp: 1, AccountId: "X1", Subject: "CompanyDeleted", Body: "abc"},
			"abc:stage:1:x1:companydeleted:a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"body hashed as given", ivvymsg.Message{Subject: "S", Body: "ABC", Timestamp: -5},
			"::-5::s:3c01bdbb26f358bab27f267924aa2c9a03fcfdb8"},
		{"non-ASCII", ivvymsg.Message{Region: "ÉTÉ", Body: "é"},
			":été:0:::bf15be717ac1b080b4f1c456692825891ff5073d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ivvymsg.StringToSign(&tt.m))
		})
	}
}

func TestSignReproducesFixture(t *testing.T) {
	m := fixtureMessage(t)
	want := m.Signature
	m.Signature = ""
	require.NoError(t, ivvymsg.Sign(m, fixtureKey(t)))
	require.Equal(t, want, m.Signature)
}

func TestSignErrors(t *testing.T) {
	m := fixtureMessage(t)
	require.Error(t, ivvymsg.Sign(m, nil))
	m.Body = "\xff"
	require.ErrorIs(t, ivvymsg.Sign(m, fixtureKey(t)), ivvymsg.ErrInvalidUTF8)
}

func TestMarshalFixture(t *testing.T) {
	// Our encoding of the fixture is the fixture, compacted.
	var want bytes.Buffer
	require.NoError(t, json.Compact(&want, fixture.Read(t, "ivvy", "inner-message-company-added.json")))
	got, err := fixtureMessage(t).Marshal()
	require.NoError(t, err)
	require.Equal(t, want.String(), string(got))

	golden := filepath.Join("testdata", "company-added.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	g, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(g), string(got))
}

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		m    ivvymsg.Message
		want string
	}{
		{"zero, SourceInfo null", ivvymsg.Message{},
			`{"TxnId":"","Region":"","Timestamp":0,"AccountId":"","Subject":"","Body":"","SourceType":0,"SourceInfo":null,"Signature":"","SigningPublicKeyPath":""}`},
		{"no HTML escaping", ivvymsg.Message{Body: `{"a":"<b>&</b>"}`, SourceType: ivvymsg.SourceTypeAPI, SourceInfo: ivvymsg.SourceInfoForKey("k<&>")},
			`{"TxnId":"","Region":"","Timestamp":0,"AccountId":"","Subject":"","Body":"{\"a\":\"<b>&</b>\"}","SourceType":1,"SourceInfo":"{\"key\":\"k<&>\"}","Signature":"","SigningPublicKeyPath":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.Marshal()
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}
	bad := "\xff"
	_, err := (&ivvymsg.Message{SourceInfo: &bad}).Marshal()
	require.ErrorIs(t, err, ivvymsg.ErrInvalidUTF8)
	require.Contains(t, err.Error(), "SourceInfo")
}

func TestPublicKeyPath(t *testing.T) {
	for _, tt := range []struct {
		id      string
		version int64
		want    string
	}{
		{"14", 1537854341, "/accounts/14/1537854341/notifcert.txt"},
		{"7", 0, "/accounts/7/0/notifcert.txt"},
		{"a/../b", 1, "/accounts/a%2F..%2Fb/1/notifcert.txt"},
	} {
		require.Equal(t, tt.want, ivvymsg.PublicKeyPath(tt.id, tt.version))
	}
	require.Equal(t, fixtureMessage(t).SigningPublicKeyPath, ivvymsg.PublicKeyPath("14", 1537854341))
}

func TestMarshalPublicKeyPEM(t *testing.T) {
	got, err := ivvymsg.MarshalPublicKeyPEM(&fixtureKey(t).PublicKey)
	require.NoError(t, err)
	require.Equal(t, string(fixture.Read(t, "ivvy", "account-14-notifcert.txt")), string(got))
	require.NotContains(t, string(got), "\r")
}

func TestNewTxnID(t *testing.T) {
	id, err := ivvymsg.NewTxnID(bytes.NewReader(bytes.Repeat([]byte{0xAB}, 20)))
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("ab", 16), id)

	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	a, err := ivvymsg.NewTxnID(rand.Reader)
	require.NoError(t, err)
	b, err := ivvymsg.NewTxnID(nil)
	require.NoError(t, err)
	require.Regexp(t, hex32, a)
	require.Regexp(t, hex32, b)
	require.NotEqual(t, a, b)

	_, err = ivvymsg.NewTxnID(bytes.NewReader(make([]byte, 15)))
	require.Error(t, err)
	_, err = ivvymsg.NewTxnID(iotest.ErrReader(errors.New("boom")))
	require.ErrorContains(t, err, "boom")
}

func TestSourceInfoForKey(t *testing.T) {
	for key, want := range map[string]string{
		"TESTKEY0123456789abcdef": `{"key":"TESTKEY0123456789abcdef"}`,
		"":                        `{"key":""}`,
		`a"b\c<&>`:                `{"key":"a\"b\\c<&>"}`,
		"\xff":                    `{"key":"\ufffd"}`,
	} {
		require.Equal(t, want, *ivvymsg.SourceInfoForKey(key))
	}
	require.Equal(t, *fixtureMessage(t).SourceInfo, *ivvymsg.SourceInfoForKey("TESTKEY0123456789abcdef"))
}

// TestReceiverVerifies checks ivvymsg against the independent verifier in
// package receiver: sign with a fresh key, Marshal, parse, verify.
func TestReceiverVerifies(t *testing.T) {
	key, err := freshKey()
	require.NoError(t, err)
	pemKey, err := ivvymsg.MarshalPublicKeyPEM(&key.PublicKey)
	require.NoError(t, err)
	pub, err := receiver.ParsePublicKeyPEM(pemKey)
	require.NoError(t, err)

	for name, m := range map[string]ivvymsg.Message{
		"fixture-like": *fixtureMessage(t),
		"unknown source": {Region: "local", Timestamp: 1710115244, AccountId: "9",
			Subject: "CompanyDeleted", Body: `{"companyId":1}`},
		"html and unicode": {Region: "ÉU-Ouest", Timestamp: -1, AccountId: "Ab",
			Subject: "ContactNoteAdded", Body: `{"data":{"note":"<b>&é\u2028☃\"\\</b>"}}`,
			SourceType: ivvymsg.SourceTypeAPI, SourceInfo: ivvymsg.SourceInfoForKey("k&<>")},
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			m.TxnId, err = ivvymsg.NewTxnID(nil)
			require.NoError(t, err)
			m.SigningPublicKeyPath = ivvymsg.PublicKeyPath(m.AccountId, 1700000000)
			require.NoError(t, ivvymsg.Sign(&m, key))
			b, err := m.Marshal()
			require.NoError(t, err)

			rm, err := receiver.ParseIvvyMessage(b)
			require.NoError(t, err)
			require.Equal(t, ivvymsg.StringToSign(&m), rm.StringToSign())
			require.Equal(t, m.Body, rm.Body)
			require.Equal(t, m.SourceInfo, rm.SourceInfo)
			require.NoError(t, receiver.VerifyIvvySignature(rm, pub))

			rm.Timestamp++
			require.ErrorIs(t, receiver.VerifyIvvySignature(rm, pub), receiver.ErrIvvySignature)
		})
	}
}

func BenchmarkSign(b *testing.B) {
	m, key := fixtureMessage(b), fixtureKey(b)
	for b.Loop() {
		if err := ivvymsg.Sign(m, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	m := fixtureMessage(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMarshalledLenAtMost checks the bound against messages built to
// marshal as long as possible: every byte escaped, the widest integers.
func TestMarshalledLenAtMost(t *testing.T) {
	info := strings.Repeat("\u2028", 50)
	tests := []ivvymsg.Message{
		{},
		{SourceInfo: &info},
		{
			TxnId: strings.Repeat("\x01", 32), Region: strings.Repeat(`"`, 10), Timestamp: math.MinInt64,
			AccountId: strings.Repeat("\\", 20), Subject: strings.Repeat("\x1f", 40), Body: strings.Repeat("\x00", 1000),
			SourceType: math.MinInt, SourceInfo: &info, Signature: strings.Repeat("\u2029", 115),
			SigningPublicKeyPath: strings.Repeat("\x7f\x0b", 100),
		},
	}
	for i, m := range tests {
		b, err := m.Marshal()
		require.NoError(t, err)
		require.LessOrEqual(t, len(b), m.MarshalledLenAtMost(), "message %d", i)
	}
}

func FuzzMarshalledLenAtMost(f *testing.F) {
	f.Add("txn", "au", int64(1), "1", "CompanyAdded", `{"data":{}}`, 1, `{"key":"k"}`)
	f.Add("\x00", "\u2028", int64(math.MinInt64), "\\", `"`, "\x1f<>&", 0, "")
	f.Fuzz(func(t *testing.T, txn, region string, ts int64, account, subject, body string, source int, info string) {
		m := ivvymsg.Message{TxnId: txn, Region: region, Timestamp: ts, AccountId: account, Subject: subject,
			Body: body, SourceType: source, Signature: body, SigningPublicKeyPath: region}
		if info != "" {
			m.SourceInfo = &info
		}
		b, err := m.Marshal()
		if err != nil {
			require.ErrorIs(t, err, ivvymsg.ErrInvalidUTF8)
			require.ErrorIs(t, m.CheckUTF8(), ivvymsg.ErrInvalidUTF8)
			return
		}
		require.NoError(t, m.CheckUTF8())
		require.LessOrEqual(t, len(b), m.MarshalledLenAtMost())
	})
}
