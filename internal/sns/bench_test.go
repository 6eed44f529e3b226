package sns_test

import (
	"testing"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
)

// benchMessage is the golden Notification, signed with version 1.
func benchMessage(b *testing.B) *sns.Message {
	return goldenCases[1].signed(b)
}

func BenchmarkStringToSign(b *testing.B) {
	m := benchMessage(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = sns.StringToSign(m)
	}
}

func benchmarkSign(b *testing.B, version string) {
	m := benchMessage(b)
	s := testSigner(b, version)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Sign(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignV1(b *testing.B) { benchmarkSign(b, sns.SignatureVersion1) }

func BenchmarkSignV2(b *testing.B) { benchmarkSign(b, sns.SignatureVersion2) }

func BenchmarkMarshalSNS(b *testing.B) {
	m := benchMessage(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = m.MarshalSNS()
	}
}
