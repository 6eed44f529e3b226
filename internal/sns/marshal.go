package sns

import (
	"unicode/utf8"
)

// wireFields lists the key/value pairs of the JSON body in the order SNS
// sends them (SNS.md §1.2–§1.4). A Type that is not a confirmation type
// gets the Notification layout.
func wireFields(m *Message) []field {
	if isConfirmation(m.Type) {
		return []field{
			{"Type", m.Type},
			{"MessageId", m.MessageId},
			{"Token", m.Token},
			{"TopicArn", m.TopicArn},
			{"Message", m.Message},
			{"SubscribeURL", m.SubscribeURL},
			{"Timestamp", m.Timestamp},
			{"SignatureVersion", m.SignatureVersion},
			{"Signature", m.Signature},
			{"SigningCertURL", m.SigningCertURL},
		}
	}
	fs := make([]field, 0, 10)
	fs = append(fs,
		field{"Type", m.Type},
		field{"MessageId", m.MessageId},
		field{"TopicArn", m.TopicArn},
	)
	if m.Subject != "" {
		fs = append(fs, field{"Subject", m.Subject})
	}
	return append(fs,
		field{"Message", m.Message},
		field{"Timestamp", m.Timestamp},
		field{"SignatureVersion", m.SignatureVersion},
		field{"Signature", m.Signature},
		field{"SigningCertURL", m.SigningCertURL},
		field{"UnsubscribeURL", m.UnsubscribeURL},
	)
}

// MarshalSNS returns the JSON body exactly as SNS lays it out:
//
//	{
//	  "Type" : "Notification",
//	  "MessageId" : "…",
//	  …
//	  "UnsubscribeURL" : "…"
//	}
//
// Two-space indent, " : " between key and value, one field per line, the
// per-type key order of SNS, every value a JSON string, and no newline
// after the closing brace. Notification has a Subject key only when Subject
// is non-empty. Strings are escaped the way SNS's Jackson writer does: only
// '"', '\\' and control characters; '/', '<', '>', '&' and non-ASCII text
// are written as they are. Invalid UTF-8 is written as U+FFFD (Sign refuses
// it in signed fields). The five AWS fixtures re-render byte for byte.
func (m *Message) MarshalSNS() []byte {
	fs := wireFields(m)
	n := 4
	for _, f := range fs {
		n += len(f.key) + len(f.value) + 12
	}
	b := make([]byte, 0, n)
	b = append(b, '{', '\n')
	for i, f := range fs {
		b = append(b, ' ', ' ', '"')
		b = append(b, f.key...)
		b = append(b, `" : `...)
		b = appendString(b, f.value)
		if i < len(fs)-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	return append(b, '}')
}

// hexDigits are upper case, as Jackson writes \u escapes.
const hexDigits = "0123456789ABCDEF"

// appendString appends s as a quoted JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		b = appendEscape(b, c)
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscape appends the escape of an ASCII byte that needs one, or
// U+FFFD for a byte of invalid UTF-8.
func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	}
	if c >= utf8.RuneSelf {
		return append(b, "\uFFFD"...)
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
