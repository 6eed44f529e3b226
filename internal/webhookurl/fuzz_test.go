package webhookurl_test

import (
	"testing"

	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"https://example.com/hook", "HTTP://User:P%40ss@EXAMPLE.com:8080/a%2Fb?x=1&y",
		"https://[2001:DB8::1]:443/", "https://bücher.example/", "https://b%C3%BCcher.example/",
		"https://0x7f.1/", "https://2130706433/", "https://[::ffff:127.0.0.1]/", "https://h/a\"b<c>",
		"https://h:/", "https://h:0080/", "http:opaque", "https://h/#f", "https://a..b/",
		"https://u:p@ss@h/", "https://h/?", "javascript:alert(1)", "https://[fe80::1%25eth0]/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := webhookurl.Parse(raw)
		if err != nil {
			if u != nil {
				t.Fatalf("Parse(%q) returned both a URL and %v", raw, err)
			}
			return
		}
		s := u.String()
		if len(s) > webhookurl.MaxLength || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") {
			t.Fatalf("Parse(%q) accepted %q", raw, s)
		}
		again, err := webhookurl.Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not re-parse: %v", raw, s, err)
		}
		if again.String() != s {
			t.Fatalf("Parse(%q) = %q, which re-parses to %q", raw, s, again.String())
		}
	})
}
