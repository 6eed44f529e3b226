package receiver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
)

func ivvyFixture(t testing.TB) (*IvvyMessage, []byte) {
	t.Helper()
	b := fixture.Read(t, "ivvy", "inner-message-company-added.json")
	m, err := ParseIvvyMessage(b)
	require.NoError(t, err)
	return m, b
}

func ivvyFixtureKey(t testing.TB) []byte {
	t.Helper()
	return fixture.Read(t, "ivvy", "account-14-notifcert.txt")
}

func TestIvvyFixtureVerifies(t *testing.T) {
	m, _ := ivvyFixture(t)
	want := fixture.Read(t, "ivvy", "inner-message-company-added.string-to-sign.txt")
	require.Equal(t, string(want), m.StringToSign())
	require.Equal(t, int64(1710115244), m.Timestamp)
	require.Equal(t, 1, m.SourceType)
	require.NotNil(t, m.SourceInfo)
	require.Equal(t, `{"key":"TESTKEY0123456789abcdef"}`, *m.SourceInfo)

	pub, err := ParsePublicKeyPEM(ivvyFixtureKey(t))
	require.NoError(t, err)
	require.NoError(t, VerifyIvvySignature(m, pub))
}

func TestIvvyTamper(t *testing.T) {
	pub, err := ParsePublicKeyPEM(ivvyFixtureKey(t))
	require.NoError(t, err)
	flipSig := func(m *IvvyMessage) {
		sig, _ := base64.StdEncoding.DecodeString(m.Signature)
		sig[len(sig)/2] ^= 1
		m.Signature = base64.StdEncoding.EncodeToString(sig)
	}
	tests := []struct {
		name   string
		tamper func(*IvvyMessage)
		ok     bool
	}{
		{"TxnId", func(m *IvvyMessage) { m.TxnId = m.TxnId[:31] + "8" }, false},
		{"Region", func(m *IvvyMessage) { m.Region = "stagf" }, false},
		{"Timestamp", func(m *IvvyMessage) { m.Timestamp++ }, false},
		{"AccountId", func(m *IvvyMessage) { m.AccountId = "15" }, false},
		{"Subject", func(m *IvvyMessage) { m.Subject = "CompanyAddee" }, false},
		{"Body", func(m *IvvyMessage) { m.Body = m.Body[:len(m.Body)-1] + "]" }, false},
		{"Body whitespace", func(m *IvvyMessage) { m.Body += " " }, false},
		{"Body case", func(m *IvvyMessage) { m.Body = "{\"DATA\"" + m.Body[7:] }, false},
		{"Signature bit", flipSig, false},
		{"Signature truncated", func(m *IvvyMessage) { m.Signature = m.Signature[4:] }, false},
		{"Signature not base64", func(m *IvvyMessage) { m.Signature = "!" + m.Signature[1:] }, false},
		{"Signature empty", func(m *IvvyMessage) { m.Signature = "" }, false},
		// Unsigned fields.
		{"SourceType", func(m *IvvyMessage) { m.SourceType = 0 }, true},
		{"SourceInfo", func(m *IvvyMessage) { m.SourceInfo = nil }, true},
		{"SigningPublicKeyPath", func(m *IvvyMessage) { m.SigningPublicKeyPath = "/x" }, true},
		// The string to sign is lowercased, so case changes outside Body pass.
		{"Subject case", func(m *IvvyMessage) { m.Subject = "COMPANYADDED" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := ivvyFixture(t)
			tt.tamper(m)
			err := VerifyIvvySignature(m, pub)
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrIvvySignature)
			}
		})
	}
}

func TestIvvyReencodedJSONVerifies(t *testing.T) {
	// The signature covers decoded field values, not JSON bytes.
	_, b := ivvyFixture(t)
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, b))
	reenc := bytes.Replace(buf.Bytes(), []byte(`"stage"`), []byte(`"\u0073tage"`), 1)
	m, err := ParseIvvyMessage(reenc)
	require.NoError(t, err)
	pub, err := ParsePublicKeyPEM(ivvyFixtureKey(t))
	require.NoError(t, err)
	require.NoError(t, VerifyIvvySignature(m, pub))
}

// ivvyJSON returns the fixture with field set to the raw JSON value (or
// removed when value is "").
func ivvyJSON(t *testing.T, field, value string) []byte {
	t.Helper()
	_, b := ivvyFixture(t)
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &obj))
	if value == "" {
		delete(obj, field)
	} else {
		obj[field] = json.RawMessage(value)
	}
	out, err := json.Marshal(obj)
	require.NoError(t, err)
	return out
}

