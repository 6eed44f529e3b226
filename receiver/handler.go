package receiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// HandlerOptions configure a Handler. Only OnNotification is required.
type HandlerOptions struct {
	// OnNotification receives each verified Notification once (see
	// Dedup). Return nil when the event is handled: the sender gets 200.
	// An error answers 500, so the sender retries the same message later.
	OnNotification func(ctx context.Context, n *Notification) error
	// OnSubscriptionConfirmation, if set, is told about each verified
	// SubscriptionConfirmation, after the SubscribeURL visit with its
	// response body (SNS's ConfirmSubscriptionResponse XML), or with nil
	// when DisableAutoConfirm is set; then confirm it yourself with
	// Verifier.ConfirmSubscription if you want the subscription.
	OnSubscriptionConfirmation func(ctx context.Context, m *SNSMessage, confirmResponse []byte)
	// OnUnsubscribeConfirmation, if set, is told about each verified
	// UnsubscribeConfirmation. The subscription has ended; visiting the
	// message's SubscribeURL (Verifier.ConfirmSubscription) restores it.
	OnUnsubscribeConfirmation func(ctx context.Context, m *SNSMessage)
	// AllowTopic, if set, must return true for a message's TopicArn,
	// otherwise the message is refused with 403 (CheckUnknownTopic) before
	// anything else happens: no confirmation, no handler call. Nil allows
	// every topic whose messages verify.
	AllowTopic func(topicArn string) bool
	// Dedup suppresses redelivered Notifications by MessageId. Nil means
	// NewMemoryDeduper(0, 0): the last 10,000 MessageIds for 24 hours.
	Dedup Deduper
	// DisableAutoConfirm stops the Handler from visiting the SubscribeURL
	// of SubscriptionConfirmations.
	DisableAutoConfirm bool
	// OnError, if set, is told about every POST answered with an error
	// (not about 405s), and about duplicates (CheckDuplicate, answered
	// 200). Use CheckOf to tell which check failed; errors of
	// OnNotification and of Dedup are passed as they are.
	OnError func(r *http.Request, err error)
}

// Handler is the http.Handler of a webhook endpoint. For each POST it:
//
//  1. parses the body (Verifier.ParseRequest): 400 when malformed;
//  2. verifies the SNS signature (Verifier.VerifySNS): 400, or 503 when the
//     certificate could not be fetched, so the sender retries;
//  3. applies AllowTopic: 403;
//  4. SubscriptionConfirmation: visits SubscribeURL (502 if that fails) and
//     answers 200; UnsubscribeConfirmation: reports it, 200;
//  5. Notification: verifies the iVvy message inside (400, or 503 when the
//     key could not be fetched), answers a duplicate MessageId with 200
//     without calling OnNotification, otherwise calls OnNotification: 200
//     when it returns nil, 500 when it fails.
//
// Other methods get 405. A message is never confirmed, reported or handed
// over unless its signatures verified. Deliveries of one MessageId that
// arrive while it is being handled wait for that handling to finish. The
// error text of a refusal names the failed check ("receiver: SNS
// signature: …").
type Handler struct {
	v    *Verifier
	opts HandlerOptions

	mu       sync.Mutex
	inflight map[string]chan struct{} // MessageIds being handled
}

// NewHandler returns a Handler verifying with v. It fails when v or
// o.OnNotification is nil.
func NewHandler(v *Verifier, o HandlerOptions) (*Handler, error) {
	if v == nil {
		return nil, errors.New("receiver: NewHandler needs a Verifier")
	}
	if o.OnNotification == nil {
		return nil, errors.New("receiver: HandlerOptions.OnNotification is required")
	}
	if o.Dedup == nil {
		o.Dedup = NewMemoryDeduper(0, 0)
	}
	return &Handler{v: v, opts: o, inflight: map[string]chan struct{}{}}, nil
}

// ServeHTTP handles one delivery; see Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "receiver: only POST is accepted", http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	m, err := h.v.ParseRequest(r)
	if err == nil {
		err = h.v.VerifySNS(ctx, m)
	}
	if err == nil && h.opts.AllowTopic != nil && !h.opts.AllowTopic(m.TopicArn) {
		err = fail(CheckUnknownTopic, fmt.Errorf("TopicArn %s is not allowed", m.TopicArn))
	}
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	switch m.Type {
	case SNSTypeSubscriptionConfirmation:
		var resp []byte
		if !h.opts.DisableAutoConfirm {
			if resp, err = h.v.confirm(ctx, m); err != nil {
				h.refuse(w, r, err)
				return
			}
		}
		if h.opts.OnSubscriptionConfirmation != nil {
			h.opts.OnSubscriptionConfirmation(ctx, m, resp)
		}
	case SNSTypeUnsubscribeConfirmation:
		if h.opts.OnUnsubscribeConfirmation != nil {
			h.opts.OnUnsubscribeConfirmation(ctx, m)
		}
	default: // ParseRequest admits only the three types
		n, err := h.v.notification(ctx, m)
		if err != nil {
			h.refuse(w, r, err)
			return
		}
		n.SubscriptionArn = header(r.Header, HeaderSubscriptionArn)
		if !h.deliver(w, r, n) {
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// deliver hands n to OnNotification once per MessageId. It reports whether
// the caller should answer 200; when it returns false it has answered.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, n *Notification) bool {
	ctx := r.Context()
	release, err := h.acquire(ctx, n.MessageID)
	if err != nil {
		h.respond(w, r, err, http.StatusServiceUnavailable, "receiver: request ended while the message was being handled")
		return false
	}
	defer release()
	seen, err := h.opts.Dedup.Seen(ctx, n.MessageID)
	if err != nil {
		h.respond(w, r, fmt.Errorf("receiver: dedup: %w", err), http.StatusInternalServerError, "receiver: dedup failed")
		return false
	}
	if seen {
		h.report(r, fail(CheckDuplicate, fmt.Errorf("MessageId %s was already handled", n.MessageID)))
		return true
	}
	if err := h.opts.OnNotification(ctx, n); err != nil {
		h.respond(w, r, err, http.StatusInternalServerError, "receiver: the notification handler failed")
		return false
	}
	if err := h.opts.Dedup.Mark(ctx, n.MessageID); err != nil {
		h.report(r, fmt.Errorf("receiver: dedup: %w", err)) // handled; only the mark is lost
	}
	return true
}

// acquire waits until no other request handles messageID and claims it; the
// returned func releases it.
func (h *Handler) acquire(ctx context.Context, messageID string) (func(), error) {
	for {
		h.mu.Lock()
		busy, ok := h.inflight[messageID]
		if !ok {
			done := make(chan struct{})
			h.inflight[messageID] = done
			h.mu.Unlock()
			return func() {
				h.mu.Lock()
				delete(h.inflight, messageID)
				h.mu.Unlock()
				close(done)
			}, nil
		}
		h.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// refuse answers a failed check with its status and error text.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadRequest
	if c, ok := CheckOf(err); ok {
		status = c.HTTPStatus()
	}
	h.respond(w, r, err, status, err.Error())
}

// respond reports err and answers status with text.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, err error, status int, text string) {
	h.report(r, err)
	http.Error(w, text, status)
}

// report passes err to OnError, if set.
func (h *Handler) report(r *http.Request, err error) {
	if h.opts.OnError != nil {
		h.opts.OnError(r, err)
	}
}
