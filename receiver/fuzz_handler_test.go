package receiver_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
	"github.com/ivvy-notify/ivvy-notify/receiver"
	"github.com/ivvy-notify/ivvy-notify/receiver/receivertest"
)

// neverSeen is a Deduper that lets every message through.
type neverSeen struct{}

func (neverSeen) Seen(context.Context, string) (bool, error) { return false, nil }
func (neverSeen) Mark(context.Context, string) error         { return nil }

// verifiedOffline checks body with the lower-level functions and the
// sender's known keys, without the network: whether its SNS signature, and
// for a Notification its inner signature, verify.
func verifiedOffline(body []byte, cert *x509.Certificate, key *rsa.PublicKey) (m *receiver.SNSMessage, snsOK, innerOK bool) {
	m, err := receiver.ParseSNSMessage(body)
	if err != nil || receiver.VerifySNSSignature(m, cert.PublicKey) != nil {
		return nil, false, false
	}
	inner, err := receiver.ParseIvvyMessage([]byte(m.Message))
	return m, true, err == nil && receiver.VerifyIvvySignature(inner, key) == nil
}

// patchBytes overwrites (or, with insert, inserts) patch at pos modulo
// len(base)+1 in a copy of base.
func patchBytes(base []byte, pos int, patch []byte, insert bool) []byte {
	pos %= len(base) + 1
	out := slices.Clone(base)
	if insert {
		return slices.Insert(out, pos, patch...)
	}
	for i, c := range patch {
		if pos+i < len(out) {
			out[pos+i] = c
		} else {
			out = append(out, c)
		}
	}
	return out
}

// FuzzHandler posts random bodies, and random changes to valid messages,
// to a Handler. It must never panic, answer only with the documented
// statuses, and never confirm, answer 200 to, or hand over a message whose
// signatures do not verify. (The valid messages are rebuilt in each fuzzing
// process, whose keys differ, so the mutations are applied to them rather
// than stored as bodies.)
func FuzzHandler(f *testing.F) {
	srv := receivertest.NewServer(f)
	topic := srv.TopicArn("14", "CompanyAdded")
	valid := [][]byte{
		srv.Notification("CompanyAdded", `{"data":{"id":1,"name":"Café \"A\" & <B>"}}`, receivertest.WithAPIKey("k")),
		srv.Notification("BookingDeleted", `{"venueId":1,"bookingId":2,"bookingStatus":1,"accommodationIds":[],"roomReservationIds":[],"sessionIds":[]}`,
			receivertest.WithSignatureVersion("2")),
		srv.SubscriptionConfirmation(topic),
		srv.UnsubscribeConfirmation(srv.SubscriptionArn(topic)),
	}
	var (
		mu      sync.Mutex
		handled []*receiver.Notification
	)
	h, err := receiver.NewHandler(srv.Verifier(), receiver.HandlerOptions{
		OnNotification: func(_ context.Context, n *receiver.Notification) error {
			mu.Lock()
			defer mu.Unlock()
			handled = append(handled, n)
			return nil
		},
		Dedup: neverSeen{},
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range awsFixtures {
		f.Add(uint8(0), uint16(0), []byte{}, fixture.Read(f, "aws-sns", name))
	}
	for i := range valid {
		f.Add(uint8(i+1), uint16(0), []byte{}, []byte{})
		f.Add(uint8(i+1), uint16(200), []byte("x"), []byte{})
		f.Add(uint8(i+1)|0x80, uint16(900), []byte(`\"`), []byte{})
	}
	f.Add(uint8(0), uint16(0), []byte{}, []byte(`{"Type":"Notification","MessageId":"m","TopicArn":"t","Message":"{}",`+
		`"Timestamp":"t","SignatureVersion":"1","Signature":"s","SigningCertURL":"`+srv.CertURL()+`"}`))

	statuses := []int{http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusBadGateway, http.StatusServiceUnavailable}
	f.Fuzz(func(t *testing.T, kind uint8, pos uint16, patch, raw []byte) {
		body := raw
		if k := int(kind&0x7f) % (len(valid) + 1); k > 0 {
			body = patchBytes(valid[k-1], int(pos), patch, kind&0x80 != 0)
		}
		mu.Lock()
		handled = nil
		mu.Unlock()
		confirmed := len(srv.Confirmed())

		rec := serve(h, srv.Request(body))

		m, snsOK, innerOK := verifiedOffline(body, srv.Certificate(), srv.AccountPublicKey())
		if !slices.Contains(statuses, rec.Code) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK && !snsOK {
			t.Fatalf("200 for a message whose SNS signature does not verify: %q", body)
		}
		if len(srv.Confirmed()) != confirmed && (!snsOK || m.Type != receiver.SNSTypeSubscriptionConfirmation) {
			t.Fatalf("confirmed an unverified message: %q", body)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(handled) > 1 || (len(handled) == 1 && (!snsOK || !innerOK || handled[0].Raw.Message != m.Message)) {
			t.Fatalf("OnNotification called for an unverified message: %q", body)
		}
		if rec.Code == http.StatusOK && m.Type == receiver.SNSTypeNotification && len(handled) != 1 {
			t.Fatalf("200 without handing over the Notification: %q", body)
		}
	})
}
