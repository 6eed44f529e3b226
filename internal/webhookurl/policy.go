package webhookurl

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// ResolveTimeout bounds the host name lookup of Policy.Check.
const ResolveTimeout = 2 * time.Second

// Resolver looks host names up; *net.Resolver satisfies it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Policy says which addresses webhooks may reach. The zero Policy refuses
// every non-public address and resolves with net.DefaultResolver.
type Policy struct {
	// AllowPrivate (the server's --allow-private-endpoints) allows loopback,
	// private, link-local and the other local ranges, for local testing.
	// Metadata, unspecified, multicast, broadcast and reserved addresses
	// stay refused; see IsAllowedIP.
	AllowPrivate bool

	// Resolver looks host names up for Check; nil means net.DefaultResolver.
	Resolver Resolver
}

// Check is the subscribe-time check of a webhook URL. It re-applies Parse's
// rules (errors match ErrInvalidURL), then checks the host: an IP literal
// with IsAllowedIP; "localhost" and names under ".localhost" as loopback;
// any other name is resolved (within ResolveTimeout) and refused if ANY of
// its addresses is refused. A name that does not resolve, or resolves to no
// address, is an error matching ErrUnresolvable unless p.AllowPrivate is
// set, as local test names often resolve only later. Refusals match
// ErrForbiddenAddress. If ctx ends first, its error is returned.
//
// Check cannot stop a name from resolving differently later; the delivery
// side must connect through Transport (DialControl), which checks again.
func (p Policy) Check(ctx context.Context, u *url.URL) error {
	if u == nil {
		return invalidf("must be an absolute http or https URL")
	}
	v, err := Parse(u.String())
	if err != nil {
		return err
	}
	host := v.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil { // Parse allows only canonical literals
		return p.IsAllowedIP(ip)
	}
	if isLocalhost(host) {
		if p.AllowPrivate {
			return nil
		}
		return privatef("%s is a loopback name", host)
	}
	r := p.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	lctx, cancel := context.WithTimeout(ctx, ResolveTimeout)
	defer cancel()
	addrs, err := r.LookupIPAddr(lctx, toASCII(host))
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil || len(addrs) == 0 {
		if p.AllowPrivate {
			return nil
		}
		return newError(ErrUnresolvable, err, "host %s does not resolve", host)
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok {
			return forbiddenf("host %s resolves to an invalid address", host)
		}
		if err := p.IsAllowedIP(ip.Unmap()); err != nil {
			return &reasonError{msg: fmt.Sprintf("host %s: %s", host, err), errs: []error{err}}
		}
	}
	return nil
}

// isLocalhost reports the names RFC 6761 reserves for loopback.
func isLocalhost(host string) bool {
	h := strings.TrimSuffix(lowerASCII(host), ".")
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}
