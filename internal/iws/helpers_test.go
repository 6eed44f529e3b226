package iws_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/iws"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
)

// fixtureNow is the clock at which the fixture requests were signed.
var fixtureNow = time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC)

// fixtureCase is one request of iws-requests.json.
type fixtureCase struct {
	Name         string            `json:"name"`
	Key          string            `json:"key"`
	Secret       string            `json:"secret"`
	Method       string            `json:"method"`
	Path         string            `json:"path"`
	Body         string            `json:"body"`
	Headers      map[string]string `json:"headers"`
	StringToSign string            `json:"stringToSign"`
}

// fixtureDialects maps the fixture cases signed by an SDK to its dialect.
var fixtureDialects = map[string]iws.Dialect{
	"js-sdk-dialect-subscribe":     iws.DialectJS,
	"dotnet-sdk-dialect-subscribe": iws.DialectDotNet,
}

// loadCases reads the signed requests of the shared fixture.
func loadCases(t testing.TB) []fixtureCase {
	t.Helper()
	var f struct {
		Cases []fixtureCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(fixture.Read(t, "ivvy", "iws-requests.json"), &f))
	require.NotEmpty(t, f.Cases)
	return f.Cases
}

// clone returns a copy of c that can be edited without changing c.
func (c fixtureCase) clone() fixtureCase {
	h := make(map[string]string, len(c.Headers))
	for k, v := range c.Headers {
		h[k] = v
	}
	c.Headers = h
	return c
}

// serverRequest builds the request a server would receive for c.
func (c fixtureCase) serverRequest() (*http.Request, []byte) {
	r := httptest.NewRequest(c.Method, c.Path, strings.NewReader(c.Body))
	for k, v := range c.Headers {
		r.Header.Set(k, v)
	}
	return r, []byte(c.Body)
}

// signature returns the signature part of the case's authorization header.
func (c fixtureCase) signature() string {
	_, sig, _ := strings.Cut(c.Headers[iws.HeaderAuthorization], ":")
	return sig
}

// dateHeader returns the name of the date header the case signs.
func (c fixtureCase) dateHeader() string {
	if _, ok := c.Headers[iws.HeaderIvvyDate]; ok {
		return iws.HeaderIvvyDate
	}
	return iws.HeaderDate
}

var (
	errUnknownKey   = errors.New("unknown key")
	errBadSignature = errors.New("bad signature")
)

// check runs the whole server-side verification of r: Parse, CheckTime at
// now, key lookup in secrets, Verify.
func check(r *http.Request, body []byte, secrets map[string]string, now time.Time) error {
	s, err := iws.Parse(r, body)
	if err != nil {
		return err
	}
	if err := s.CheckTime(now, iws.DefaultWindow); err != nil {
		return err
	}
	secret, ok := secrets[s.Key]
	if !ok {
		return errUnknownKey
	}
	if !s.Verify(secret) {
		return errBadSignature
	}
	return nil
}

// toServer turns a signed client request into the request a server sees.
func toServer(t testing.TB, req *http.Request, body []byte) *http.Request {
	t.Helper()
	u := *req.URL
	return &http.Request{
		Method:     req.Method,
		URL:        &u,
		RequestURI: req.URL.RequestURI(),
		Header:     req.Header.Clone(),
		Body:       io.NopCloser(bytes.NewReader(body)),
	}
}
