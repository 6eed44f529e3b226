package webhookurl_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

// TestPrivateRefusalsAreMarked checks which refusals match
// ErrPrivateAddress: exactly those that AllowPrivate lifts.
func TestPrivateRefusalsAreMarked(t *testing.T) {
	r := &fakeResolver{answers: map[string][]string{"lan.example": {"192.168.1.5"}, "meta.example": {"169.254.169.254"}}}
	for _, tc := range []struct {
		url     string
		private bool
	}{
		{"http://127.0.0.1:9000/hook", true},
		{"http://localhost:9000/hook", true},
		{"http://10.1.2.3/hook", true},
		{"http://[::1]/hook", true},
		{"http://lan.example/hook", true},
		{"http://169.254.169.254/latest", false},
		{"http://meta.example/hook", false},
		{"http://0.0.0.0/hook", false},
	} {
		u, err := url.Parse(tc.url)
		require.NoError(t, err)
		err = webhookurl.Policy{Resolver: r}.Check(context.Background(), u)
		require.ErrorIs(t, err, webhookurl.ErrForbiddenAddress, tc.url)
		require.Equal(t, tc.private, errors.Is(err, webhookurl.ErrPrivateAddress), tc.url)
		lifted := webhookurl.Policy{Resolver: r, AllowPrivate: true}.Check(context.Background(), u) == nil
		require.Equal(t, tc.private, lifted, "ErrPrivateAddress marks what AllowPrivate allows: %s", tc.url)
	}
}
