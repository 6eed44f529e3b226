// Package receiver is the Go SDK for webhook endpoints that receive iVvy
// account notifications — from ivvy-notify, or from iVvy itself through
// Amazon SNS: the bytes are the same.
//
// Every delivery is an Amazon SNS HTTP/S message. A Notification carries an
// iVvy message (an event: Subject, Body, AccountId, …) signed with the
// account's RSA key; the SNS message around it is signed with the sender's
// SNS key. Handler checks both signatures, confirms subscriptions, drops
// redeliveries and hands you each event once, typed:
//
//	v, err := receiver.NewVerifier(receiver.Options{
//		CertHostPattern: regexp.MustCompile(`^notify\.example\.com$`), // nil: Amazon SNS hosts
//		KeyBaseURL:      "https://notify.example.com/keys",             // iVvy's SIGNING_BASE_PATH
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	h, err := receiver.NewHandler(v, receiver.HandlerOptions{
//		AllowTopic: func(arn string) bool { return strings.Contains(arn, ":iVvy_Account_14_") },
//		OnNotification: func(ctx context.Context, n *receiver.Notification) error {
//			log.Printf("%s for account %s: %s", n.Subject, n.AccountID, n.Body)
//			return nil // an error answers 500, and the sender retries later
//		},
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	log.Fatal(http.ListenAndServe(":8080", h))
//
// # What is checked
//
// The SNS signature (versions 1 and 2) is checked against the certificate
// at the message's SigningCertURL. That URL must be https, on a host that
// matches Options.CertHostPattern (by default AWS's sns.<region>.amazonaws.com),
// with a path ending in .pem and no query, user info or fragment; the
// certificate is fetched with a timeout and a size limit, without following
// redirects, and cached by URL. The iVvy signature (SPEC §4) is checked
// against the account key at Options.KeyBaseURL + SigningPublicKeyPath,
// also cached. A SubscriptionConfirmation's SubscribeURL is visited only
// after its signature and topic checks passed, and only on a host the
// certificate pattern allows.
//
// Failures are *CheckError values naming the failed check (CheckCertHost,
// CheckCertFetch, CheckSNSSignature, CheckInnerSignature, CheckUnknownTopic,
// CheckStale, CheckMalformed, …); their text reads like "receiver: SNS
// signature: …". The Handler answers them with 4xx, or with 5xx where a
// retry can help (a certificate that could not be fetched, a failing
// OnNotification).
//
// # Bodies
//
// Notification.Body is the event's JSON. DecodeData returns data and
// previousData of Added/Updated bodies as raw JSON; DecodeBody decodes into
// a type, such as the id bodies of the Deleted subjects (CompanyDeleted,
// BookingDeleted, …), whose ids accept both JSON numbers and strings.
//
// # Lower-level pieces
//
// Verifier works without a Handler: ParseRequest, VerifySNS, VerifyIvvy,
// VerifyNotification and ConfirmSubscription, for queue consumers, Lambda
// functions or your own router. Below it, ParseSNSMessage,
// VerifySNSSignature, ParseCertificatePEM, ParseIvvyMessage,
// VerifyIvvySignature and ParsePublicKeyPEM do one step each, with no
// network. The SNS and iVvy layers are written from the SNS documentation
// and the SPEC alone, sharing no code with ivvy-notify's signers, so that
// each checks the other.
//
// # Testing
//
// Package receivertest builds correctly signed messages with throwaway keys
// and serves their certificate and public key, so you can test a handler
// without a server.
package receiver
