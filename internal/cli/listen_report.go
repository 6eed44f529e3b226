package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// report is what listen shows for one message, as text or one JSON line.
type report struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	// Path is the request's path (and query), as the webhook URL has it.
	Path          string          `json:"path"`
	TopicArn      string          `json:"topicArn,omitempty"`
	MessageID     string          `json:"messageId,omitempty"`
	Subject       string          `json:"subject,omitempty"`
	AccountID     string          `json:"accountId,omitempty"`
	TxnID         string          `json:"txnId,omitempty"`
	Time          string          `json:"time,omitempty"`
	SNSSignature  check           `json:"snsSignature"`
	IvvySignature *check          `json:"ivvySignature,omitempty"`
	Confirmed     string          `json:"confirmed,omitempty"`
	Forward       *forwardResult  `json:"forward,omitempty"`
	Body          json.RawMessage `json:"body,omitempty"`
}

// check is one signature's verdict.
type check struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

// newReport builds the report of one request from its body (parsed as far
// as it goes, verified or not) and what the Handler said.
func newReport(body []byte, s *seen, status int) report {
	r := report{Type: "unparseable", Status: status, SNSSignature: check{OK: s.err == nil}}
	m, err := receiver.ParseSNSMessage(body)
	if err == nil {
		r.Type, r.TopicArn, r.MessageID, r.Time = m.Type, m.TopicArn, m.MessageId, m.Timestamp
		r.fillInner(m)
	}
	r.judge(s)
	if s.confirmed != nil {
		r.Confirmed = "✓ confirmed (SubscribeURL visited)"
	}
	r.Forward = s.forward
	return r
}

// fillInner shows the iVvy message's fields, verified or not.
func (r *report) fillInner(m *receiver.SNSMessage) {
	if m.Type != receiver.SNSTypeNotification {
		return
	}
	inner, err := receiver.ParseIvvyMessage([]byte(m.Message))
	if err != nil {
		return
	}
	r.Subject, r.AccountID, r.TxnID = inner.Subject, inner.AccountId, inner.TxnId
	r.Time = time.Unix(inner.Timestamp, 0).UTC().Format("2006-01-02 15:04:05 UTC")
	if json.Valid([]byte(inner.Body)) {
		r.Body = json.RawMessage(inner.Body)
	}
}

// judge sets each signature's verdict from the error the Handler reported.
func (r *report) judge(s *seen) {
	if r.Type == receiver.SNSTypeNotification {
		r.IvvySignature = &check{OK: s.err == nil}
	}
	if s.err == nil {
		return
	}
	reason := s.err.Error()
	failed, _ := receiver.CheckOf(s.err)
	switch failed {
	case receiver.CheckInnerSignature, receiver.CheckKeyFetch:
		r.SNSSignature = check{OK: true}
		r.IvvySignature = &check{Reason: reason}
	case receiver.CheckDuplicate:
		r.SNSSignature = check{OK: true}
		r.IvvySignature = &check{OK: true}
		r.Confirmed = "duplicate MessageId: already handled"
	default:
		r.SNSSignature = check{Reason: reason}
		if r.IvvySignature != nil {
			r.IvvySignature.Reason = "not checked"
		}
	}
}

// report prints one report.
func (l *listener) report(r report) {
	if l.flags.asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(l.out, string(b))
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "── %s", r.Type)
	for _, v := range []string{r.Subject, prefixed("account ", r.AccountID), prefixed("txn ", r.TxnID), r.Time} {
		if v != "" {
			fmt.Fprintf(&b, "  %s", v)
		}
	}
	fmt.Fprintf(&b, "  → HTTP %d\n", r.Status)
	line(&b, "path", r.Path)
	line(&b, "topic", r.TopicArn)
	line(&b, "SNS signature", mark(r.SNSSignature))
	if r.IvvySignature != nil {
		line(&b, "iVvy signature", mark(*r.IvvySignature))
	}
	line(&b, "subscription", r.Confirmed)
	line(&b, "forwarded", r.Forward.String())
	if len(r.Body) > 0 {
		var pretty bytes.Buffer
		if json.Indent(&pretty, r.Body, "   ", "  ") == nil {
			fmt.Fprintf(&b, "   body:\n   %s\n", pretty.String())
		}
	}
	fmt.Fprint(l.out, b.String())
}

func mark(c check) string {
	if c.OK {
		return "✓"
	}
	return "✗ " + c.Reason
}

func line(b *strings.Builder, label, value string) {
	if value != "" {
		fmt.Fprintf(b, "   %-16s %s\n", label, value)
	}
}

func prefixed(p, v string) string {
	if v == "" {
		return ""
	}
	return p + v
}
