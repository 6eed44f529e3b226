package receiver_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/ivvy-notify/ivvy-notify/receiver"
	"github.com/ivvy-notify/ivvy-notify/receiver/receivertest"
)

// Verify one webhook body by hand: the SNS signature, then the iVvy message
// inside it.
func Example() {
	sender := receivertest.Start() // stands in for ivvy-notify, or iVvy's SNS topics
	defer sender.Close()
	body := sender.Notification("CompanyAdded", `{"data":{"id":60825}}`)

	// In production: Options{CertHostPattern: <your sender's host>, KeyBaseURL: <its key base URL>}.
	v, err := receiver.NewVerifier(sender.Options())
	if err != nil {
		log.Fatal(err)
	}
	m, err := receiver.ParseSNSMessage(body)
	if err != nil {
		log.Fatal(err)
	}
	n, err := v.VerifyNotification(context.Background(), m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n.Subject, "for account", n.AccountID+":", string(n.Body))
	// Output: CompanyAdded for account 14: {"data":{"id":60825}}
}

// A Handler confirms the subscription, then hands over each event once.
func ExampleHandler() {
	sender := receivertest.Start()
	defer sender.Close()

	h, err := receiver.NewHandler(sender.Verifier(), receiver.HandlerOptions{
		OnSubscriptionConfirmation: func(_ context.Context, m *receiver.SNSMessage, _ []byte) {
			fmt.Println("confirmed a subscription to", sender.TopicArn("14", "CompanyDeleted") == m.TopicArn)
		},
		OnNotification: func(_ context.Context, n *receiver.Notification) error {
			fmt.Println("got", n.Subject, string(n.Body))
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	post := func(body []byte) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, sender.Request(body)) // or: sender.Deliver(yourServerURL, body)
		return rec.Code
	}

	fmt.Println(post(sender.SubscriptionConfirmation(sender.TopicArn("14", "CompanyDeleted"))))
	event := sender.Notification("CompanyDeleted", map[string]int{"companyId": 42})
	fmt.Println(post(event))
	fmt.Println(post(event))                                          // a redelivery: not handed over again
	forged := bytes.Replace(event, []byte(`:42}`), []byte(`:43}`), 1) // the companyId
	fmt.Println(post(forged))
	// Output:
	// confirmed a subscription to true
	// 200
	// got CompanyDeleted {"companyId":42}
	// 200
	// 200
	// 400
}

// The Deleted subjects carry ids; iVvy sends them as numbers or strings.
func ExampleDecodeBody() {
	n := &receiver.Notification{Subject: "BookingDeleted", Body: []byte(
		`{"venueId":3,"bookingId":"1207","bookingStatus":2,"accommodationIds":[],"roomReservationIds":[88],"sessionIds":[5,6]}`)}
	b, err := receiver.DecodeBody[receiver.BookingDeleted](n)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.VenueID, b.BookingID, b.RoomReservationIDs, b.SessionIDs)

	_, err = receiver.DecodeBody[receiver.CompanyDeleted](n) // the wrong type for the subject
	fmt.Println(err)
	// Output:
	// 3 1207 [88] [5 6]
	// receiver: BookingDeleted body: required member missing: "companyId"
}

// Updated subjects carry the record before and after the change.
func ExampleDecodeData() {
	n := &receiver.Notification{Subject: "CompanyUpdated", Body: []byte(
		`{"data":{"id":1,"businessName":"New Name"},"previousData":{"id":1,"businessName":"Old Name"}}`)}
	data, previous, err := receiver.DecodeData(n)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data))
	fmt.Println(string(previous))
	// Output:
	// {"id":1,"businessName":"New Name"}
	// {"id":1,"businessName":"Old Name"}
}

// Errors name the check that failed; a Handler answers with its status.
func ExampleCheckOf() {
	sender := receivertest.Start()
	defer sender.Close()
	m, err := receiver.ParseSNSMessage(sender.Notification("CompanyAdded", `{"data":{}}`))
	if err != nil {
		log.Fatal(err)
	}
	m.Message += " "
	err = sender.Verifier().VerifySNS(context.Background(), m)
	check, _ := receiver.CheckOf(err)
	fmt.Println(check, check.HTTPStatus(), http.StatusText(check.HTTPStatus()))
	fmt.Println(err)
	// Output:
	// SNS signature 400 Bad Request
	// receiver: SNS signature: invalid SNS signature: crypto/rsa: verification error
}
