package snsapi

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/sns"
)

// MaxFormBytes caps a Query API POST body. SNS's two actions carry an ARN
// and a token, a few hundred bytes; 64 KiB leaves room for any SDK's
// extra parameters.
const MaxFormBytes = 64 << 10

// HeaderRequestID is the header SNS sends with every Query API answer,
// equal to the answer's RequestId, in SNS's spelling.
const HeaderRequestID = "x-amzn-RequestId"

// formContentType is the only body type the Query API accepts.
const formContentType = "application/x-www-form-urlencoded"

// queryAction answers GET /?Action=ConfirmSubscription|Unsubscribe (the
// SubscribeURL and UnsubscribeURL).
func (h *handler) queryAction(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, func() (*Request, error) { return ParseQuery(r.URL.RawQuery) })
}

// formAction answers the same actions POSTed as AWS SDKs send them: a
// form body, SigV4-signed. The signature is not checked: as in SNS, the
// confirmation token is the credential, and an Unsubscribe needs none,
// like the UnsubscribeURL (it sends an UnsubscribeConfirmation, with which
// the owner can subscribe again).
func (h *handler) formAction(w http.ResponseWriter, r *http.Request) {
	h.answer(w, r, func() (*Request, error) { return readForm(w, r) })
}

// readForm checks the body's type and size and parses it.
func readForm(w http.ResponseWriter, r *http.Request) (*Request, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != formContentType {
		return nil, &queryError{"MalformedQueryString", "the body must be " + formContentType}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxFormBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &queryError{"RequestEntityTooLarge", "the body must be at most " + strconv.Itoa(MaxFormBytes) + " bytes"}
	}
	if err != nil {
		return nil, &queryError{"MalformedQueryString", "the body cannot be read"}
	}
	return ParseForm(string(body))
}

// answer parses the request with parse, carries it out, writes SNS's XML
// answer and logs one line.
func (h *handler) answer(w http.ResponseWriter, r *http.Request, parse func() (*Request, error)) {
	start := time.Now()
	requestID, _ := sns.NewMessageID(rand.Reader)
	req, err := parse()
	arn := ""
	if err == nil {
		arn, err = h.run(r.Context(), req)
	}
	status, body, outcome := h.result(r.Context(), req, arn, err, requestID)
	writeXML(w, status, body, requestID)
	h.logAction(r, req, arn, outcome, status, requestID, time.Since(start), err)
}

// run carries out a parsed request: the subscription's ARN, for an
// Unsubscribe the one given.
func (h *handler) run(ctx context.Context, req *Request) (string, error) {
	if req.Action == ActionConfirmSubscription {
		return h.Domain.Confirm(ctx, req.TopicArn, req.Token)
	}
	return req.SubscriptionArn, h.Domain.UnsubscribeByURL(ctx, req.SubscriptionArn)
}

// result is the answer to a request: status, XML body, and the outcome
// to log ("confirmed", "unsubscribed" or SNS's error code).
func (h *handler) result(ctx context.Context, req *Request, arn string, err error, requestID string) (int, []byte, string) {
	if err == nil && req.Action == ActionConfirmSubscription {
		return http.StatusOK, sns.ConfirmSubscriptionResponseXML(arn, requestID), "confirmed"
	}
	if err == nil {
		return http.StatusOK, sns.UnsubscribeResponseXML(requestID), "unsubscribed"
	}
	var qe *queryError
	switch {
	case errors.As(err, &qe):
	case errors.Is(err, notify.ErrInvalidToken), errors.Is(err, notify.ErrInvalidTopic), errors.Is(err, notify.ErrInvalidSubscriptionArn):
		qe = &queryError{sns.ErrorCodeInvalidParameter, err.Error()}
	default:
		return http.StatusInternalServerError, sns.ErrorResponseXML(sns.ErrorCodeInternal, "An internal error occurred.", requestID), sns.ErrorCodeInternal
	}
	status := http.StatusBadRequest
	if qe.code == "RequestEntityTooLarge" {
		status = http.StatusRequestEntityTooLarge
	}
	return status, sns.ErrorResponseXML(qe.code, qe.message, requestID), qe.code
}

// logAction logs one line per SNS action: info when it was carried out or
// refused, error when it failed on the server (with the cause).
func (h *handler) logAction(r *http.Request, req *Request, arn, outcome string, status int, requestID string,
	took time.Duration, err error) {
	level := slog.LevelInfo
	attrs := []slog.Attr{slog.String("method", r.Method)}
	if req != nil {
		attrs = append(attrs, slog.String("action", req.Action))
		if req.TopicArn != "" {
			attrs = append(attrs, slog.String("topic_arn", req.TopicArn))
		}
	}
	if arn != "" {
		attrs = append(attrs, slog.String("subscription_arn", arn))
	}
	attrs = append(attrs, slog.String("outcome", outcome), slog.Int("status", status),
		slog.String("request_id", requestID), slog.Duration("duration", took))
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
		attrs = append(attrs, slog.Any("err", err))
	}
	h.Logger.LogAttrs(r.Context(), level, "sns: "+actionName(req), attrs...)
}

func actionName(req *Request) string {
	if req == nil {
		return "request refused"
	}
	return req.Action
}

// writeXML writes an SNS XML answer with its x-amzn-RequestId header.
func writeXML(w http.ResponseWriter, status int, body []byte, requestID string) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header()[HeaderRequestID] = []string{requestID}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
