package receiver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// fixtureKeyPath is the SigningPublicKeyPath of the iVvy fixture.
const fixtureKeyPath = "/accounts/14/1537854341/notifcert.txt"

// otherKeyPath serves the same key outside the /accounts/{id}/ layout.
const otherKeyPath = "/shared/notifcert.txt"

// keyServer serves the fixture account key below /keys and counts requests.
type keyServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	hits map[string]int
	body []byte
}

func newKeyServer(t *testing.T) *keyServer {
	ks := &keyServer{hits: map[string]int{}, body: fixture.Read(t, "ivvy", "account-14-notifcert.txt")}
	ks.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.mu.Lock()
		ks.hits[r.URL.Path]++
		body := ks.body
		ks.mu.Unlock()
		if r.URL.Path != "/keys"+fixtureKeyPath && r.URL.Path != "/keys"+otherKeyPath {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(ks.srv.Close)
	return ks
}

func (ks *keyServer) hitCount() int {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	n := 0
	for _, c := range ks.hits {
		n += c
	}
	return n
}

func (ks *keyServer) verifier(t *testing.T, base string) *receiver.Verifier {
	v, err := receiver.NewVerifier(receiver.Options{KeyBaseURL: ks.srv.URL + base, AllowHTTP: true})
	require.NoError(t, err)
	return v
}

func innerFixture(t *testing.T) *receiver.IvvyMessage {
	m, err := receiver.ParseIvvyMessage(fixture.Read(t, "ivvy", "inner-message-company-added.json"))
	require.NoError(t, err)
	return m
}

func TestVerifyIvvy_AcceptsFixture(t *testing.T) {
	ks := newKeyServer(t)
	for _, base := range []string{"/keys", "/keys/"} {
		v := ks.verifier(t, base)
		require.NoError(t, v.VerifyIvvy(context.Background(), innerFixture(t)), base)
		require.NoError(t, v.VerifyIvvy(context.Background(), innerFixture(t)), base)
	}
	require.Equal(t, 2, ks.hitCount(), "one fetch per Verifier: keys are cached")
}

func TestVerifyIvvy_RejectsTampering(t *testing.T) {
	ks := newKeyServer(t)
	v := ks.verifier(t, "/keys")
	tamper := map[string]func(*receiver.IvvyMessage){
		"TxnId":                             func(m *receiver.IvvyMessage) { m.TxnId = "c" + m.TxnId[1:] },
		"Region":                            func(m *receiver.IvvyMessage) { m.Region = "stagf" },
		"Timestamp":                         func(m *receiver.IvvyMessage) { m.Timestamp++ },
		"AccountId":                         func(m *receiver.IvvyMessage) { m.AccountId = "15"; m.SigningPublicKeyPath = otherKeyPath },
		"AccountId, key path of account 14": func(m *receiver.IvvyMessage) { m.AccountId = "15" },
		"Subject":                           func(m *receiver.IvvyMessage) { m.Subject = "CompanyAdder" },
		"Signature":                         func(m *receiver.IvvyMessage) { m.Signature = "A" + m.Signature[1:] },
		"Signature not base64":              func(m *receiver.IvvyMessage) { m.Signature = "*" },
	}
	for i := range len(innerFixture(t).Body) {
		tamper[fmt.Sprintf("Body byte %d", i)] = func(m *receiver.IvvyMessage) {
			b := []byte(m.Body)
			b[i] ^= 0x01
			m.Body = string(b)
		}
	}
	for name, change := range tamper {
		m := innerFixture(t)
		change(m)
		err := v.VerifyIvvy(context.Background(), m)
		requireCheck(t, err, receiver.CheckInnerSignature, name)
		require.ErrorIs(t, err, receiver.ErrIvvySignature, name)
	}

	// Unsigned fields may change; the key path may name another copy of the key.
	m := innerFixture(t)
	m.SourceType, m.SourceInfo, m.SigningPublicKeyPath = 0, nil, otherKeyPath
	require.NoError(t, v.VerifyIvvy(context.Background(), m))
}

func TestVerifyIvvy_RefusesKeyPaths(t *testing.T) {
	ks := newKeyServer(t)
	v := ks.verifier(t, "/keys")
	for _, path := range []string{
		"../x", "/../keys" + fixtureKeyPath, "/accounts/14/../14/1537854341/notifcert.txt",
		"http://evil.test/key.pem", "https://evil.test" + fixtureKeyPath, "//evil.test" + fixtureKeyPath,
		"/accounts//14/1/notifcert.txt", "/accounts/14/1/notifcert.txt?x=1", "/accounts/14/1/n#x",
		"/a%2e%2e/x", `/accounts\14`, "/accounts/14/1/notif cert.txt", "", "/",
		"accounts/14/1537854341/notifcert.txt", "/accounts/15/1537854341/notifcert.txt",
		"/accounts/1/1537854341/notifcert.txt", "/" + strings.Repeat("a", 1024),
	} {
		m := innerFixture(t)
		m.SigningPublicKeyPath = path
		err := v.VerifyIvvy(context.Background(), m)
		requireCheck(t, err, receiver.CheckInnerSignature, path)
		require.Contains(t, err.Error(), "refused", path)
	}
	require.Equal(t, 0, ks.hitCount(), "refused paths are never fetched")
}

func TestVerifyIvvy_KeyFetchFailures(t *testing.T) {
	ks := newKeyServer(t)
	v := ks.verifier(t, "/keys")
	m := innerFixture(t)
	m.SigningPublicKeyPath = "/accounts/14/1/notifcert.txt" // 404
	err := v.VerifyIvvy(context.Background(), m)
	requireCheck(t, err, receiver.CheckKeyFetch)
	require.ErrorIs(t, err, receiver.ErrKeyFetch)

	ks.mu.Lock()
	ks.body = []byte("not a key")
	ks.mu.Unlock()
	err = v.VerifyIvvy(context.Background(), innerFixture(t))
	requireCheck(t, err, receiver.CheckKeyFetch)
	require.ErrorIs(t, err, receiver.ErrIvvyPublicKey)

	noBase, err := receiver.NewVerifier(receiver.Options{})
	require.NoError(t, err)
	err = noBase.VerifyIvvy(context.Background(), innerFixture(t))
	requireCheck(t, err, receiver.CheckKeyFetch)
	require.Contains(t, err.Error(), "KeyBaseURL")
	requireCheck(t, noBase.VerifyIvvy(context.Background(), nil), receiver.CheckMalformed)
}
