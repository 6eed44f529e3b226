package webhookurl_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// How an address fares under a Policy without and with AllowPrivate.
const (
	public  = iota // allowed by both policies
	private        // refused unless AllowPrivate
	always         // refused by both
)

func TestIsAllowedIP(t *testing.T) {
	for _, c := range []struct {
		ip    string
		want  int
		class string
	}{
		{"93.184.215.14", public, ""},
		{"8.8.8.8", public, ""},
		{"2606:4700:4700::1111", public, ""},
		{"192.0.2.10", public, ""}, // TEST-NETs count as public, see ip.go
		{"198.51.100.7", public, ""},
		{"203.0.113.99", public, ""},
		{"2001:db8::1", public, ""},
		{"172.15.255.255", public, ""},
		{"172.32.0.0", public, ""},
		{"100.63.255.255", public, ""},
		{"100.128.0.0", public, ""},
		{"169.253.255.255", public, ""},
		{"223.255.255.255", public, ""},
		{"::ffff:8.8.8.8", public, ""},
		{"64:ff9b::808:808", public, ""},

		{"127.0.0.1", private, "127.0.0.1 is a loopback address"},
		{"127.255.255.254", private, "loopback"},
		{"::1", private, "::1 is a loopback address"},
		{"10.0.0.1", private, "10.0.0.1 is a private address"},
		{"172.16.0.1", private, "private"},
		{"172.31.255.255", private, "private"},
		{"192.168.1.1", private, "private"},
		{"fc00::1", private, "unique local"},
		{"fd12:3456::1", private, "unique local"},
		{"169.254.1.1", private, "169.254.1.1 is a link-local address"},
		{"fe80::1", private, "link-local"},
		{"fe80::1%eth0", private, "fe80::1 is a link-local address"},
		{"febf::1", private, "link-local"},
		{"fec0::1", private, "site-local"},
		{"100.64.0.1", private, "CGNAT"},
		{"100.127.255.255", private, "CGNAT"},
		{"198.18.0.1", private, "benchmarking"},
		{"192.0.0.8", private, "IETF"},
		{"64:ff9b:1::a00:1", private, "local-use NAT64"},

		{"169.254.169.254", always, "169.254.169.254 is a cloud metadata address"},
		{"169.254.170.2", always, "metadata"},
		{"100.100.100.200", always, "metadata"},
		{"fd00:ec2::254", always, "metadata"},
		{"0.0.0.0", always, "0.0.0.0 is an unspecified address"},
		{"::", always, ":: is an unspecified address"},
		{"0.1.2.3", always, "this-network"},
		{"255.255.255.255", always, "broadcast"},
		{"224.0.0.1", always, "multicast"},
		{"239.255.255.250", always, "multicast"},
		{"ff02::1", always, "multicast"},
		{"240.0.0.1", always, "reserved"},
		{"250.1.2.3", always, "reserved"},
		{"100::1", always, "discard-only"},

		// IPv4 embedded in IPv6 cannot bypass the checks.
		{"::ffff:127.0.0.1", private, "::ffff:127.0.0.1 (127.0.0.1) is a loopback address"},
		{"::ffff:10.1.2.3", private, "private"},
		{"::ffff:169.254.169.254", always, "metadata"},
		{"::ffff:0.0.0.0", always, "unspecified"},
		{"::ffff:0:127.0.0.1", private, "loopback"}, // IPv4-translated
		{"::127.0.0.1", private, "loopback"},        // IPv4-compatible
		{"::0.0.0.2", always, "this-network"},
		{"64:ff9b::127.0.0.1", private, "64:ff9b::7f00:1 (127.0.0.1) is a loopback address"},
		{"64:ff9b::a9fe:a9fe", always, "metadata"},
		{"64:ff9b::c0a8:101", private, "private"},
		{"2002:7f00:1::1", private, "loopback"},                       // 6to4
		{"2002:a9fe:a9fe::", always, "metadata"},                      // 6to4
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", private, "loopback"}, // Teredo client 127.0.0.1
	} {
		t.Run(c.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(c.ip)
			for _, allowPrivate := range []bool{false, true} {
				err := webhookurl.Policy{AllowPrivate: allowPrivate}.IsAllowedIP(ip)
				if c.want == public || c.want == private && allowPrivate {
					require.NoError(t, err, "AllowPrivate=%v", allowPrivate)
					continue
				}
				require.ErrorIs(t, err, webhookurl.ErrForbiddenAddress, "AllowPrivate=%v", allowPrivate)
				require.Contains(t, err.Error(), c.class)
			}
		})
	}
}

func TestIsAllowedIPInvalid(t *testing.T) {
	err := webhookurl.Policy{AllowPrivate: true}.IsAllowedIP(netip.Addr{})
	require.ErrorIs(t, err, webhookurl.ErrForbiddenAddress)
}
