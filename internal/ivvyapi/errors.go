package ivvyapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Specific codes: iVvy's own (23005, 23016, 23017) and the ones this server
// adds. docs/api.md lists them all; keep the two in step.
const (
	CodeInternal          = 23000 // 500: something failed on the server
	CodeMissingHeader     = 23001 // 401: a required IWS header is absent
	CodeBadAuthorization  = 23002 // 401: X-Api-Authorization is malformed
	CodeUnknownKey        = 23003 // 401: no such API key
	CodeBadSignature      = 23004 // 401: the signature does not match
	CodeStale             = 23005 // 401: the request date is more than 5 minutes off
	CodeContentMD5        = 23006 // 401: Content-MD5 does not match the body
	CodeBadDate           = 23007 // 401: the date header cannot be read
	CodeKeyRevoked        = 23008 // 463: the API key was revoked
	CodeNotAllowed        = 23009 // 403: the key may not perform this action
	CodeUnknownNamespace  = 23010 // 404: no such namespace
	CodeUnknownAction     = 23011 // 404: no such action in the namespace
	CodeMethodNotAllowed  = 23012 // 405: only POST is accepted
	CodeRateLimited       = 23013 // 429: the key's request rate is exceeded
	CodeNotValidated      = 23016 // 400: a parameter did not validate
	CodeMissingParameter  = 23017 // 400: a required parameter is missing
	CodeBodyTooLarge      = 23018 // 400: the request body is over the limit
	CodeBodyNotJSONObject = 23019 // 400: the request body is not a JSON object
)

// StatusKeyRevoked is iVvy's status for a revoked API key.
const StatusKeyRevoked = 463

// Error is an iVvy API error; it is written as the error JSON with the HTTP
// status equal to ErrorCode.
type Error struct {
	ErrorCode          int      `json:"errorCode"`
	Message            string   `json:"message"`
	SpecificCode       int      `json:"specificCode"`
	AdditionalMessages []string `json:"additionalMessages"`
	// RetryAfter, when positive, is sent as a Retry-After header (seconds).
	RetryAfter int `json:"-"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d (%d): %s", e.ErrorCode, e.SpecificCode, e.Message)
}

// NewError returns an Error with the given status, specific code and message.
func NewError(status, specificCode int, message string, additional ...string) *Error {
	return &Error{ErrorCode: status, Message: message, SpecificCode: specificCode, AdditionalMessages: additional}
}

// NotValidated is the 400/23016 error for a parameter that did not validate.
func NotValidated(param, reason string) *Error {
	return NewError(http.StatusBadRequest, CodeNotValidated, fmt.Sprintf("'%s' does not validate", param), reason)
}

// MissingParameter is the 400/23017 error for an absent required parameter.
func MissingParameter(param string) *Error {
	return NewError(http.StatusBadRequest, CodeMissingParameter, fmt.Sprintf("'%s' is required", param))
}

// NotAllowed is the 403 error for a key that may not perform an action.
func NotAllowed(reason string) *Error {
	return NewError(http.StatusForbidden, CodeNotAllowed, "Not Allowed", reason)
}

// writeError writes e as the iVvy error JSON.
func writeError(w http.ResponseWriter, e *Error) {
	if e.AdditionalMessages == nil {
		e.AdditionalMessages = []string{}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.ErrorCode, e)
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"errorCode":500,"message":"Internal error","specificCode":23000,"additionalMessages":[]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
