// Package snsapi serves the SNS side of the public listener: the
// SubscribeURL and UnsubscribeURL GETs and the same two actions POSTed as
// AWS SDKs send them (answering SNS's XML), the signing
// certificate at SigningCertURL, and accounts' public keys at
// {key base}{SigningPublicKeyPath}.
package snsapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

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
	mux.HandleFunc("GET /{$}", h.queryAction)
	mux.HandleFunc("POST /{$}", h.formAction)
	mux.HandleFunc("GET /SimpleNotificationService-"+o.CertHex+".pem", h.certificate)
	mux.HandleFunc("GET "+KeysPath+"/accounts/{account}/{version}/notifcert.txt", h.publicKey)
}

type handler struct{ Options }

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
