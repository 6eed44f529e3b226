package webhookurl

import (
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLength is the longest webhook URL accepted, in bytes.
const MaxLength = 2048

// Parse applies the syntactic rules for a webhook URL: absolute, scheme http
// or https, a host, a port (if any) from 1 to 65535 without leading zeros, no
// fragment, at most MaxLength bytes, valid UTF-8 without whitespace, control
// or invisible formatting characters. User info (https://user:pass@host/) is
// allowed. The host must be a DNS-style name (letters, digits, '-', '_',
// non-ASCII letters; no empty label), a bracketed IPv6 address without zone,
// or a canonical dotted-quad IPv4 address: a host whose last label is
// numeric ("2130706433", "0x7f.1", "127.1", "01.2.3.4") is rejected, as
// resolvers and browsers disagree on what it means.
//
// Normalisation: the scheme and the ASCII letters of the host are
// lowercased; nothing else is changed (no default-port, path or IPv6
// canonicalisation). The String() of the result is the form to store and
// compare; it equals raw when raw was already normal (lowercase scheme and
// host, ASCII host, characters net/url need not escape). A non-ASCII host is
// rendered percent-encoded by net/url; net/http converts it with IDNA when
// connecting. Errors match ErrInvalidURL.
func Parse(raw string) (*url.URL, error) {
	switch {
	case raw == "":
		return nil, invalidf("must not be empty")
	case len(raw) > MaxLength:
		return nil, invalidf("must be at most %d bytes long", MaxLength)
	case !utf8.ValidString(raw):
		return nil, invalidf("must be valid UTF-8")
	case strings.IndexFunc(raw, badRune) >= 0:
		return nil, invalidf("must not contain whitespace, control or invisible formatting characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error would repeat the URL, password included
		}
		return nil, invalidf("is not a valid URL: %v", err)
	}
	switch {
	case u.Scheme == "":
		return nil, invalidf("must be an absolute http or https URL")
	case u.Scheme != "http" && u.Scheme != "https": // url.Parse lowercases it
		return nil, invalidf("scheme must be http or https, not %q", u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return nil, invalidf("must be an absolute http or https URL with a host")
	case strings.ContainsRune(raw, '#'):
		return nil, invalidf("must not contain a fragment (#…)")
	}
	if !validPort(u) {
		return nil, invalidf("port must be a number from 1 to 65535")
	}
	if err := checkHostname(u.Hostname(), strings.HasPrefix(u.Host, "[")); err != nil {
		return nil, err
	}
	u.Host = lowerASCII(u.Host)
	if len(u.String()) > MaxLength { // escaping can lengthen it
		return nil, invalidf("must be at most %d bytes long", MaxLength)
	}
	return u, nil
}

func validPort(u *url.URL) bool {
	if strings.HasSuffix(u.Host, ":") {
		return false // "host:" has an empty port
	}
	p := u.Port()
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && p[0] != '0' && n >= 1 && n <= 65535
}

// checkHostname checks a host as returned by url.URL.Hostname.
func checkHostname(h string, bracketed bool) error {
	if h == "" {
		return invalidf("must include a host")
	}
	if bracketed {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() {
			return invalidf("host [%s] is not a valid IPv6 address", h)
		}
		if a.Zone() != "" {
			return invalidf("host [%s] must not contain an IPv6 zone", h)
		}
		return nil
	}
	if !utf8.ValidString(h) || strings.IndexFunc(h, badHostRune) >= 0 {
		return invalidf("host %q contains characters not allowed in a host name", h)
	}
	labels := strings.Split(strings.TrimSuffix(h, "."), ".")
	for _, l := range labels {
		if l == "" {
			return invalidf("host %q has an empty label", h)
		}
	}
	if numericLabel(labels[len(labels)-1]) {
		if a, err := netip.ParseAddr(h); err != nil || !a.Is4() {
			return invalidf("host %q looks numeric but is not a dotted-quad IPv4 address (a.b.c.d)", h)
		}
		return nil
	}
	ascii := toASCII(h)
	if len(strings.TrimSuffix(ascii, ".")) > 253 {
		return invalidf("host %q is longer than 253 bytes", h)
	}
	for _, l := range strings.Split(ascii, ".") {
		if len(l) > 63 {
			return invalidf("host %q has a label longer than 63 bytes", h)
		}
	}
	return nil
}

// numericLabel reports whether a label is a number as inet_aton and the
// WHATWG URL standard read it: decimal, octal (leading 0) or hex (0x…).
func numericLabel(l string) bool {
	if len(l) >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X') {
		return strings.IndexFunc(l[2:], func(r rune) bool { return !isHex(r) }) < 0
	}
	return strings.IndexFunc(l, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func isHex(r rune) bool {
	return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'
}

// badRune reports whitespace, control and invisible formatting characters.
func badRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// badHostRune reports a character not allowed in a host name. Besides ASCII
// letters, digits, '-', '_' and '.', non-ASCII characters are allowed except
// the ones IDNA maps to ASCII punctuation or digits (ideographic and
// fullwidth full stops, fullwidth ASCII), which could disguise an address.
func badHostRune(r rune) bool {
	if r < utf8.RuneSelf {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			r == '-' || r == '_' || r == '.')
	}
	return badRune(r) || r == '\u3002' || r == '\uff61' || ('\uff01' <= r && r <= '\uff5e')
}

func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
