package ivvyclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ivvy-notify/ivvy-notify/internal/iws"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

// exampleServer is a tiny stand-in for an ivvy-notify server: it verifies
// the IWS signature of each request and answers test?action=ping.
func exampleServer(key, secret string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		s, err := iws.Parse(r, body)
		if err == nil {
			err = s.CheckTime(time.Now(), iws.DefaultWindow)
		}
		if err != nil || s.Key != key || !s.Verify(secret) {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]any{"errorCode": 401, "message": "Unauthorized"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"ack": "2026-11-23 10:15:30 UTC"})
	}))
}

func Example() {
	srv := exampleServer("my-key", "my-secret")
	defer srv.Close()

	c := ivvyclient.New(srv.URL, "my-key", "my-secret")
	ack, err := c.Ping(context.Background())
	if err != nil {
		fmt.Println("ping failed:", err)
		return
	}
	fmt.Println("ack:", ack)
	// Output: ack: 2026-11-23 10:15:30 UTC
}

func ExampleAPIError() {
	srv := exampleServer("my-key", "my-secret")
	defer srv.Close()

	c := ivvyclient.New(srv.URL, "my-key", "not-my-secret", ivvyclient.WithDialect(ivvyclient.DialectDotNet))
	_, err := c.Ping(context.Background())
	var apiErr *ivvyclient.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.ErrorCode, apiErr.Message)
		fmt.Println(err)
	}
	// Output:
	// 401 Unauthorized
	// ivvy: HTTP 401: Unauthorized (errorCode 401)
}

func ExampleClient_SubscribeToNotifications() {
	// A server that confirms the companies endpoint only.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"companiesSuccess": true,
			"companiesTopicId": "arn:aws:sns:local:000000000000:iVvy_Account_41_abc_NotifCompanies"}`)
	}))
	defer srv.Close()

	c := ivvyclient.New(srv.URL, "my-key", "my-secret")
	res, err := c.SubscribeToNotifications(context.Background(), ivvyclient.Endpoints{
		Companies: "https://hooks.example.com/ivvy/companies",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.CompaniesSuccess, *res.CompaniesTopicID)
	fmt.Println(res.EventsSuccess, res.EventsTopicID == nil)
	// Output:
	// true arn:aws:sns:local:000000000000:iVvy_Account_41_abc_NotifCompanies
	// false true
}
