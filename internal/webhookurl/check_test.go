package webhookurl_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// fakeResolver answers from a table and never touches the network.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	err     error
	asked   []string
	block   bool // wait for the context to end
}

func (r *fakeResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	r.asked = append(r.asked, host)
	r.mu.Unlock()
	if r.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > webhookurl.ResolveTimeout {
		return nil, errors.New("lookup without the resolve timeout")
	}
	ips, ok := r.answers[strings.TrimSuffix(host, ".")] // "x." is "x" made absolute
	if !ok {
		if r.err != nil {
			return nil, r.err
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, s := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(s)})
	}
	return out, nil
}

func newResolver() *fakeResolver {
	return &fakeResolver{answers: map[string][]string{
		"public.example":         {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
		"testnet.example":        {"192.0.2.10"},
		"mixed.example":          {"93.184.215.14", "10.0.0.7"},
		"internal.example":       {"192.168.1.20"},
		"metadata.example":       {"169.254.169.254"},
		"mapped.example":         {"::ffff:127.0.0.1"},
		"empty.example":          {},
		"xn--bcher-kva.example":  {"93.184.215.14"},
		"xn--mnchen-3ya.example": {"127.0.0.1"},
	}}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

func TestCheck(t *testing.T) {
	const ok, forbidden, unresolvable, invalid = "ok", "forbidden", "unresolvable", "invalid"
	for _, c := range []struct {
		url           string
		strict, loose string // outcome without and with AllowPrivate
		msg           string
	}{
		{"https://public.example/hook", ok, ok, ""},
		{"https://testnet.example/hook", ok, ok, ""},
		{"https://PUBLIC.example./hook", ok, ok, ""},
		{"https://93.184.215.14/hook", ok, ok, ""},
		{"https://[2606:4700:4700::1111]:8443/", ok, ok, ""},
		{"https://bücher.example/", ok, ok, ""},
		{"https://mixed.example/", forbidden, ok, "host mixed.example: 10.0.0.7 is a private address"},
		{"https://internal.example/", forbidden, ok, "private"},
		{"https://mapped.example/", forbidden, ok, "127.0.0.1"},
		{"https://münchen.example/", forbidden, ok, "loopback"},
		{"https://metadata.example/", forbidden, forbidden, "169.254.169.254 is a cloud metadata address"},
		{"http://127.0.0.1:8080/", forbidden, ok, "127.0.0.1 is a loopback address"},
		{"http://[::1]/", forbidden, ok, "::1 is a loopback address"},
		{"http://[::ffff:7f00:1]/", forbidden, ok, "loopback"},
		{"http://[64:ff9b::a00:1]/", forbidden, ok, "private"},
		{"http://169.254.169.254/latest/meta-data/", forbidden, forbidden, "metadata"},
		{"http://[fd00:ec2::254]/", forbidden, forbidden, "metadata"},
		{"http://0.0.0.0/", forbidden, forbidden, "unspecified"},
		{"http://localhost:8080/", forbidden, ok, "localhost is a loopback name"},
		{"http://LocalHost./", forbidden, ok, "loopback name"},
		{"http://api.localhost/", forbidden, ok, "loopback name"},
		{"https://nowhere.example/", unresolvable, ok, "host nowhere.example does not resolve"},
		{"https://empty.example/", unresolvable, ok, "does not resolve"},
		{"http://2130706433/", invalid, invalid, "dotted-quad"},
		{"http://0x7f.1/", invalid, invalid, "dotted-quad"},
		{"http://017700000001/", invalid, invalid, "dotted-quad"},
		{"http://127.1/", invalid, invalid, "dotted-quad"},
		{"ftp://public.example/", invalid, invalid, "scheme"},
	} {
		t.Run(c.url, func(t *testing.T) {
			for _, loose := range []bool{false, true} {
				want := map[bool]string{false: c.strict, true: c.loose}[loose]
				r := newResolver()
				err := webhookurl.Policy{AllowPrivate: loose, Resolver: r}.Check(context.Background(), mustURL(t, c.url))
				switch want {
				case ok:
					require.NoError(t, err, "AllowPrivate=%v", loose)
					continue
				case forbidden:
					require.ErrorIs(t, err, webhookurl.ErrForbiddenAddress)
					require.NotErrorIs(t, err, webhookurl.ErrInvalidURL)
				case unresolvable:
					require.ErrorIs(t, err, webhookurl.ErrUnresolvable)
					require.ErrorIs(t, err, webhookurl.ErrInvalidURL)
				case invalid:
					require.ErrorIs(t, err, webhookurl.ErrInvalidURL)
					require.Empty(t, r.asked, "a rejected URL is not looked up")
				}
				require.Contains(t, err.Error(), c.msg, "AllowPrivate=%v", loose)
			}
		})
	}
}

func TestCheckLooksUpPunycode(t *testing.T) {
	r := newResolver()
	require.NoError(t, webhookurl.Policy{Resolver: r}.Check(context.Background(), mustURL(t, "https://BÜcher.example/")))
	require.Equal(t, []string{"xn--bcher-kva.example"}, r.asked)
}

func TestCheckLiteralsAndLocalhostAreNotLookedUp(t *testing.T) {
	r := newResolver()
	p := webhookurl.Policy{Resolver: r}
	for _, raw := range []string{"http://93.184.215.14/", "http://[2001:db8::1]/", "http://localhost/", "http://x.localhost/"} {
		_ = p.Check(context.Background(), mustURL(t, raw))
	}
	require.Empty(t, r.asked)
}

func TestCheckResolverError(t *testing.T) {
	r := newResolver()
	r.err = errors.New("server misbehaving")
	err := webhookurl.Policy{Resolver: r}.Check(context.Background(), mustURL(t, "https://flaky.example/"))
	require.ErrorIs(t, err, webhookurl.ErrUnresolvable)
	require.ErrorIs(t, err, r.err, "the cause is kept")
	require.NoError(t, webhookurl.Policy{AllowPrivate: true, Resolver: r}.Check(context.Background(), mustURL(t, "https://flaky.example/")))
}

func TestCheckTimeoutAndCancel(t *testing.T) {
	r := newResolver()
	r.block = true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := webhookurl.Policy{AllowPrivate: true, Resolver: r}.Check(ctx, mustURL(t, "https://slow.example/"))
	require.ErrorIs(t, err, context.DeadlineExceeded, "the caller's deadline is reported, even with AllowPrivate")
	require.NotErrorIs(t, err, webhookurl.ErrInvalidURL)
}

func TestCheckNil(t *testing.T) {
	require.ErrorIs(t, webhookurl.Policy{}.Check(context.Background(), nil), webhookurl.ErrInvalidURL)
}