func TestParseIvvyMessageStrict(t *testing.T) {
	_, fix := ivvyFixture(t)
	tests := []struct {
		name, input, field string // field: the field the error must name
	}{
		{"empty", ``, ""},
		{"array", `[]`, ""},
		{"string", `"x"`, ""},
		{"null", `null`, ""},
		{"trailing data", string(fix) + `{}`, ""},
		{"truncated", string(fix[:len(fix)-3]), ""},
		{"invalid UTF-8", string(ivvyJSON(t, "Region", "\"st\xffage\"")), ""},
		{"Timestamp float", string(ivvyJSON(t, "Timestamp", `1710115244.0`)), "Timestamp"},
		{"Timestamp exponent", string(ivvyJSON(t, "Timestamp", `1.710115244e9`)), "Timestamp"},
		{"Timestamp string", string(ivvyJSON(t, "Timestamp", `"1710115244"`)), "Timestamp"},
		{"Timestamp null", string(ivvyJSON(t, "Timestamp", `null`)), "Timestamp"},
		{"Timestamp overflow", string(ivvyJSON(t, "Timestamp", `9223372036854775808`)), "Timestamp"},
		{"Timestamp missing", string(ivvyJSON(t, "Timestamp", "")), "Timestamp"},
		{"SourceType float", string(ivvyJSON(t, "SourceType", `1.5`)), "SourceType"},
		{"SourceType string", string(ivvyJSON(t, "SourceType", `"1"`)), "SourceType"},
		{"SourceInfo object", string(ivvyJSON(t, "SourceInfo", `{"key":"k"}`)), "SourceInfo"},
		{"SourceInfo number", string(ivvyJSON(t, "SourceInfo", `1`)), "SourceInfo"},
		{"SourceInfo missing", string(ivvyJSON(t, "SourceInfo", "")), "SourceInfo"},
		{"TxnId number", string(ivvyJSON(t, "TxnId", `1`)), "TxnId"},
		{"Region null", string(ivvyJSON(t, "Region", `null`)), "Region"},
		{"AccountId number", string(ivvyJSON(t, "AccountId", `14`)), "AccountId"},
		{"Subject array", string(ivvyJSON(t, "Subject", `["CompanyAdded"]`)), "Subject"},
		{"Body object", string(ivvyJSON(t, "Body", `{"data":{}}`)), "Body"},
		{"Signature missing", string(ivvyJSON(t, "Signature", "")), "Signature"},
		{"SigningPublicKeyPath bool", string(ivvyJSON(t, "SigningPublicKeyPath", `true`)), "SigningPublicKeyPath"},
		{"duplicate key", `{"Region":"a",` + string(fix[1:]), "Region"},
		{"case variant key", `{"region":"a",` + string(fix[1:]), "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseIvvyMessage([]byte(tt.input))
			require.Nil(t, m)
			require.ErrorIs(t, err, ErrMalformedIvvyMessage)
			if tt.field != "" {
				require.Contains(t, err.Error(), `"`+tt.field+`"`)
			}
		})
	}
}

func TestParseIvvyMessageLenient(t *testing.T) {
	for name, input := range map[string][]byte{
		"SourceInfo null":  ivvyJSON(t, "SourceInfo", `null`),
		"unknown key":      ivvyJSON(t, "Extra", `{"a":[1,2]}`),
		"negative integer": ivvyJSON(t, "SourceType", `-0`),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseIvvyMessage(input)
			require.NoError(t, err)
		})
	}
}

func TestParsePublicKeyPEM(t *testing.T) {
	pkix, err := ParsePublicKeyPEM(ivvyFixtureKey(t))
	require.NoError(t, err)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		return b
	}
	pkcs1, err := ParsePublicKeyPEM(read("ivvy-account-14-pkcs1.pem"))
	require.NoError(t, err)
	require.True(t, pkix.Equal(pkcs1))

	for name, input := range map[string][]byte{
		"empty":      nil,
		"not PEM":    []byte("hello"),
		"EC key":     read("ivvy-ec-public-key.pem"),
		"wrong type": bytes.Replace(ivvyFixtureKey(t), []byte("PUBLIC KEY"), []byte("CERTIFICATE"), 2),
		"bad DER":    []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
		"bad PKCS#1": []byte("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePublicKeyPEM(input)
			require.ErrorIs(t, err, ErrIvvyPublicKey)
		})
	}
}

func TestVerifyIvvySignatureNil(t *testing.T) {
	m, _ := ivvyFixture(t)
	require.ErrorIs(t, VerifyIvvySignature(m, nil), ErrIvvySignature)
	require.ErrorIs(t, VerifyIvvySignature(nil, nil), ErrIvvySignature)
}

func FuzzParseIvvyMessage(f *testing.F) {
	_, fix := ivvyFixture(f)
	f.Add(fix)
	f.Add([]byte(`{"TxnId":"","Region":"","Timestamp":0,"AccountId":"","Subject":"","Body":"","SourceType":0,"SourceInfo":null,"Signature":"","SigningPublicKeyPath":""}`))
	pub, err := ParsePublicKeyPEM(ivvyFixtureKey(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseIvvyMessage(b)
		if err != nil {
			if m != nil || !errors.Is(err, ErrMalformedIvvyMessage) {
				t.Fatalf("ParseIvvyMessage = %v, %v", m, err)
			}
			return
		}
		_ = m.StringToSign()
		if VerifyIvvySignature(m, pub) == nil && !bytes.Equal(b, fix) {
			// Only a message with the fixture's signed values may verify.
			want, _ := ParseIvvyMessage(fix)
			if m.StringToSign() != want.StringToSign() {
				t.Fatalf("forged message verified: %q", b)
			}
		}
		// Re-encoding a parsed message must parse back to the same values.
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := ParseIvvyMessage(out)
		if err != nil {
			t.Fatalf("re-parse %s: %v", out, err)
		}
		a, b2 := *m, *m2
		a.SourceInfo, b2.SourceInfo = nil, nil
		sameInfo := (m.SourceInfo == nil) == (m2.SourceInfo == nil) &&
			(m.SourceInfo == nil || *m.SourceInfo == *m2.SourceInfo)
		if a != b2 || !sameInfo {
			t.Fatalf("round trip changed %+v to %+v", m, m2)
		}
	})
}
