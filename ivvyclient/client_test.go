package ivvyclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

func TestPingSignsForEachDialect(t *testing.T) {
	tests := []struct {
		name        string
		opts        []ivvyclient.Option
		contentType string
		apiVersion  string
		dateSuffix  string
	}{
		{"default is the JS dialect", nil, "application/json", "1.0", ""},
		{"JS dialect", []ivvyclient.Option{ivvyclient.WithDialect(ivvyclient.DialectJS)}, "application/json", "1.0", ""},
		{".NET dialect", []ivvyclient.Option{ivvyclient.WithDialect(ivvyclient.DialectDotNet)},
			"application/json; charset=utf-8", "", " UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, pingReply)
			c := ivvyclient.New(srv.URL+"/", testKey, testSecret, tt.opts...)
			ack, err := c.Ping(context.Background())
			require.NoError(t, err)
			require.Equal(t, "2026-11-23 10:15:30 UTC", ack)

			got := srv.lastRequest()
			require.Equal(t, "/api/1.0/test?action=ping", got.RequestURI)
			require.Empty(t, got.Body)
			require.Equal(t, "d41d8cd98f00b204e9800998ecf8427e", got.Header.Get("Content-MD5"))
			require.Equal(t, tt.contentType, got.Header.Get("Content-Type"))
			require.Equal(t, tt.apiVersion, got.Header.Get("X-Api-Version"))
			require.True(t, strings.HasSuffix(got.Header.Get("IVVY-Date"), tt.dateSuffix))
		})
	}
}

func TestWithClockDatesRequests(t *testing.T) {
	srv := newFakeServer(t, pingReply)
	at := time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC)
	c := ivvyclient.New(srv.URL, testKey, testSecret, ivvyclient.WithClock(func() time.Time { return at }))
	_, err := c.Ping(context.Background())

	var apiErr *ivvyclient.APIError
	require.ErrorAs(t, err, &apiErr, "the fake server checks dates against the real clock")
	require.Equal(t, ivvyclient.SpecificCodeStale, apiErr.SpecificCode)
	require.Equal(t, "2026-11-23 10:15:30", srv.lastRequest().Header.Get("IVVY-Date"))
}

func TestWrongSecretIsUnauthorized(t *testing.T) {
	srv := newFakeServer(t, pingReply)
	_, err := ivvyclient.New(srv.URL, testKey, "wrong").Ping(context.Background())
	var apiErr *ivvyclient.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	require.Equal(t, "ivvy: HTTP 401: Invalid signature (errorCode 401)", apiErr.Error())
}

func TestCallDecodesErrors(t *testing.T) {
	long := strings.Repeat("é", 400)
	tests := []struct {
		name   string
		status int
		body   any
		want   ivvyclient.APIError
		text   string
	}{
		{
			name: "iVvy error JSON", status: http.StatusBadRequest,
			body: map[string]any{"errorCode": 400, "message": "'companiesEndpoint' does not validate",
				"specificCode": 23016, "additionalMessages": []string{"must be an absolute http or https URL"}},
			want: ivvyclient.APIError{StatusCode: 400, ErrorCode: 400, Message: "'companiesEndpoint' does not validate",
				SpecificCode: 23016, AdditionalMessages: []string{"must be an absolute http or https URL"}},
			text: "ivvy: HTTP 400: 'companiesEndpoint' does not validate (errorCode 400, specificCode 23016): must be an absolute http or https URL",
		},
		{
			name: "non-JSON body", status: http.StatusBadGateway, body: "<html>\nBad gateway\n</html>",
			want: ivvyclient.APIError{StatusCode: 502, ErrorCode: 502, Message: "<html>\nBad gateway\n</html>"},
			text: "ivvy: HTTP 502: <html> Bad gateway </html> (errorCode 502)",
		},
		{
			name: "empty body", status: http.StatusServiceUnavailable, body: "",
			want: ivvyclient.APIError{StatusCode: 503, ErrorCode: 503},
			text: "ivvy: HTTP 503: Service Unavailable (errorCode 503)",
		},
		{
			name: "long non-JSON body truncated to 512 bytes", status: http.StatusInternalServerError, body: long,
			want: ivvyclient.APIError{StatusCode: 500, ErrorCode: 500, Message: long[:508] + "…"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, func(string, string, []byte) (int, any) { return tt.status, tt.body })
			err := ivvyclient.New(srv.URL, testKey, testSecret).Call(context.Background(), "test", "ping", nil, nil)
			var apiErr *ivvyclient.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tt.want, *apiErr)
			require.LessOrEqual(t, len(apiErr.Message), 512)
			if tt.text != "" {
				require.Equal(t, tt.text, apiErr.Error())
			}
		})
	}
}

func TestCallHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			panic(http.ErrAbortHandler) // not an empty 200 the client might still read
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := ivvyclient.New(srv.URL, testKey, testSecret)

	t.Run("cancellation", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Ping(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Ping(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestCallBoundsResponseSize(t *testing.T) {
	srv := newFakeServer(t, func(string, string, []byte) (int, any) {
		return http.StatusOK, `{"ack":"` + strings.Repeat("x", ivvyclient.MaxResponseBytes) + `"}`
	})
	_, err := ivvyclient.New(srv.URL, testKey, testSecret).Ping(context.Background())
	require.ErrorContains(t, err, "exceeds")
}

func TestCallRequestAndResponseEncoding(t *testing.T) {
	srv := newFakeServer(t, func(_, _ string, body []byte) (int, any) {
		return http.StatusOK, json.RawMessage(body)
	})
	c := ivvyclient.New(srv.URL, testKey, testSecret)
	t.Run("echoes a JSON body", func(t *testing.T) {
		var out map[string]int
		require.NoError(t, c.Call(context.Background(), "x", "echo", map[string]int{"a": 1}, &out))
		require.Equal(t, map[string]int{"a": 1}, out)
	})
	t.Run("escapes namespace and action", func(t *testing.T) {
		require.NoError(t, c.Call(context.Background(), "a b", "x&y", map[string]int{}, nil))
		require.Equal(t, "/api/1.0/a%20b?action=x%26y", srv.lastRequest().RequestURI)
	})
	t.Run("reports an unencodable body", func(t *testing.T) {
		err := c.Call(context.Background(), "x", "echo", make(chan int), nil)
		require.ErrorContains(t, err, "encoding request")
	})
	t.Run("reports an undecodable response", func(t *testing.T) {
		var out int
		err := c.Call(context.Background(), "x", "echo", "text", &out)
		require.ErrorContains(t, err, "decoding response")
	})
	t.Run("reports a ping without ack", func(t *testing.T) {
		_, err := c.Ping(context.Background())
		require.Error(t, err)
		require.False(t, errors.As(err, new(*ivvyclient.APIError)))
	})
}
