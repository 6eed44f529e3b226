package delivery

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/sns"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
)

func TestRetentionDeletesOldAttemptsAndExpiredTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	sub := e.subscribe(t, "http://127.0.0.1:1", store.SubscriptionConfirmed)
	d := e.enqueue(t, sub, sns.TypeNotification, notificationBody)
	for _, age := range []time.Duration{31 * 24 * time.Hour, 29 * 24 * time.Hour} {
		at := now.Add(-age)
		err := e.st.DeliveryRecordAttempt(e.ctx, store.DeliveryAttemptParams{ID: d.ID, Status: store.DeliveryPending, At: at,
			Attempt: &store.Attempt{StartedAt: at, Outcome: "retry"}})
		require.NoError(t, err)
	}
	for i, exp := range []time.Time{now.Add(-time.Minute), now.Add(time.Hour)} {
		h := sha256.Sum256([]byte{byte(i)})
		require.NoError(t, e.st.TokenCreate(e.ctx, store.ConfirmationToken{TokenHash: h[:], SubscriptionID: sub.ID, ExpiresAt: exp, CreatedAt: now}))
	}

	w := &RetentionWorker{Store: e.st, Retention: DefaultRetention, Logger: e.logger(), Now: func() time.Time { return now }}
	require.NoError(t, w.Work(e.ctx, nil))
	attempts, err := e.st.DeliveryAttemptList(e.ctx, d.ID)
	require.NoError(t, err)
	require.Len(t, attempts, 1, "the 31-day-old attempt is gone, the 29-day-old one kept")
	require.Contains(t, e.logs.String(), "attempts=1 tokens=1")
}
