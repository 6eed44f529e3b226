package webhookurl

import (
	"strings"
	"unicode/utf8"
)

// toASCII returns the form of a host name that DNS uses: ASCII letters
// lowercased, and each label holding non-ASCII characters lowercased and
// Punycode-encoded with the "xn--" prefix (RFC 3492). It is a simplification
// of UTS #46 (no NFC or compatibility mapping) used only to look names up at
// subscribe time; the delivery-time dial check does not depend on it.
func toASCII(host string) string {
	labels := strings.Split(host, ".")
	for i, l := range labels {
		if isASCII(l) {
			labels[i] = lowerASCII(l)
		} else {
			labels[i] = "xn--" + punycode(strings.ToLower(l))
		}
	}
	return strings.Join(labels, ".")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Bootstring parameters for Punycode (RFC 3492 §5).
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
)

// punycode encodes a label (RFC 3492 §6.3). int64 arithmetic cannot
// overflow for labels of URLs at most MaxLength bytes long.
func punycode(s string) string {
	runes := []rune(s)
	out := make([]byte, 0, 2*len(s))
	var b int64
	for _, r := range runes {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
			b++
		}
	}
	if b > 0 {
		out = append(out, '-')
	}
	n, delta, bias, h := int64(pcInitialN), int64(0), int64(pcInitialBias), b
	for h < int64(len(runes)) {
		m := int64(utf8.MaxRune + 1)
		for _, r := range runes {
			if int64(r) >= n && int64(r) < m {
				m = int64(r)
			}
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range runes {
			if int64(r) < n {
				delta++
			}
			if int64(r) != n {
				continue
			}
			q := delta
			for k := int64(pcBase); ; k += pcBase {
				t := min(max(k-bias, pcTMin), pcTMax)
				if q < t {
					break
				}
				out = append(out, pcDigit(t+(q-t)%(pcBase-t)))
				q = (q - t) / (pcBase - t)
			}
			out = append(out, pcDigit(q))
			bias = pcAdapt(delta, h+1, h == b)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return string(out)
}

func pcAdapt(delta, numPoints int64, first bool) int64 {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := int64(0)
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}

func pcDigit(d int64) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}
