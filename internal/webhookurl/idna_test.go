package webhookurl

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestToASCII(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":       "example.com",
		"Example.COM.":      "example.com.",
		"bücher.example":    "xn--bcher-kva.example",
		"BÜCHER.example":    "xn--bcher-kva.example",
		"münchen.de":        "xn--mnchen-3ya.de",
		"他们为什么不说中文":         "xn--ihqwcrb4cv8a8dqg056pqjye", // RFC 3492 §7.1 (B)
		"ليهمابتكلموشعربي؟": "xn--egbpdaj6bu4bxfgehfvwxn",   // RFC 3492 §7.1 (A)
		"3年b組金八先生":          "xn--3b-ww4c5e180e575a65lsy2b", // RFC 3492 §7.1 (J)
	} {
		require.Equal(t, want, toASCII(in), in)
	}
}
