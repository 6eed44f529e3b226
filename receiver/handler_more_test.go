package receiver_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver"
	"github.com/ivvy-notify/ivvy-notify/receiver/receivertest"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// handlerWithClient returns a Handler for srv whose Verifier makes requests
// through rt.
func handlerWithClient(t *testing.T, srv *receivertest.Server, rt http.RoundTripper) (*receiver.Handler, *sink) {
	o := srv.Options()
	o.HTTPClient = &http.Client{Transport: rt}
	v, err := receiver.NewVerifier(o)
	require.NoError(t, err)
	s := &sink{}
	h, err := receiver.NewHandler(v, s.options())
	require.NoError(t, err)
	return h, s
}

func TestHandler_DisableAutoConfirm(t *testing.T) {
	srv := receivertest.NewServer(t)
	h, s := newHandler(t, srv, func(o *receiver.HandlerOptions) { o.DisableAutoConfirm = true })
	body := srv.SubscriptionConfirmation(srv.TopicArn("14", "ContactAdded"))
	require.Equal(t, http.StatusOK, serve(h, srv.Request(body)).Code)
	require.Empty(t, srv.Confirmed())
	require.Equal(t, []string{""}, s.confirmations, "reported with no response")

	// Confirming by hand works, and refuses unverified messages.
	m, err := receiver.ParseSNSMessage(body)
	require.NoError(t, err)
	resp, err := srv.Verifier().ConfirmSubscription(context.Background(), m)
	require.NoError(t, err)
	require.Contains(t, string(resp), "ConfirmSubscriptionResponse")
	require.Len(t, srv.Confirmed(), 1)
	m.Token += "0"
	_, err = srv.Verifier().ConfirmSubscription(context.Background(), m)
	requireCheck(t, err, receiver.CheckSNSSignature)
	require.Len(t, srv.Confirmed(), 1)
}

func TestHandler_UnsubscribeConfirmation(t *testing.T) {
	srv := receivertest.NewServer(t)
	h, s := newHandler(t, srv, nil)
	sub := srv.SubscriptionArn(srv.TopicArn("14", "CompanyAdded"))
	require.Equal(t, http.StatusOK, serve(h, srv.Request(srv.UnsubscribeConfirmation(sub))).Code)
	require.Len(t, s.unsubscribes, 1)
	require.Equal(t, srv.TopicArn("14", "CompanyAdded"), s.unsubscribes[0].TopicArn)
	require.Contains(t, s.unsubscribes[0].Message, sub)
	require.Empty(t, srv.Confirmed(), "an unsubscribe is not undone automatically")

	resp, err := srv.Verifier().ConfirmSubscription(context.Background(), s.unsubscribes[0])
	require.NoError(t, err, "its SubscribeURL restores the subscription")
	require.Contains(t, string(resp), sub)
}

func TestHandler_Stale(t *testing.T) {
	srv := receivertest.NewServer(t)
	o := srv.Options()
	o.MaxMessageAge = time.Hour
	v, err := receiver.NewVerifier(o)
	require.NoError(t, err)
	s := &sink{}
	h, err := receiver.NewHandler(v, s.options())
	require.NoError(t, err)
	old := srv.Notification("CompanyAdded", `{"data":{}}`, receivertest.WithTime(time.Now().Add(-2*time.Hour)))
	rec := serve(h, srv.Request(old))
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), "receiver: stale message: ")
	fresh := srv.Notification("CompanyAdded", `{"data":{}}`, receivertest.WithTime(time.Now().Add(-time.Minute)))
	require.Equal(t, http.StatusOK, serve(h, srv.Request(fresh)).Code)
	require.Equal(t, 1, s.count())
}

func TestHandler_TransientFailuresAskForRetry(t *testing.T) {
	srv := receivertest.NewServer(t)
	down := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("network down") })
	h, s := handlerWithClient(t, srv, down)
	rec := serve(h, srv.Request(srv.Notification("CompanyAdded", `{"data":{}}`)))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.Contains(t, rec.Body.String(), "receiver: cert fetch: ")
	require.Zero(t, s.count())

	// The certificate can be fetched, the SubscribeURL cannot: 502.
	confirmDown := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Query().Get("Action") != "" {
			return nil, errors.New("network down")
		}
		return srv.Client().Transport.RoundTrip(r)
	})
	h, s = handlerWithClient(t, srv, confirmDown)
	rec = serve(h, srv.Request(srv.SubscriptionConfirmation(srv.TopicArn("14", "CompanyAdded"))))
	require.Equal(t, http.StatusBadGateway, rec.Code)
	require.Contains(t, rec.Body.String(), "receiver: subscription confirmation: ")
	require.Empty(t, s.confirmations)
}

// failingDedup fails Seen or Mark.
type failingDedup struct{ seen, mark error }

func (d failingDedup) Seen(context.Context, string) (bool, error) { return false, d.seen }
func (d failingDedup) Mark(context.Context, string) error         { return d.mark }

func TestHandler_DedupErrors(t *testing.T) {
	srv := receivertest.NewServer(t)
	h, s := newHandler(t, srv, func(o *receiver.HandlerOptions) { o.Dedup = failingDedup{seen: errors.New("redis down")} })
	require.Equal(t, http.StatusInternalServerError, serve(h, srv.Request(srv.Notification("CompanyAdded", `{"data":{}}`))).Code)
	require.Zero(t, s.count())

	h, s = newHandler(t, srv, func(o *receiver.HandlerOptions) { o.Dedup = failingDedup{mark: errors.New("redis down")} })
	require.Equal(t, http.StatusOK, serve(h, srv.Request(srv.Notification("CompanyAdded", `{"data":{}}`))).Code)
	require.Equal(t, 1, s.count())
	require.ErrorContains(t, s.errs[0], "redis down")
}

func TestHandler_OverHTTP(t *testing.T) {
	srv := receivertest.NewTLSServer(t)
	h, s := newHandler(t, srv, nil)
	endpoint := httptest.NewServer(h)
	t.Cleanup(endpoint.Close)
	for _, body := range [][]byte{
		srv.SubscriptionConfirmation(srv.TopicArn("14", "BookingDeleted")),
		srv.Notification("BookingDeleted", `{"venueId":1,"bookingId":"2","bookingStatus":3,"accommodationIds":[],"roomReservationIds":[4],"sessionIds":[5,"6"]}`),
	} {
		resp, err := srv.Deliver(endpoint.URL+"/ivvy", body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	require.Len(t, srv.Confirmed(), 1)
	require.Len(t, s.notifications, 1)
	n := s.notifications[0]
	require.True(t, strings.HasPrefix(n.SubscriptionArn, n.TopicArn+":"))
	b, err := receiver.DecodeBody[receiver.BookingDeleted](n)
	require.NoError(t, err)
	require.Equal(t, receiver.BookingDeleted{
		VenueID: "1", BookingID: "2", BookingStatus: "3", AccommodationIDs: []receiver.ID{},
		RoomReservationIDs: []receiver.ID{"4"}, SessionIDs: []receiver.ID{"5", "6"},
	}, b)
	require.Equal(t, 1, srv.CertFetches())
	require.Equal(t, 1, srv.KeyFetches("14"))
}

func TestNewHandler_Errors(t *testing.T) {
	srv := receivertest.NewServer(t)
	_, err := receiver.NewHandler(nil, receiver.HandlerOptions{OnNotification: func(context.Context, *receiver.Notification) error { return nil }})
	require.Error(t, err)
	_, err = receiver.NewHandler(srv.Verifier(), receiver.HandlerOptions{})
	require.ErrorContains(t, err, "OnNotification")
}
