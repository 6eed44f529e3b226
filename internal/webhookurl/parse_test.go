package webhookurl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

func TestParseValid(t *testing.T) {
	for _, raw := range []string{
		"http://example.com",
		"https://example.com/hook",
		"https://example.com:8443/hook",
		"http://example.com:1/",
		"https://example.com:65535/",
		"https://example.com/a/b/c.php",
		"https://example.com/hook?account=41&x=%20y",
		"https://example.com/hook?",
		"https://user:pass@example.com/hook",
		"https://user@example.com/",
		"https://hooks.example.com./hook",
		"https://under_score.example.com/",
		"https://93.184.215.14/hook",
		"https://[2001:db8::1]/hook",
		"https://[2001:db8::1]:8443/hook",
		"https://[::ffff:93.184.215.14]/",
		"https://example.com/%7Euser/%41",
		"https://xn--bcher-kva.example/",
		"https://example.com/" + strings.Repeat("a", webhookurl.MaxLength-len("https://example.com/")),
	} {
		t.Run(raw[:min(len(raw), 60)], func(t *testing.T) {
			u, err := webhookurl.Parse(raw)
			require.NoError(t, err)
			require.Equal(t, raw, u.String(), "an already normal URL is stored as sent")
		})
	}
}

func TestParseNormalises(t *testing.T) {
	for raw, want := range map[string]string{
		"HTTPS://Example.COM/Hook?Q=A":  "https://example.com/Hook?Q=A",
		"Http://[2001:DB8::A]/":         "http://[2001:db8::a]/",
		"https://User:Pass@EXAMPLE.com": "https://User:Pass@example.com",
		"https://bücher.example/hook":   "https://b%C3%BCcher.example/hook", // net/url's form of an IDN host
		"https://example.com/a\"b":      "https://example.com/a%22b",
	} {
		u, err := webhookurl.Parse(raw)
		require.NoError(t, err, raw)
		require.Equal(t, want, u.String(), raw)
		again, err := webhookurl.Parse(u.String())
		require.NoError(t, err)
		require.Equal(t, want, again.String())
	}
	u, err := webhookurl.Parse("https://bücher.example/hook")
	require.NoError(t, err)
	require.Equal(t, "bücher.example", u.Hostname())
}

func TestParseInvalid(t *testing.T) {
	for _, c := range []struct{ raw, msg string }{
		{"", "must not be empty"},
		{"/hook", "must be an absolute http or https URL"},
		{"example.com/hook", "must be an absolute http or https URL"},
		{"//example.com/hook", "must be an absolute http or https URL"},
		{"ftp://example.com/", `scheme must be http or https, not "ftp"`},
		{"javascript:alert(1)", `scheme must be http or https, not "javascript"`},
		{"file:///etc/passwd", `scheme must be http or https, not "file"`},
		{"http:example.com", "with a host"},
		{"https:///hook", "with a host"},
		{"https://:443/hook", "must include a host"},
		{"https://example.com/#frag", "fragment"},
		{"https://example.com/#", "fragment"},
		{"https://example.com/a hook", "whitespace"},
		{" https://example.com/", "whitespace"},
		{"https://example.com/\x00", "control"},
		{"https://example.com/\x7f", "control"},
		{"https://example.com/\u200b", "formatting"},
		{"https://example.com/\xff", "UTF-8"},
		{"https://example.com:0/", "port"},
		{"https://example.com:70000/", "port"},
		{"https://example.com:/", "port"},
		{"https://example.com:0443/", "port"},
		{"https://example.com:99999999999999999999/", "port"},
		{"https://example.com:8x/", "not a valid URL"},
		{"https://example.com/" + strings.Repeat("a", webhookurl.MaxLength), "at most 2048 bytes"},
		{"https://exa<mple.com/", "not allowed in a host"},
		{"https://exa!mple.com/", "not allowed in a host"},
		{"https://b%C2%A0d.example/", "not allowed in a host"},
		{"https://b%FFd.example/", "not allowed in a host"},
		{"https://127\u30020\u30020\u30021/", "not allowed in a host"},
		{"https://\uff11\uff12\uff17.0.0.1/", "not allowed in a host"},
		{"https://a..example.com/", "empty label"},
		{"https://.example.com/", "empty label"},
		{"https://" + strings.Repeat("a", 64) + ".example/", "longer than 63"},
		{"https://" + strings.Repeat("abcdefghi.", 26) + "example/", "longer than 253"},
		{"https://2130706433/", "not a dotted-quad"},
		{"https://0x7f.1/", "not a dotted-quad"},
		{"https://0x7f000001/", "not a dotted-quad"},
		{"https://127.1/", "not a dotted-quad"},
		{"https://0177.0.0.1/", "not a dotted-quad"},
		{"https://127.0.0.1./", "not a dotted-quad"},
		{"https://1.2.3.4.5/", "not a dotted-quad"},
		{"https://example.0x10/", "not a dotted-quad"},
		{"https://[1.2.3.4]/", "not a valid URL"},
		{"https://[fe80::1%25eth0]/", "zone"},
	} {
		t.Run(c.raw[:min(len(c.raw), 60)], func(t *testing.T) {
			u, err := webhookurl.Parse(c.raw)
			require.Nil(t, u)
			require.ErrorIs(t, err, webhookurl.ErrInvalidURL)
			require.False(t, errors.Is(err, webhookurl.ErrForbiddenAddress))
			require.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestParseErrorDoesNotLeakPassword(t *testing.T) {
	_, err := webhookurl.Parse("https://user:s3cret@example.com:8x/")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")
}
