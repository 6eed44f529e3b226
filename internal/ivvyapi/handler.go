// Package ivvyapi serves the iVvy API surface integrators call:
// POST /api/1.0/{namespace}?action={action}, authenticated with IWS request
// signing, answering JSON and iVvy's error JSON.
package ivvyapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// PathPrefix is where the iVvy API is served.
const PathPrefix = "/api/1.0/"

// ackLayout is iVvy's timestamp format, as in ping's ack.
const ackLayout = "2006-01-02 15:04:05 UTC"

// Action handles one namespace/action pair. body is the request body, a
// JSON object ("{}" when the request had none). It returns the value to
// encode as the response, or an error: an *Error is written as it is, any
// other error is logged and answered with a 500.
type Action func(ctx context.Context, c *Caller, body []byte) (any, error)

// Options configure a Handler.
type Options struct {
	// Keys finds API keys and their secrets.
	Keys KeyLookup
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives internal errors; slog.Default() when nil.
	Logger *slog.Logger
	// MaxBodyBytes caps request bodies (required, > 0).
	MaxBodyBytes int64
	// RateLimit and RateBurst set each key's token bucket; RateLimit 0
	// disables it.
	RateLimit float64
	RateBurst int
}

// Handler is the iVvy API's http.Handler.
type Handler struct {
	keys    KeyLookup
	now     func() time.Time
	log     *slog.Logger
	maxBody int64
	limiter *limiter
	actions map[string]map[string]Action
}

// NewHandler returns a Handler with the built-in test?action=ping action.
func NewHandler(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &Handler{
		keys: o.Keys, now: o.Now, log: o.Logger, maxBody: o.MaxBodyBytes,
		limiter: newLimiter(o.RateLimit, o.RateBurst),
		actions: map[string]map[string]Action{},
	}
	h.Register("test", "ping", h.ping)
	return h
}

// Register adds an action. Namespace and action names match
// case-insensitively, as the signature is computed over lowercased text.
func (h *Handler) Register(namespace, action string, fn Action) {
	ns := strings.ToLower(namespace)
	if h.actions[ns] == nil {
		h.actions[ns] = map[string]Action{}
	}
	h.actions[ns][strings.ToLower(action)] = fn
}

// ServeHTTP checks, in order: method, route, body size and shape,
// signature, rate; then runs the action. It logs one line per request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := &exchange{ResponseWriter: w, start: time.Now()}
	h.handle(ex, r)
	h.logRequest(r, ex)
}

// handle answers the request, success or error.
func (h *Handler) handle(ex *exchange, r *http.Request) {
	if r.Method != http.MethodPost {
		ex.Header().Set("Allow", http.MethodPost)
		ex.fail(NewError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Method not allowed",
			"the iVvy API accepts only POST"))
		return
	}
	action, apiErr := h.route(r)
	if apiErr == nil {
		apiErr = h.serve(ex, r, action)
	}
	if apiErr != nil {
		ex.fail(apiErr)
	}
}

// serve reads and authenticates the request and runs the action.
func (h *Handler) serve(ex *exchange, r *http.Request, action Action) *Error {
	body, apiErr := h.readBody(ex, r)
	if apiErr != nil {
		return apiErr
	}
	caller, apiErr := h.authenticate(r, body, ex)
	if apiErr != nil {
		h.logAuthFailure(r, ex, apiErr)
		return apiErr
	}
	if ok, wait := h.limiter.allow(caller.Key.Key, h.now()); !ok {
		apiErr = rateLimited(wait)
		h.logAuthFailure(r, ex, apiErr)
		return apiErr
	}
	if apiErr := checkJSONObject(body); apiErr != nil {
		return apiErr
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	out, err := action(r.Context(), caller, body)
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "iVvy API action failed", "path", r.URL.Path,
			"action", r.URL.Query().Get("action"), "key", caller.Key.Key, "err", err)
		return internalError()
	}
	writeJSON(ex, http.StatusOK, out)
	return nil
}

// route finds the action for /api/1.0/{namespace}?action={action}.
func (h *Handler) route(r *http.Request) (Action, *Error) {
	ns, ok := strings.CutPrefix(r.URL.Path, PathPrefix)
	if !ok || ns == "" || strings.Contains(ns, "/") {
		return nil, NewError(http.StatusNotFound, CodeUnknownNamespace, "Not found",
			fmt.Sprintf("no iVvy API namespace at %q; use POST /api/1.0/{namespace}?action={action}", r.URL.Path))
	}
	actions, ok := h.actions[strings.ToLower(ns)]
	if !ok {
		return nil, NewError(http.StatusNotFound, CodeUnknownNamespace, "Not found",
			fmt.Sprintf("unknown namespace %q", ns))
	}
	name := r.URL.Query().Get("action")
	action, ok := actions[strings.ToLower(name)]
	if !ok {
		return nil, NewError(http.StatusNotFound, CodeUnknownAction, "Not found",
			fmt.Sprintf("unknown action %q in namespace %q", name, ns))
	}
	return action, nil
}

// readBody reads at most maxBody bytes of the body.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *Error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, NewError(http.StatusBadRequest, CodeBodyTooLarge, "Request body too large",
			fmt.Sprintf("the request body must be at most %d bytes", h.maxBody))
	}
	if err != nil {
		return nil, NewError(http.StatusBadRequest, CodeBodyNotJSONObject, "Could not read the request body", err.Error())
	}
	return body, nil
}

// checkJSONObject accepts an empty body or one JSON object.
func checkJSONObject(body []byte) *Error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	var obj map[string]json.RawMessage
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &obj) != nil {
		return NewError(http.StatusBadRequest, CodeBodyNotJSONObject, "Request body must be a JSON object",
			"send a JSON object, or an empty body for {}")
	}
	return nil
}

// pingResponse is test?action=ping's answer.
type pingResponse struct {
	Ack string `json:"ack"`
}

// ping answers with the server time in iVvy's timestamp format.
func (h *Handler) ping(context.Context, *Caller, []byte) (any, error) {
	return pingResponse{Ack: h.now().UTC().Format(ackLayout)}, nil
}
