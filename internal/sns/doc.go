// Package sns implements the Amazon SNS HTTP/S wire format that ivvy-notify
// reproduces byte for byte: the three message types, their canonical
// strings to sign, RSA signing (SignatureVersion "1" and "2"), the JSON body
// layout SNS sends, the delivery headers, the XML answers of the
// ConfirmSubscription / Unsubscribe GET URLs, and the self-signed signing
// certificate served at SigningCertURL.
//
// The package is a leaf: it knows nothing about accounts, topics or storage.
// It has no clock and no randomness of its own; IDs, tokens, times and
// random sources are passed in by the caller.
//
// The references are ../shared/SNS.md (§1 bodies, §2 string to sign, §3.2
// headers, §5.2 XML, §8.6 sender rules) and the five genuine AWS-signed
// messages in ../shared/fixtures/aws-sns (copied byte for byte to
// testdata/fixtures), which MarshalSNS re-renders byte for byte and whose
// signatures verify over StringToSign.
//
// A typical sender:
//
//	m := sns.NewNotification(sns.NotificationParams{
//		BaseURL:         "https://sns.example.com",
//		MessageID:       id,
//		TopicArn:        topicArn,
//		SubscriptionArn: subArn,
//		Message:         body,
//		Timestamp:       now,
//	})
//	signer := sns.Signer{Key: key, Version: sns.SignatureVersion1, CertURL: sns.CertURL(base, hex)}
//	if err := signer.Sign(m); err != nil { ... }
//	req.Header = sns.Headers(m, subArn)
//	body := m.MarshalSNS()
package sns
