package iws

import (
	"fmt"
	"strings"
	"time"
)

// ivvyDateLayout is the IVVY-Date format, always UTC.
const ivvyDateLayout = "2006-01-02 15:04:05"

// httpDateLayouts are the accepted Date header formats. Zones other than
// GMT, UTC or a numeric offset are refused: Go would otherwise read an
// unknown abbreviation such as "PST" as UTC.
var httpDateLayouts = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT",    // RFC 1123 (http.TimeFormat)
	"Mon, 02 Jan 2006 15:04:05 UTC",    // RFC 1123 as iVvy's SDKs send it
	time.RFC1123Z,                      // RFC 1123 with numeric zone
	"Monday, 02-Jan-06 15:04:05 GMT",   // RFC 850
	time.ANSIC,                         // asctime(), UTC
	"Monday, 02-Jan-2006 15:04:05 GMT", // RFC 850 with a four-digit year
}

// FormatIvvyDate formats t as an IVVY-Date value ("2006-01-02 15:04:05"),
// in UTC, with a trailing " UTC" when withZone is true.
func FormatIvvyDate(t time.Time, withZone bool) string {
	s := t.UTC().Format(ivvyDateLayout)
	if withZone {
		s += " UTC"
	}
	return s
}

// ParseIvvyDate parses an IVVY-Date value, "yyyy-mm-dd HH:MM:SS" with an
// optional trailing " UTC". The time is always UTC. Failures wrap
// [ErrMalformedDate].
func ParseIvvyDate(v string) (time.Time, error) {
	s := strings.TrimSuffix(v, " UTC")
	if len(s) == len(ivvyDateLayout) {
		if t, err := time.ParseInLocation(ivvyDateLayout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s %q", ErrMalformedDate, HeaderIvvyDate, v)
}

// ParseHTTPDate parses a Date header value in any HTTP date format (RFC 1123
// with GMT or UTC, RFC 1123 with a numeric zone, RFC 850, ANSI C asctime)
// and returns it in UTC. Failures wrap [ErrMalformedDate].
func ParseHTTPDate(v string) (time.Time, error) {
	for _, layout := range httpDateLayouts {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s %q", ErrMalformedDate, HeaderDate, v)
}
