package ivvyapi

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// exchange is one request's response writer and what its log line needs:
// the status written, the iVvy error if any, the key id claimed.
type exchange struct {
	http.ResponseWriter
	start  time.Time
	status int
	err    *Error
	key    string
	// detail explains an authentication failure for the log only.
	detail string
}

// WriteHeader records the status.
func (ex *exchange) WriteHeader(status int) {
	if ex.status == 0 {
		ex.status = status
	}
	ex.ResponseWriter.WriteHeader(status)
}

// Write records an implicit 200.
func (ex *exchange) Write(b []byte) (int, error) {
	if ex.status == 0 {
		ex.status = http.StatusOK
	}
	return ex.ResponseWriter.Write(b)
}

// fail writes e as the answer.
func (ex *exchange) fail(e *Error) {
	ex.err = e
	writeError(ex, e)
}

// logRequest logs the request's one line: method, namespace/action, key
// id (never its secret), status, duration; and iVvy's specific code when
// it failed.
func (h *Handler) logRequest(r *http.Request, ex *exchange) {
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("action", apiAction(r)), slog.String("key", ex.key),
		slog.Int("status", ex.status), slog.Duration("duration", time.Since(ex.start)),
	}
	if ex.err != nil {
		attrs = append(attrs, slog.Int("code", ex.err.SpecificCode))
	}
	attrs = append(attrs, slog.String("remote", r.RemoteAddr))
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "ivvy api: request", attrs...)
}

// apiAction is "namespace/action" as the request names them, cut to
// maxLoggedAction bytes: both come from outside.
func apiAction(r *http.Request) string {
	ns, _ := strings.CutPrefix(r.URL.Path, PathPrefix)
	a := ns + "/" + r.URL.Query().Get("action")
	if len(a) > maxLoggedAction {
		a = a[:maxLoggedAction] + "…"
	}
	return a
}

// maxLoggedAction bounds the namespace/action text in a log line.
const maxLoggedAction = 100

// authReasons name each authentication failure for the logs.
var authReasons = map[int]string{
	CodeMissingHeader:    "missing header",
	CodeBadAuthorization: "malformed authorization",
	CodeContentMD5:       "content-md5 mismatch",
	CodeBadDate:          "unreadable date",
	CodeUnknownKey:       "unknown key",
	CodeBadSignature:     "bad signature",
	CodeStale:            "stale date",
	CodeKeyRevoked:       "revoked key",
	CodeRateLimited:      "rate limited",
}

// logAuthFailure logs one line per refused authentication, with its
// reason. A lookup failure (500) is logged as an error where it happens.
func (h *Handler) logAuthFailure(r *http.Request, ex *exchange, e *Error) {
	reason, ok := authReasons[e.SpecificCode]
	if !ok {
		return
	}
	attrs := []slog.Attr{
		slog.String("reason", reason), slog.String("key", ex.key), slog.String("action", apiAction(r)),
		slog.Int("status", e.ErrorCode), slog.String("remote", r.RemoteAddr),
	}
	detail := ex.detail
	if detail == "" && len(e.AdditionalMessages) > 0 && e.SpecificCode != CodeRateLimited {
		detail = e.AdditionalMessages[0]
	}
	if detail != "" {
		attrs = append(attrs, slog.String("detail", detail))
	}
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "ivvy api: authentication failed", attrs...)
}
