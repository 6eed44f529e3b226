package receiver_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/testutil/fixture"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

func TestVerifySNS_AcceptsAWSFixtures(t *testing.T) {
	rs := newRoutedServer(t)
	v := awsVerifier(t, rs, nil)
	for _, name := range awsFixtures {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, v.VerifySNS(context.Background(), parseFixture(t, name)))
		})
	}
	require.Equal(t, 1, rs.hitCount(awsCertPath), "the certificate is fetched once and cached")
}

func TestVerifySNS_CertDates(t *testing.T) {
	rs := newRoutedServer(t)
	m := parseFixture(t, "notification-signature-v2.json")
	for _, tt := range []struct {
		name  string
		now   time.Time
		check bool
		ok    bool
	}{
		{"before expiry", time.Date(2026, 10, 13, 0, 0, 0, 0, time.UTC), true, true},
		{"after expiry", time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), true, false},
		{"before validity", time.Date(2025, 11, 9, 0, 0, 0, 0, time.UTC), true, false},
		{"after expiry, dates not checked", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := awsVerifier(t, rs, func(o *receiver.Options) {
				o.Now = func() time.Time { return tt.now }
				o.CheckCertDates = tt.check
			})
			err := v.VerifySNS(context.Background(), m)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			requireCheck(t, err, receiver.CheckCertificate)
			require.ErrorIs(t, err, receiver.ErrCertificate)
		})
	}
}

// signedSpans returns the byte ranges of the raw JSON values of the signed
// keys in an SNS-formatted body ("Key" : "value").
func signedSpans(t *testing.T, body []byte, keys []string) map[string][2]int {
	t.Helper()
	spans := map[string][2]int{}
	for _, k := range keys {
		start := bytes.Index(body, []byte(`"`+k+`" : "`))
		require.GreaterOrEqual(t, start, 0, k)
		start += len(k) + 6
		end := start
		for body[end] != '"' {
			if body[end] == '\\' {
				end++
			}
			end++
		}
		spans[k] = [2]int{start, end}
	}
	return spans
}

func TestVerifySNS_RejectsEveryOneByteChange(t *testing.T) {
	rs := newRoutedServer(t)
	v := awsVerifier(t, rs, nil)
	for _, name := range awsFixtures {
		body := fixture.Read(t, "aws-sns", name)
		for key, span := range signedSpans(t, body, signedKeys(parseFixture(t, name))) {
			t.Run(name+"/"+key, func(t *testing.T) {
				for i := span[0]; i < span[1]; i++ {
					b := bytes.Clone(body)
					b[i] ^= 0x01
					m, err := receiver.ParseSNSMessage(b)
					if err != nil {
						require.ErrorIs(t, err, receiver.ErrMalformedMessage)
						continue // e.g. Type changed, or an escape broken
					}
					requireCheck(t, v.VerifySNS(context.Background(), m), receiver.CheckSNSSignature, "byte %d", i)
				}
			})
		}
	}
}

func TestVerifySNS_SignatureChanges(t *testing.T) {
	rs := newRoutedServer(t)
	v := awsVerifier(t, rs, nil)
	for name, change := range map[string]func(*receiver.SNSMessage){
		"first byte":  func(m *receiver.SNSMessage) { m.Signature = "A" + m.Signature[1:] },
		"middle byte": func(m *receiver.SNSMessage) { m.Signature = m.Signature[:100] + "x" + m.Signature[101:] },
		"truncated":   func(m *receiver.SNSMessage) { m.Signature = m.Signature[:len(m.Signature)-4] },
		"version":     func(m *receiver.SNSMessage) { m.SignatureVersion = "2" },
		"version 3":   func(m *receiver.SNSMessage) { m.SignatureVersion = "3" },
	} {
		m := parseFixture(t, "subscription-confirmation.json")
		change(m)
		requireCheck(t, v.VerifySNS(context.Background(), m), receiver.CheckSNSSignature, name)
	}
	m := parseFixture(t, "subscription-confirmation.json")
	m.Type = "Other"
	requireCheck(t, v.VerifySNS(context.Background(), m), receiver.CheckMalformed)
	requireCheck(t, v.VerifySNS(context.Background(), nil), receiver.CheckMalformed)
}

