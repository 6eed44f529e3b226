package receiver_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver"
	"github.com/ivvy-notify/ivvy-notify/receiver/receivertest"
)

// sink records what a Handler passed to its callbacks.
type sink struct {
	mu            sync.Mutex
	notifications []*receiver.Notification
	confirmations []string // confirm responses
	unsubscribes  []*receiver.SNSMessage
	errs          []error
	fail          error // returned by OnNotification
}

func (s *sink) options() receiver.HandlerOptions {
	return receiver.HandlerOptions{
		OnNotification: func(_ context.Context, n *receiver.Notification) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.notifications = append(s.notifications, n)
			return s.fail
		},
		OnSubscriptionConfirmation: func(_ context.Context, _ *receiver.SNSMessage, resp []byte) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.confirmations = append(s.confirmations, string(resp))
		},
		OnUnsubscribeConfirmation: func(_ context.Context, m *receiver.SNSMessage) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.unsubscribes = append(s.unsubscribes, m)
		},
		OnError: func(_ *http.Request, err error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.errs = append(s.errs, err)
		},
	}
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.notifications)
}

// newHandler returns a Handler for srv with callbacks recorded in a sink;
// mod, if set, adjusts the options.
func newHandler(t *testing.T, srv *receivertest.Server, mod func(*receiver.HandlerOptions)) (*receiver.Handler, *sink) {
	t.Helper()
	s := &sink{}
	o := s.options()
	if mod != nil {
		mod(&o)
	}
	h, err := receiver.NewHandler(srv.Verifier(), o)
	require.NoError(t, err)
	return h, s
}

// serve runs one request through h.
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestHandler_Notification(t *testing.T) {
	for name, start := range map[string]func(testing.TB) *receivertest.Server{
		"http": receivertest.NewServer, "https": receivertest.NewTLSServer,
	} {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			h, s := newHandler(t, srv, nil)
			body := srv.Notification("CompanyAdded", map[string]any{"data": map[string]any{"id": 7}},
				receivertest.WithAPIKey("KEY1"), receivertest.WithTime(time.Now()), receivertest.WithTxnID("0123456789abcdef0123456789abcdef"))
			rec := serve(h, srv.Request(body))
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.Len(t, s.notifications, 1)
			n := s.notifications[0]
			topic := srv.TopicArn(receivertest.DefaultAccountID, "CompanyAdded")
			require.Equal(t, topic, n.TopicArn)
			require.True(t, strings.HasSuffix(topic, "_NotifCompanies"))
			require.Equal(t, srv.SubscriptionArn(topic), n.SubscriptionArn)
			require.Equal(t, "0123456789abcdef0123456789abcdef", n.TxnID)
			require.Equal(t, receivertest.Region, n.Region)
			require.Equal(t, "14", n.AccountID)
			require.Equal(t, "CompanyAdded", n.Subject)
			require.JSONEq(t, `{"data":{"id":7}}`, string(n.Body))
			require.Equal(t, receiver.SourceTypeAPI, n.SourceType)
			require.Equal(t, "KEY1", n.APIKey())
			require.NotEmpty(t, n.MessageID)
			require.WithinDuration(t, time.Now(), n.Timestamp, time.Minute)
			require.WithinDuration(t, time.Now(), n.EventTime, time.Minute)
			require.Equal(t, time.UTC, n.EventTime.Location())
			require.NotNil(t, n.Raw)
			require.NotNil(t, n.Inner)
			require.Empty(t, s.errs)
		})
	}
}

func TestHandler_SubscriptionConfirmation(t *testing.T) {
	srv := receivertest.NewServer(t)
	h, s := newHandler(t, srv, nil)
	topic := srv.TopicArn("14", "CompanyAdded")
	rec := serve(h, srv.Request(srv.SubscriptionConfirmation(topic)))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, []string{topic}, srv.Confirmed())
	require.Len(t, s.confirmations, 1)
	require.Contains(t, s.confirmations[0], "<SubscriptionArn>"+srv.SubscriptionArn(topic)+"</SubscriptionArn>")
	require.Zero(t, s.count())
}

func TestHandler_ForgedConfirmationIsNotConfirmed(t *testing.T) {
	srv := receivertest.NewServer(t)
	other := receivertest.NewServer(t)
	h, s := newHandler(t, srv, nil)
	topic := srv.TopicArn("14", "CompanyAdded")
	good := srv.SubscriptionConfirmation(topic)
	forged := map[string][]byte{
		"token changed":       bytes.Replace(good, []byte(`"Token" : "`), []byte(`"Token" : "0`), 1),
		"message changed":     bytes.Replace(good, []byte("You have"), []byte("You hava"), 1),
		"signature changed":   bytes.Replace(good, []byte(`"Signature" : "`), []byte(`"Signature" : "AA`), 1),
		"other sender":        other.SubscriptionConfirmation(topic),
		"SubscribeURL moved":  bytes.Replace(good, []byte(`"SubscribeURL" : "http://`), []byte(`"SubscribeURL" : "http://x`), 1),
		"not JSON":            []byte("hello"),
		"confirmation as GET": nil,
	}
	for name, body := range forged {
		req := srv.Request(body)
		if body == nil {
			req = httptest.NewRequest(http.MethodGet, "/", nil)
		}
		rec := serve(h, req)
		require.NotEqual(t, http.StatusOK, rec.Code, name)
	}
	require.Empty(t, srv.Confirmed(), "no forged message was confirmed")
	require.Empty(t, other.Confirmed())
	require.Empty(t, s.confirmations)
	require.Len(t, s.errs, len(forged)-1, "each refusal is reported (405 is not)")
}

