package ivvyclient

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Specific error codes the API reports in [APIError.SpecificCode].
const (
	// SpecificCodeStale means the request's date is more than 5 minutes
	// from the server's clock.
	SpecificCodeStale = 23005
	// SpecificCodeInvalidParameter means a parameter did not validate.
	SpecificCodeInvalidParameter = 23016
	// SpecificCodeMissingParameter means a required parameter is missing.
	SpecificCodeMissingParameter = 23017
)

// maxErrorBody bounds how much of a non-JSON error body becomes the message.
const maxErrorBody = 512

// APIError is an error response of the iVvy API:
//
//	{"errorCode": 400, "message": "'companiesEndpoint' does not validate",
//	 "specificCode": 23016, "additionalMessages": ["must be an absolute http or https URL"]}
//
// When the body is not iVvy error JSON (a proxy's HTML page, say), ErrorCode
// is the HTTP status and Message the start of the body.
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int `json:"-"`
	// ErrorCode is iVvy's error code, normally equal to the HTTP status.
	ErrorCode int `json:"errorCode"`
	// Message describes the error.
	Message string `json:"message"`
	// SpecificCode refines ErrorCode, e.g. [SpecificCodeStale]; 0 if none.
	SpecificCode int `json:"specificCode"`
	// AdditionalMessages gives further detail, e.g. why a parameter did
	// not validate.
	AdditionalMessages []string `json:"additionalMessages"`
}

// Error returns a one-line description with the HTTP status and codes, e.g.
// "ivvy: HTTP 401: Request is stale (errorCode 401, specificCode 23005)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("ivvy: ")
	if e.StatusCode != 0 {
		b.WriteString("HTTP " + strconv.Itoa(e.StatusCode) + ": ")
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.ErrorCode)
	}
	b.WriteString(oneLine(msg))
	b.WriteString(" (errorCode " + strconv.Itoa(e.ErrorCode))
	if e.SpecificCode != 0 {
		b.WriteString(", specificCode " + strconv.Itoa(e.SpecificCode))
	}
	b.WriteString(")")
	if len(e.AdditionalMessages) > 0 {
		b.WriteString(": " + oneLine(strings.Join(e.AdditionalMessages, "; ")))
	}
	return b.String()
}

// newAPIError decodes the body of a non-2xx response.
func newAPIError(status int, body []byte) *APIError {
	e := &APIError{}
	if err := json.Unmarshal(body, e); err != nil || e.ErrorCode == 0 && e.Message == "" {
		e = &APIError{ErrorCode: status, Message: truncate(strings.TrimSpace(string(body)), maxErrorBody)}
	}
	e.StatusCode = status
	if e.ErrorCode == 0 {
		e.ErrorCode = status
	}
	return e
}

// truncate cuts s to at most n bytes, ending in "…" when cut, without
// splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	s = s[:n-len(ellipsis)]
	for i := 0; i < utf8.UTFMax-1 && len(s) > 0; i++ {
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s + ellipsis
}

// oneLine collapses runs of whitespace, including newlines, to one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
