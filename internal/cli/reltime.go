package cli

import (
	"fmt"
	"strconv"
	"time"
)

// maxAge bounds a relative age, well inside time.Duration's range.
const maxAge = 100 * 365 * 24 * time.Hour

// ageUnits are the units of a relative age.
var ageUnits = map[byte]time.Duration{
	's': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour,
}

// parseTimeFlag reads a --since/--until value: an RFC 3339 time, or a
// relative age counted back from now, one or more <number><unit> with units
// s, m, h, d (24 h) and w (7 d), e.g. 30m, 1h, 2d, 1h30m: "1h" is an hour
// before now.
func parseTimeFlag(flag, v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	age, ok := parseAge(v)
	if !ok {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time (2026-11-23T10:00:00Z) or an age such as 30m, 1h, 2d", flag, v)
	}
	return now.Add(-age), nil
}

// parseAge reads a relative age such as 90s, 1h30m or 2d; false if v is
// not one, or is longer than maxAge.
func parseAge(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var total time.Duration
	for v != "" {
		i := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == 0 || i == len(v) || i > 9 {
			return 0, false
		}
		n, _ := strconv.Atoi(v[:i]) // at most 9 digits: always fits
		unit, ok := ageUnits[v[i]]
		if !ok {
			return 0, false
		}
		if time.Duration(n) > (maxAge-total)/unit {
			return 0, false // checked before multiplying, which could overflow
		}
		total += time.Duration(n) * unit
		v = v[i+1:]
	}
	return total, true
}

// timeFlagValue converts a --since/--until value to the RFC 3339 time the
// admin API takes; "" stays "".
func timeFlagValue(flag, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	t, err := parseTimeFlag(flag, v, time.Now())
	if err != nil {
		return "", err
	}
	return t.UTC().Format(time.RFC3339Nano), nil
}