func TestVerifySNS_Stale(t *testing.T) {
	rs := newRoutedServer(t)
	m := parseFixture(t, "notification-with-subject.json") // 2026-03-06T19:53:21.424Z
	signed := time.Date(2026, 3, 6, 19, 53, 21, 0, time.UTC)
	for _, tt := range []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"fresh", signed.Add(30 * time.Minute), true},
		{"old", signed.Add(2 * time.Hour), false},
		{"future", signed.Add(-2 * time.Hour), false},
	} {
		v := awsVerifier(t, rs, func(o *receiver.Options) {
			o.Now = func() time.Time { return tt.now }
			o.MaxMessageAge = time.Hour
		})
		err := v.VerifySNS(context.Background(), m)
		if tt.ok {
			require.NoError(t, err, tt.name)
			continue
		}
		requireCheck(t, err, receiver.CheckStale, tt.name)
		require.ErrorIs(t, err, receiver.ErrStale)
	}

	v := awsVerifier(t, rs, func(o *receiver.Options) { o.MaxMessageAge = time.Hour })
	bad := parseFixture(t, "notification-with-subject.json")
	bad.Timestamp = "yesterday"
	requireCheck(t, v.VerifySNS(context.Background(), bad), receiver.CheckSNSSignature, "the signature is checked first")
}

func TestParseRequest(t *testing.T) {
	v := awsVerifier(t, newRoutedServer(t), nil)
	body := fixture.Read(t, "aws-sns", "notification-with-subject.json")
	req := func(h map[string]string, b []byte) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
		for k, val := range h {
			r.Header[k] = []string{val} // verbatim: lowercase, as sns.Headers builds them
		}
		return r
	}
	m, err := v.ParseRequest(req(map[string]string{
		"x-amz-sns-message-type": "Notification",
		"X-Amz-Sns-Message-Id":   "26858270-545e-5848-82a2-e05566af3dcf",
	}, body))
	require.NoError(t, err)
	require.Equal(t, "My message subject", m.Subject)

	for name, h := range map[string]map[string]string{
		"type header differs":  {"x-amz-sns-message-type": "SubscriptionConfirmation"},
		"id header differs":    {"X-Amz-Sns-Message-Id": "other"},
		"topic header differs": {"X-Amz-Sns-Topic-Arn": "arn:aws:sns:us-west-2:1:other"},
		"raw delivery":         {"X-Amz-Sns-Rawdelivery": "true"},
	} {
		_, err := v.ParseRequest(req(h, body))
		requireCheck(t, err, receiver.CheckMalformed, name)
	}
	_, err = v.ParseRequest(req(nil, []byte(`{"Type":"Notification"}`)))
	requireCheck(t, err, receiver.CheckMalformed)
	require.ErrorIs(t, err, receiver.ErrMalformedMessage)

	small := awsVerifier(t, newRoutedServer(t), func(o *receiver.Options) { o.MaxBodyBytes = 100 })
	_, err = small.ParseRequest(req(nil, body))
	requireCheck(t, err, receiver.CheckMalformed)
	require.Contains(t, err.Error(), "larger than 100 bytes")
}

func TestCheckError(t *testing.T) {
	err := error(&receiver.CheckError{Check: receiver.CheckSNSSignature, Err: receiver.ErrSNSSignature})
	require.Equal(t, "receiver: SNS signature: invalid SNS signature", err.Error())
	require.ErrorIs(t, err, receiver.ErrSNSSignature)
	require.NotErrorIs(t, err, receiver.ErrStale)
	require.Equal(t, "receiver: stale message: failed", (&receiver.CheckError{Check: receiver.CheckStale}).Error())
	require.ErrorIs(t, &receiver.CheckError{Check: receiver.CheckStale}, receiver.ErrStale)
	_, ok := receiver.CheckOf(errors.New("x"))
	require.False(t, ok)
	for c, want := range map[receiver.Check]int{
		receiver.CheckUnknownTopic: 403, receiver.CheckCertFetch: 503, receiver.CheckKeyFetch: 503,
		receiver.CheckConfirm: 502, receiver.CheckDuplicate: 200, receiver.CheckSNSSignature: 400,
		receiver.CheckMalformed: 400, receiver.CheckCertHost: 400, receiver.CheckInnerSignature: 400,
	} {
		require.Equal(t, want, c.HTTPStatus(), c)
	}
	require.True(t, strings.HasPrefix(receiver.DefaultCertHostPattern, "^sns"))
}
