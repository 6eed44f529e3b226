package webhookurl

import (
	"fmt"
	"net/netip"
)

// addrClass is a range of addresses a webhook may not reach.
type addrClass struct {
	prefix netip.Prefix
	name   string // with its article: "a loopback address"
	always bool   // refused even when Policy.AllowPrivate is set
}

func class(prefix, name string, always bool) addrClass {
	return addrClass{netip.MustParsePrefix(prefix), name, always}
}

// classes is searched in order, so specific ranges come first. The
// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) are deliberately absent: they are not routed on the
// Internet, so they give no SSRF reach, and they are the conventional
// stand-ins for public addresses in tests and examples.
var classes = []addrClass{
	class("169.254.169.254/32", "a cloud metadata address", true), // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack
	class("169.254.170.2/32", "a cloud metadata address", true),   // AWS ECS task credentials
	class("169.254.170.23/32", "a cloud metadata address", true),  // AWS EKS Pod Identity
	class("169.254.0.23/32", "a cloud metadata address", true),    // Tencent Cloud
	class("100.100.100.200/32", "a cloud metadata address", true), // Alibaba Cloud
	class("192.0.0.192/32", "a cloud metadata address", true),     // Oracle Cloud (legacy)
	class("fd00:ec2::254/128", "a cloud metadata address", true),  // AWS IMDS over IPv6
	class("fd00:ec2::23/128", "a cloud metadata address", true),   // AWS EKS Pod Identity over IPv6
	class("0.0.0.0/32", "an unspecified address", true),
	class("::/128", "an unspecified address", true),
	class("255.255.255.255/32", "a broadcast address", true),
	class("0.0.0.0/8", "a this-network (0.0.0.0/8) address", true),
	class("224.0.0.0/4", "a multicast address", true),
	class("ff00::/8", "a multicast address", true),
	class("240.0.0.0/4", "a reserved address", true),
	class("100::/64", "a discard-only address", true),
	class("127.0.0.0/8", "a loopback address", false),
	class("::1/128", "a loopback address", false),
	class("10.0.0.0/8", "a private address", false),
	class("172.16.0.0/12", "a private address", false),
	class("192.168.0.0/16", "a private address", false),
	class("fc00::/7", "a unique local (private) address", false),
	class("169.254.0.0/16", "a link-local address", false),
	class("fe80::/10", "a link-local address", false),
	class("fec0::/10", "a site-local address", false),
	class("100.64.0.0/10", "a shared (CGNAT) address", false),
	class("192.0.0.0/24", "an IETF protocol assignment address", false),
	class("198.18.0.0/15", "a benchmarking address", false),
	class("64:ff9b:1::/48", "a local-use NAT64 address", false),
}

// IPv6 ranges that carry an IPv4 address, which is checked in their place.
var (
	translated = netip.MustParsePrefix("::ffff:0:0:0/96") // RFC 2765
	compatible = netip.MustParsePrefix("::/96")           // deprecated IPv4-compatible
	nat64      = netip.MustParsePrefix("64:ff9b::/96")    // RFC 6052
	sixToFour  = netip.MustParsePrefix("2002::/16")       // RFC 3056
	teredo     = netip.MustParsePrefix("2001::/32")       // RFC 4380
)

// IsAllowedIP reports (as a nil error) whether a webhook may connect to ip.
// Unless p.AllowPrivate is set it refuses loopback, private (RFC 1918, IPv6
// ULA), link-local, site-local, shared CGNAT (100.64.0.0/10), benchmarking
// and IETF protocol assignment addresses. It always refuses unspecified,
// this-network (0.0.0.0/8), broadcast, multicast, reserved (240.0.0.0/4),
// discard-only and cloud metadata addresses: a local-testing flag has no
// reason to reach a metadata service. An IPv4 address embedded in IPv6
// (IPv4-mapped, -translated, -compatible, NAT64 64:ff9b::/96, 6to4, Teredo)
// is checked as that IPv4 address. A zone is ignored. The error names the
// address and its class ("127.0.0.1 is a loopback address") and matches
// ErrForbiddenAddress. A net.IP converts with netip.AddrFromSlice.
func (p Policy) IsAllowedIP(ip netip.Addr) error {
	if !ip.IsValid() {
		return forbiddenf("invalid IP address")
	}
	ip = ip.WithZone("")
	if c, ok := classify(ip); ok {
		return p.refuse(ip.String(), c)
	}
	if v4, ok := embeddedIPv4(ip); ok {
		if c, ok := classify(v4); ok {
			return p.refuse(fmt.Sprintf("%s (%s)", ip, v4), c)
		}
	}
	return nil
}

func (p Policy) refuse(who string, c addrClass) error {
	if p.AllowPrivate && !c.always {
		return nil
	}
	if !c.always {
		return privatef("%s is %s", who, c.name)
	}
	return forbiddenf("%s is %s", who, c.name)
}

func classify(ip netip.Addr) (addrClass, bool) {
	for _, c := range classes {
		if c.prefix.Contains(ip) {
			return c, true
		}
	}
	return addrClass{}, false
}

func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case ip.Is4In6(), translated.Contains(ip), compatible.Contains(ip), nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	case teredo.Contains(ip): // the client address, stored inverted
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), true
	}
	return netip.Addr{}, false
}
