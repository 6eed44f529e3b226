package receiver

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCheckSubscribeURL(t *testing.T) {
	v, err := NewVerifier(Options{})
	require.NoError(t, err)
	const ok = "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:1:t&Token=ab"
	require.NoError(t, v.checkSubscribeURL(ok))
	for name, u := range map[string]string{
		"other host":       "https://evil.test/?Action=ConfirmSubscription&Token=ab",
		"http":             "http://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
		"user info":        "https://a@sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
		"other action":     "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
		"no action":        "https://sns.us-west-2.amazonaws.com/",
		"fragment":         ok + "#x",
		"relative":         "/?Action=ConfirmSubscription",
		"unparseable":      "https://sns.us-west-2.amazonaws.com:x/?Action=ConfirmSubscription",
		"javascript":       "javascript:alert(1)",
		"host in the path": "https://evil.test/sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
	} {
		err := v.checkSubscribeURL(u)
		c, _ := CheckOf(err)
		require.Equal(t, CheckConfirm, c, name)
		require.ErrorContains(t, err, "refused", name)
	}

	local, err := NewVerifier(Options{AllowHTTP: true, CertHostPattern: regexp.MustCompile(`127\.0\.0\.1:8080`)})
	require.NoError(t, err)
	require.NoError(t, local.checkSubscribeURL("http://127.0.0.1:8080/?Action=ConfirmSubscription&Token=a"))
	require.Error(t, local.checkSubscribeURL("http://127.0.0.1:8081/?Action=ConfirmSubscription&Token=a"))
}

func TestMemoryDeduper(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := NewMemoryDeduper(2, time.Hour)
	d.now = func() time.Time { return now }
	seen := func(id string) bool {
		s, err := d.Seen(ctx, id)
		require.NoError(t, err)
		return s
	}
	require.False(t, seen("a"))
	require.NoError(t, d.Mark(ctx, "a"))
	require.True(t, seen("a"))
	now = now.Add(61 * time.Minute)
	require.False(t, seen("a"), "expired")

	for _, id := range []string{"a", "b", "a", "c"} {
		require.NoError(t, d.Mark(ctx, id))
	}
	require.True(t, seen("a"), "re-marking refreshes")
	require.False(t, seen("b"), "the oldest is evicted")
	require.True(t, seen("c"))

	def := NewMemoryDeduper(0, 0)
	require.Equal(t, DefaultDedupSize, def.size)
	require.Equal(t, DefaultDedupTTL, def.ttl)
}

func TestCache(t *testing.T) {
	c := newCache[int](2)
	calls := 0
	get := func(key string, err error) (int, error) {
		return c.get(context.Background(), key, func() (int, error) {
			calls++
			return len(key), err
		})
	}
	_, err := get("bad", errors.New("x"))
	require.Error(t, err)
	require.Zero(t, c.len(), "errors are not cached")
	for i, key := range []string{"a", "bb", "a", "ccc", "bb"} {
		v, err := get(key, nil)
		require.NoError(t, err)
		require.Equal(t, len(key), v, fmt.Sprint(i))
	}
	require.Equal(t, 2, c.len())
	require.Equal(t, 5, calls, "bad, a, bb, ccc, then bb again after its eviction")
}

func TestNewNotification_SourceInfo(t *testing.T) {
	m := &SNSMessage{Type: SNSTypeNotification, MessageId: "m", Timestamp: "2026-01-01T00:00:00.001Z"}
	info := "not json"
	n, err := newNotification(m, &IvvyMessage{Body: `{}`, SourceType: 1, SourceInfo: &info})
	require.NoError(t, err)
	require.Equal(t, `"not json"`, string(n.SourceInfo))
	require.Empty(t, n.APIKey())

	info = `{"key":"K"}`
	n, err = newNotification(m, &IvvyMessage{Body: `{}`, SourceType: 1, SourceInfo: &info})
	require.NoError(t, err)
	require.Equal(t, "K", n.APIKey())
	n.SourceType = 0
	require.Empty(t, n.APIKey(), "only API events have a key")

	m.Timestamp = "now"
	_, err = newNotification(m, &IvvyMessage{Body: `{}`})
	require.ErrorIs(t, err, ErrMalformedMessage)
}

func TestTopicAccount(t *testing.T) {
	id, ok := topicAccount("arn:aws:sns:local:000000000000:iVvy_Account_14_8a1c4f3e2b9d7c6a5f4e3d2c1b0a998877665544_NotifCompanies")
	require.True(t, ok)
	require.Equal(t, "14", id)
	_, ok = topicAccount("arn:aws:sns:us-west-2:1:dongie-standard-topic")
	require.False(t, ok)
}