func TestHandler_RefusalsNameTheCheck(t *testing.T) {
	srv := receivertest.NewServer(t)
	other := receivertest.NewServer(t)
	h, s := newHandler(t, srv, func(o *receiver.HandlerOptions) {
		o.AllowTopic = func(arn string) bool { return strings.HasSuffix(arn, "_NotifCompanies") }
	})
	for _, tt := range []struct {
		name   string
		body   []byte
		status int
		check  receiver.Check
	}{
		{"other sender's cert host", other.Notification("CompanyAdded", `{"data":{}}`), 400, receiver.CheckCertHost},
		{"topic not allowed", srv.Notification("BookingAdded", `{"data":{}}`), 403, receiver.CheckUnknownTopic},
		{"confirmation of a topic not allowed", srv.SubscriptionConfirmation(srv.TopicArn("14", "BookingAdded")), 403, receiver.CheckUnknownTopic},
		{"malformed", []byte(`{"Type":"Notification"}`), 400, receiver.CheckMalformed},
		{"inner key path", srv.Notification("CompanyAdded", `{"data":{}}`, receivertest.WithKeyPath("/../x")), 400, receiver.CheckInnerSignature},
		{"inner key missing", srv.Notification("CompanyAdded", `{"data":{}}`, receivertest.WithKeyPath("/accounts/14/1/notifcert.txt")), 503, receiver.CheckKeyFetch},
		{"inner body not JSON", srv.Notification("CompanyAdded", `{"data":`), 400, receiver.CheckMalformed},
		{"account does not own the topic", srv.Notification("CompanyAdded", `{"data":{}}`, receivertest.WithAccountID("15"),
			receivertest.WithTopicArn(srv.TopicArn("14", "CompanyAdded"))), 400, receiver.CheckMalformed},
	} {
		s.errs = nil
		rec := serve(h, srv.Request(tt.body))
		require.Equal(t, tt.status, rec.Code, tt.name)
		require.Contains(t, rec.Body.String(), "receiver: "+string(tt.check)+": ", tt.name)
		require.Len(t, s.errs, 1, tt.name)
		c, _ := receiver.CheckOf(s.errs[0])
		require.Equal(t, tt.check, c, tt.name)
	}
	require.Zero(t, s.count())
	require.Empty(t, srv.Confirmed())
}

func TestHandler_InnerSignedWithAnotherKey(t *testing.T) {
	srv := receivertest.NewServer(t)
	other := receivertest.NewServer(t)
	o := srv.Options()
	o.KeyBaseURL = other.KeyBaseURL() // serves a different account key
	v, err := receiver.NewVerifier(o)
	require.NoError(t, err)
	s := &sink{}
	h, err := receiver.NewHandler(v, s.options())
	require.NoError(t, err)
	body := srv.Notification("CompanyAdded", `{"data":{}}`, receivertest.WithKeyPath(other.KeyPath("14")))
	rec := serve(h, srv.Request(body))
	require.Equal(t, http.StatusBadRequest, rec.Code)
	require.Contains(t, rec.Body.String(), "receiver: inner signature: ")
	require.Zero(t, s.count())
}

func TestHandler_DuplicatesAreDeliveredOnce(t *testing.T) {
	srv := receivertest.NewServer(t)
	h, s := newHandler(t, srv, nil)
	body := srv.Notification("CompanyDeleted", map[string]any{"companyId": 1})
	for range 3 {
		require.Equal(t, http.StatusOK, serve(h, srv.Request(body)).Code)
	}
	same := srv.Notification("CompanyDeleted", map[string]any{"companyId": 2}, receivertest.WithMessageID(s.notifications[0].MessageID))
	require.Equal(t, http.StatusOK, serve(h, srv.Request(same)).Code)
	require.Equal(t, 1, s.count())
	require.Len(t, s.errs, 3)
	for _, err := range s.errs {
		require.ErrorIs(t, err, receiver.ErrDuplicate)
	}
}

func TestHandler_ConcurrentDuplicatesWait(t *testing.T) {
	srv := receivertest.NewServer(t)
	var calls atomic.Int32
	h, err := receiver.NewHandler(srv.Verifier(), receiver.HandlerOptions{
		OnNotification: func(context.Context, *receiver.Notification) error {
			calls.Add(1)
			time.Sleep(50 * time.Millisecond)
			return nil
		},
	})
	require.NoError(t, err)
	body := srv.Notification("CompanyDeleted", map[string]any{"companyId": 1})
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if code := serve(h, srv.Request(body)).Code; code != http.StatusOK {
				t.Errorf("status %d", code)
			}
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), calls.Load())
}

func TestHandler_UserErrorIsRetried(t *testing.T) {
	srv := receivertest.NewServer(t)
	h, s := newHandler(t, srv, nil)
	s.fail = errors.New("database down")
	body := srv.Notification("CompanyDeleted", map[string]any{"companyId": 1})
	rec := serve(h, srv.Request(body))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.NotContains(t, rec.Body.String(), "database down", "user errors are not sent back")
	require.ErrorIs(t, s.errs[0], s.fail)

	s.fail = nil
	require.Equal(t, http.StatusOK, serve(h, srv.Request(body)).Code, "the retry is handled")
	require.Equal(t, http.StatusOK, serve(h, srv.Request(body)).Code)
	require.Equal(t, 2, s.count(), "failed handling is not marked as seen")
}

func TestHandler_MethodNotAllowed(t *testing.T) {
	srv := receivertest.NewServer(t)
	h, s := newHandler(t, srv, nil)
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodHead} {
		rec := serve(h, httptest.NewRequest(method, "/", nil))
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		require.Equal(t, "POST", rec.Header().Get("Allow"))
	}
	require.Empty(t, s.errs)
}
