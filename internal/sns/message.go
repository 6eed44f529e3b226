package sns

// Message types, the value of Type and of the x-amz-sns-message-type header.
const (
	// TypeSubscriptionConfirmation asks the endpoint to visit SubscribeURL.
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	// TypeNotification carries a published message.
	TypeNotification = "Notification"
	// TypeUnsubscribeConfirmation tells the endpoint it was unsubscribed;
	// visiting its SubscribeURL re-subscribes it.
	TypeUnsubscribeConfirmation = "UnsubscribeConfirmation"
)

// Message is one SNS HTTP/S message. Every field is a JSON string on the
// wire. Fields that a type does not use stay empty: Token and SubscribeURL
// belong to the confirmation types, Subject and UnsubscribeURL to
// Notification. An empty Subject means "no Subject": it is then neither
// sent nor signed (SNS.md §8.6).
type Message struct {
	Type             string
	MessageId        string // SNS spelling (the JSON key), kept on purpose.
	Token            string
	TopicArn         string
	Subject          string
	Message          string
	SubscribeURL     string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	UnsubscribeURL   string
}

// isConfirmation reports whether typ is one of the two confirmation types,
// which share their key layout and their signed keys.
func isConfirmation(typ string) bool {
	return typ == TypeSubscriptionConfirmation || typ == TypeUnsubscribeConfirmation
}

// knownType reports whether typ is one of the three SNS message types.
func knownType(typ string) bool {
	return typ == TypeNotification || isConfirmation(typ)
}

// field is one key/value pair of a message, in wire or signing order.
type field struct {
	key, value string
}

// signedFields lists the key/value pairs of the canonical string in byte
// order of the keys (SNS.md §2.1). A message whose Type is not a
// confirmation type uses the Notification list.
func signedFields(m *Message) []field {
	if isConfirmation(m.Type) {
		return []field{
			{"Message", m.Message},
			{"MessageId", m.MessageId},
			{"SubscribeURL", m.SubscribeURL},
			{"Timestamp", m.Timestamp},
			{"Token", m.Token},
			{"TopicArn", m.TopicArn},
			{"Type", m.Type},
		}
	}
	fs := make([]field, 0, 6)
	fs = append(fs, field{"Message", m.Message}, field{"MessageId", m.MessageId})
	if m.Subject != "" {
		fs = append(fs, field{"Subject", m.Subject})
	}
	return append(fs,
		field{"Timestamp", m.Timestamp},
		field{"TopicArn", m.TopicArn},
		field{"Type", m.Type},
	)
}

// StringToSign returns the canonical bytes SNS signs (SNS.md §2.1): for each
// signed key, "Key\nValue\n", the last value included, so the result ends
// with a newline.
//
// Notification signs Message, MessageId, Subject (only when non-empty),
// Timestamp, TopicArn, Type. SubscriptionConfirmation and
// UnsubscribeConfirmation sign Message, MessageId, SubscribeURL, Timestamp,
// Token, TopicArn, Type. A Type that is not a confirmation type is treated
// as a Notification here; Signer.Sign refuses unknown types.
func StringToSign(m *Message) []byte {
	fs := signedFields(m)
	n := 0
	for _, f := range fs {
		n += len(f.key) + len(f.value) + 2
	}
	b := make([]byte, 0, n)
	for _, f := range fs {
		b = append(b, f.key...)
		b = append(b, '\n')
		b = append(b, f.value...)
		b = append(b, '\n')
	}
	return b
}
