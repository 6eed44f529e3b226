package delivery

import "net/url"

// redactURL is a webhook URL fit for a log line: without user info or
// fragment, and with its query replaced by "…", since the query often
// carries the receiver's secret. An unparsable URL logs as "".
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery == "" && !u.ForceQuery {
		return u.String()
	}
	u.RawQuery, u.ForceQuery = "", false
	return u.String() + "?…"
}
