// Package snsapi serves the SNS side of the public listener: the
// SubscribeURL and UnsubscribeURL GETs (answering SNS's XML), the signing
// certificate at SigningCertURL, and accounts' public keys at
// {key base}{SigningPublicKeyPath}.
package snsapi

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

// KeysPath is where accounts' public keys are served:
// /keys/accounts/{id}/{version}/notifcert.txt.
const KeysPath = "/keys"

// Domain is what the handlers need from the domain.
type Domain interface {
	Confirm(ctx context.Context, topicARN, token string) (string, error)
	UnsubscribeByURL(ctx context.Context, subscriptionARN string) error
}

// PublicKeys finds an account's public key by version.
type PublicKeys interface {
	PublicKeyPEM(ctx context.Context, accountID, version int64) ([]byte, error)
}

// Options configure the handlers.
type Options struct {
	Domain     Domain
	PublicKeys PublicKeys
	// CertPEM and CertHex are the signing certificate and its file name part.
	CertPEM []byte
	CertHex string
	Logger  *slog.Logger
}

// Register adds the SNS routes to mux.
func Register(mux *http.ServeMux, o Options) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	h := &handler{o}
	mux.HandleFunc("GET /{$}", h.action)
	mux.HandleFunc("GET /SimpleNotificationService-"+o.CertHex+".pem", h.certificate)
	mux.HandleFunc("GET "+KeysPath+"/accounts/{account}/{version}/notifcert.txt", h.publicKey)
}

type handler struct{ Options }

// Request is a parsed SNS query: the action and its parameters.
type Request struct {
	Action          string
	TopicArn        string
	Token           string
	SubscriptionArn string
}

// Actions this handler answers.
const (
	ActionConfirmSubscription = "ConfirmSubscription"
	ActionUnsubscribe         = "Unsubscribe"
)

// queryError is a query that cannot be carried out, with SNS's code.
type queryError struct{ code, message string }

func (e *queryError) Error() string { return e.code + ": " + e.message }

// ParseQuery reads an SNS query string. Values may be raw (ARN colons are
// not percent-encoded in SNS's URLs) or encoded; each parameter must appear
// at most once.
func ParseQuery(rawQuery string) (*Request, error) {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, &queryError{"MalformedQueryString", "the query string cannot be parsed"}
	}
	for name, values := range v {
		if len(values) > 1 {
			return nil, &queryError{sns.ErrorCodeInvalidParameter, "Invalid parameter: " + name + " is given more than once"}
		}
	}
	r := &Request{Action: v.Get("Action"), TopicArn: v.Get("TopicArn"), Token: v.Get("Token"), SubscriptionArn: v.Get("SubscriptionArn")}
	switch r.Action {
	case "":
		return nil, &queryError{"MissingAction", "Action is required"}
	case ActionConfirmSubscription:
		if r.TopicArn == "" {
			return nil, &queryError{sns.ErrorCodeInvalidParameter, "Invalid parameter: Topic"}
		}
		if r.Token == "" {
			return nil, &queryError{sns.ErrorCodeInvalidParameter, "Invalid parameter: Token"}
		}
	case ActionUnsubscribe:
		if r.SubscriptionArn == "" {
			return nil, &queryError{sns.ErrorCodeInvalidParameter, "Invalid parameter: SubscriptionArn"}
		}
	default:
		return nil, &queryError{"InvalidAction", "The action " + r.Action + " is not valid for this endpoint."}
	}
	return r, nil
}

// action answers /?Action=ConfirmSubscription|Unsubscribe.
func (h *handler) action(w http.ResponseWriter, r *http.Request) {
	requestID, _ := sns.NewMessageID(rand.Reader)
	req, err := ParseQuery(r.URL.RawQuery)
	if err == nil {
		err = h.run(r.Context(), w, req, requestID)
	}
	if err == nil {
		return
	}
	var qe *queryError
	switch {
	case errors.As(err, &qe):
	case errors.Is(err, notify.ErrInvalidToken), errors.Is(err, notify.ErrInvalidTopic), errors.Is(err, notify.ErrInvalidSubscriptionArn):
		qe = &queryError{sns.ErrorCodeInvalidParameter, err.Error()}
	default:
		h.Logger.ErrorContext(r.Context(), "SNS action failed", "action", r.URL.Query().Get("Action"), "err", err)
		writeXML(w, http.StatusInternalServerError, sns.ErrorResponseXML(sns.ErrorCodeInternal, "An internal error occurred.", requestID))
		return
	}
	writeXML(w, http.StatusBadRequest, sns.ErrorResponseXML(qe.code, qe.message, requestID))
}

// run carries out a parsed request and writes its success response.
func (h *handler) run(ctx context.Context, w http.ResponseWriter, req *Request, requestID string) error {
	if req.Action == ActionConfirmSubscription {
		arn, err := h.Domain.Confirm(ctx, req.TopicArn, req.Token)
		if err != nil {
			return err
		}
		writeXML(w, http.StatusOK, sns.ConfirmSubscriptionResponseXML(arn, requestID))
		return nil
	}
	if err := h.Domain.UnsubscribeByURL(ctx, req.SubscriptionArn); err != nil {
		return err
	}
	writeXML(w, http.StatusOK, sns.UnsubscribeResponseXML(requestID))
	return nil
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// certificate serves the signing certificate PEM.
func (h *handler) certificate(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(h.CertPEM)
}

// publicKey serves one version of an account's public key.
func (h *handler) publicKey(w http.ResponseWriter, r *http.Request) {
	account, err1 := strconv.ParseInt(r.PathValue("account"), 10, 64)
	version, err2 := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err1 != nil || err2 != nil {
		http.NotFound(w, r)
		return
	}
	pem, err := h.PublicKeys.PublicKeyPEM(r.Context(), account, version)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.Logger.ErrorContext(r.Context(), "public key lookup failed", "account", account, "version", version, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(pem)
}
