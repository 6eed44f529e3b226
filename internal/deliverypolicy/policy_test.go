package deliverypolicy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSNSDefault(t *testing.T) {
	p := SNSDefault()
	require.NoError(t, p.Validate(SNSLimits))
	r := p.Retry()
	assert.Equal(t, secs(20, 20, 20), r.Schedule())
	assert.Equal(t, time.Minute, r.TotalTime())
	_, ok := r.Delay(4)
	assert.False(t, ok)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"healthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,
		"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},
		"requestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}`, string(b))
}

// TestServerDefault: 2 pre-backoff at 1 s; 10 exponential 1→3600,
// 1 + 3599·(e^k−1)/(e⁹−1) = 1 + 0.444206·(e^k−1) = 1, 1.76, 3.84, 9.48,
// 24.81, 66.48, 179.76, 487.69, 1324.72, 3600; 26 post-backoff at 3600.
// Total 2 + 5694 + 93600 = 99296 s.
func TestServerDefault(t *testing.T) {
	p := ServerDefault()
	require.NoError(t, p.Validate(ServerLimits))
	require.Error(t, p.Validate(SNSLimits), "the shipped default is beyond SNS's one-hour cap")
	r := p.Retry()
	want := append([]int{1, 1, 1, 1, 3, 9, 24, 66, 179, 487, 1324, 3600}, repeat(26, 3600)...)
	assert.Equal(t, secs(want...), r.Schedule())
	assert.Equal(t, 99296*time.Second, r.TotalTime())

	const day = 24 * time.Hour
	assert.GreaterOrEqual(t, r.TotalTime(), day, "must survive a 24 h outage")
	worst := time.Duration(float64(r.TotalTime()) * (1 - JitterFraction))
	assert.GreaterOrEqual(t, worst, day, "even when jitter shortens every delay by 10 %%")
	for i, d := range r.Schedule() {
		assert.LessOrEqual(t, d, time.Hour, "retry %d", i+1)
	}
	shorter := r
	shorter.NumRetries--
	shorter.NumMaxDelayRetries--
	assert.Less(t, time.Duration(float64(shorter.TotalTime())*(1-JitterFraction)), day,
		"26 post-backoff retries is the fewest that survive")
}

func TestPresetAndParseFlag(t *testing.T) {
	for _, name := range []string{"default", "server", " Server ", ""} {
		p, err := ParseFlag(name)
		require.NoError(t, err, name)
		assert.Equal(t, ServerDefault(), p, name)
	}
	p, err := ParseFlag("SNS")
	require.NoError(t, err)
	assert.Equal(t, SNSDefault(), p)

	_, err = Preset("aggressive")
	assert.EqualError(t, err, `unknown delivery policy preset "aggressive": want default, server, sns or a JSON policy`)
	_, err = ParseFlag("aggressive")
	assert.Error(t, err)

	p, err = ParseFlag(` {"healthyRetryPolicy":{"minDelayTarget":60,"maxDelayTarget":7200,"numRetries":48,"numMaxDelayRetries":40,"backoffFunction":"geometric"}}`)
	require.NoError(t, err, "inline JSON uses ServerLimits")
	assert.Equal(t, 7200, p.HealthyRetryPolicy.MaxDelayTarget)
	_, err = ParseFlag(`{"healthyRetryPolicy":{"numRetries":100001}}`)
	assert.EqualError(t, err, ErrorPrefix+"healthyRetryPolicy.numRetries must be less than or equal to 100000")
}

func TestEffectivePrecedence(t *testing.T) {
	retry := func(n int) *RetryPolicy {
		return &RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 1, NumRetries: n, BackoffFunction: Linear}
	}
	server := &Policy{HealthyRetryPolicy: retry(10), ThrottlePolicy: &ThrottlePolicy{100}}
	account := &Policy{HealthyRetryPolicy: retry(20), RequestPolicy: &RequestPolicy{"application/json"}}
	sub := &Policy{ThrottlePolicy: &ThrottlePolicy{5}}
	tests := []struct {
		name                 string
		server, account, sub *Policy
		retries, rate        int
		contentType          string
	}{
		{"nothing configured", nil, nil, nil, 38, 0, DefaultContentType},
		{"server only", server, nil, nil, 10, 100, DefaultContentType},
		{"account over server", server, account, nil, 20, 100, "application/json"},
		{"subscription over both", server, account, sub, 20, 5, "application/json"},
		{"subscription over server", server, nil, &Policy{HealthyRetryPolicy: retry(30)}, 30, 100, DefaultContentType},
		{"empty levels change nothing", server, &Policy{}, &Policy{}, 10, 100, DefaultContentType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Effective(tt.server, tt.account, tt.sub)
			assert.Equal(t, tt.retries, e.Retry().NumRetries)
			assert.Equal(t, tt.rate, e.MaxReceivesPerSecond())
			assert.Equal(t, tt.contentType, e.HeaderContentType())
		})
	}
}

// TestEffectiveReplacesWholeParts: a subscription's healthyRetryPolicy
// does not inherit fields from the account's, and the result is a copy.
func TestEffectiveReplacesWholeParts(t *testing.T) {
	account := &Policy{HealthyRetryPolicy: &RetryPolicy{MinDelayTarget: 5, MaxDelayTarget: 300,
		NumRetries: 20, NumNoDelayRetries: 3, BackoffFunction: Geometric}}
	sub, err := Parse([]byte(`{"healthyRetryPolicy":{"numRetries":5}}`), SNSLimits)
	require.NoError(t, err)
	e := Effective(nil, account, sub)
	assert.Equal(t, RetryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 5, BackoffFunction: Linear},
		*e.HealthyRetryPolicy)
	e.HealthyRetryPolicy.NumRetries = 99
	assert.Equal(t, 5, sub.HealthyRetryPolicy.NumRetries, "Effective must copy")
	assert.Nil(t, e.SicklyRetryPolicy)
}

func TestAccessorsOnNil(t *testing.T) {
	var p *Policy
	assert.Equal(t, 0, p.MaxReceivesPerSecond())
	assert.Equal(t, "", p.HeaderContentType())
	assert.Equal(t, *ServerDefault().HealthyRetryPolicy, p.Retry())
	assert.NoError(t, p.Validate(SNSLimits))
}

func TestMarshalRoundTrip(t *testing.T) {
	in := `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,"numMaxDelayRetries":35,
		"numNoDelayRetries":3,"numMinDelayRetries":2,"backoffFunction":"exponential"},
		"sicklyRetryPolicy":{"anything":true},"throttlePolicy":{"maxReceivesPerSecond":10},
		"requestPolicy":{"headerContentType":"application/json"},"guaranteed":false}`
	p, err := Parse([]byte(in), SNSLimits)
	require.NoError(t, err)
	out, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, in, string(out))
	again, err := Parse(out, SNSLimits)
	require.NoError(t, err)
	assert.Equal(t, p, again)

	out, err = json.Marshal(&Policy{ThrottlePolicy: &ThrottlePolicy{3}})
	require.NoError(t, err)
	assert.Equal(t, `{"throttlePolicy":{"maxReceivesPerSecond":3}}`, string(out), "nil parts are omitted")
}
