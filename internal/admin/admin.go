// Package admin serves the operator's admin API on its own listener:
// accounts and API keys, publishing, subscriptions, deliveries and dead
// letters. Every route needs "Authorization: Bearer <admin token>".
package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/accounts"
	"github.com/ivvy-notify/ivvy-notify/internal/deliverypolicy"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/secrets"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// maxBodyBytes caps admin request bodies.
const maxBodyBytes = 1 << 20

// timeLayout renders times in admin responses: UTC, milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Options configure the admin API.
type Options struct {
	// Token is the bearer token every request must carry.
	Token string
	// Accounts manages accounts and keys.
	Accounts *accounts.Service
	// Notify publishes events.
	Notify *notify.Service
	// Store is read for listings.
	Store store.Store
	// ServerPolicy is the server's default delivery policy.
	ServerPolicy *deliverypolicy.Policy
	// Logger receives internal errors.
	Logger *slog.Logger
}

// api holds the admin handlers' dependencies.
type api struct {
	accounts *accounts.Service
	notify   *notify.Service
	store    store.Store
	log      *slog.Logger
	// serverPolicy is the server's default delivery policy.
	serverPolicy *deliverypolicy.Policy
}

// NewHandler returns the admin API, bearer-token protected.
func NewHandler(o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	a := &api{accounts: o.Accounts, notify: o.Notify, store: o.Store, log: o.Logger, serverPolicy: o.ServerPolicy}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/accounts", a.createAccount)
	mux.HandleFunc("GET /v1/accounts", a.listAccounts)
	mux.HandleFunc("GET /v1/accounts/{id}", a.getAccount)
	mux.HandleFunc("POST /v1/accounts/{id}/keys", a.createKey)
	mux.HandleFunc("GET /v1/accounts/{id}/keys", a.listKeys)
	mux.HandleFunc("DELETE /v1/accounts/{id}/keys/{key}", a.revokeKey)
	mux.HandleFunc("GET /v1/accounts/{id}/signing-keys", a.listSigningKeys)
	mux.HandleFunc("POST /v1/accounts/{id}/signing-keys", a.rotateSigningKey)
	mux.HandleFunc("POST /v1/accounts/{id}/events", a.publish)
	mux.HandleFunc("POST /v1/accounts/{id}/events/batch", a.publishBatch)
	mux.HandleFunc("GET /v1/accounts/{id}/subscriptions", a.listSubscriptions)
	mux.HandleFunc("PUT /v1/accounts/{id}/delivery-policy", a.putAccountPolicy(false))
	mux.HandleFunc("DELETE /v1/accounts/{id}/delivery-policy", a.putAccountPolicy(true))
	mux.HandleFunc("GET /v1/subscriptions", a.listAllSubscriptions)
	mux.HandleFunc("GET /v1/subscriptions/{arn}", a.getSubscription)
	mux.HandleFunc("DELETE /v1/subscriptions/{arn}", a.deleteSubscription)
	mux.HandleFunc("POST /v1/subscriptions/{arn}/pause", a.setPaused(true))
	mux.HandleFunc("POST /v1/subscriptions/{arn}/resume", a.setPaused(false))
	mux.HandleFunc("PUT /v1/subscriptions/{arn}/delivery-policy", a.putSubscriptionPolicy(false))
	mux.HandleFunc("DELETE /v1/subscriptions/{arn}/delivery-policy", a.putSubscriptionPolicy(true))
	mux.HandleFunc("GET /v1/deliveries", a.listDeliveries(""))
	mux.HandleFunc("GET /v1/deliveries/{delivery}", a.getDelivery)
	mux.HandleFunc("POST /v1/deliveries/{delivery}/cancel", a.cancelDelivery)
	mux.HandleFunc("GET /v1/deadletters", a.listDeliveries(store.DeliveryDead))
	mux.HandleFunc("GET /v1/deadletters/{delivery}", a.getDeadLetter)
	mux.HandleFunc("POST /v1/deadletters/{delivery}/redrive", a.redriveOne)
	mux.HandleFunc("POST /v1/deadletters/redrive", a.redriveMany)
	return requireToken(o.Token, withFallback(mux))
}

// requireToken rejects requests without the right bearer token, comparing
// in constant time.
func requireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" || !secrets.EqualConstantTime(strings.TrimSpace(got), token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ivvy-notify admin"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "missing or wrong admin bearer token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// errorBody is every admin error's JSON.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{Code: code, Message: message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// fail writes the response for err: validation → 400, not found → 404,
// conflict → 409, anything else → 500 (logged, not shown).
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ve *accounts.ValidationError
	var be *badRequest
	var nf *accounts.NotFoundError
	if publishError(w, r, err) {
		return
	}
	switch {
	case errors.As(err, &ve):
		writeJSON(w, http.StatusBadRequest, errorBody{Code: "invalid", Message: ve.Error(), Field: ve.Field})
	case errors.As(err, &be):
		writeError(w, http.StatusBadRequest, "invalid", be.msg)
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, "not_found", nf.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", notFoundMessage(r))
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "already exists")
	default:
		a.log.ErrorContext(r.Context(), "admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error; see the server log")
	}
}

func notFoundMessage(r *http.Request) string {
	if arn := r.PathValue("arn"); arn != "" {
		return fmt.Sprintf("no subscription %s", arn)
	}
	if d := r.PathValue("delivery"); d != "" {
		return fmt.Sprintf("no delivery %s", d)
	}
	if key := r.PathValue("key"); key != "" {
		return fmt.Sprintf("no key %s in account %s", key, r.PathValue("id"))
	}
	return fmt.Sprintf("no account %s", r.PathValue("id"))
}

// badRequest is a malformed request body or path.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

// decode reads one JSON object into v, refusing unknown fields and
// trailing data; an empty body decodes as {}.
func decode(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &badRequest{fmt.Sprintf("request body: larger than %d bytes", tooLarge.Limit)}
	}
	if err != nil {
		return &badRequest{fmt.Sprintf("request body: %v", err)}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &badRequest{"request body: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if dec.More() {
		return &badRequest{"request body: more than one JSON value"}
	}
	return nil
}

// accountID parses the {id} path value.
func accountID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &badRequest{fmt.Sprintf("account id %q is not a positive integer", r.PathValue("id"))}
	}
	return id, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func optionalTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}
