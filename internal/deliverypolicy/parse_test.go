package deliverypolicy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStrict(t *testing.T) {
	tests := []struct{ name, policy, want string }{
		{"unknown top-level field", `{"healthyRetryPolicy":{},"retryPolicy":{}}`, "retryPolicy is not a known field"},
		{"unknown nested field", `{"healthyRetryPolicy":{"minDelay":5}}`, "healthyRetryPolicy.minDelay is not a known field"},
		{"unknown throttle field", `{"throttlePolicy":{"maxReceivesPerSecond":1,"burst":2}}`, "throttlePolicy.burst is not a known field"},
		{"topic-level shape", `{"http":{"defaultHealthyRetryPolicy":{}}}`, "http is not a known field"},
		{"wrong case top-level", `{"HealthyRetryPolicy":{}}`, "HealthyRetryPolicy is not a known field"},
		{"wrong case nested", `{"healthyRetryPolicy":{"NumRetries":1}}`, "healthyRetryPolicy.NumRetries is not a known field"},
		{"string for integer", `{"healthyRetryPolicy":{"numRetries":"3"}}`, "healthyRetryPolicy.numRetries must be an integer"},
		{"fraction for integer", `{"healthyRetryPolicy":{"minDelayTarget":1.5}}`, "healthyRetryPolicy.minDelayTarget must be an integer"},
		{"integer overflow", `{"throttlePolicy":{"maxReceivesPerSecond":1e40}}`, "throttlePolicy.maxReceivesPerSecond must be an integer"},
		{"number for object", `{"healthyRetryPolicy":5}`, "healthyRetryPolicy must be an object"},
		{"array for object", `{"requestPolicy":["text/plain"]}`, "requestPolicy must be an object"},
		{"number for string", `{"healthyRetryPolicy":{"backoffFunction":1}}`, "healthyRetryPolicy.backoffFunction must be a string"},
		{"string for boolean", `{"guaranteed":"false"}`, "guaranteed must be a boolean"},
		{"trailing data", `{} {}`, "the policy has data after its JSON object"},
		{"trailing garbage", `{"throttlePolicy":{"maxReceivesPerSecond":2}}x`, "the policy has data after its JSON object"},
		{"not an object", `[]`, "the policy must be a JSON object"},
		{"null", `null`, "the policy must be a JSON object"},
		{"empty", ` `, "the policy is empty"},
		{"truncated", `{"healthyRetryPolicy":`, "the policy is not valid JSON: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.policy), SNSLimits)
			assert.Nil(t, p)
			assert.EqualError(t, err, ErrorPrefix+tt.want)
		})
	}
}

// TestParseDefaults: fields left out of a part take SNS's defaults; parts
// left out or null stay nil.
func TestParseDefaults(t *testing.T) {
	p, err := Parse([]byte(`{"healthyRetryPolicy":{"numRetries":5},"requestPolicy":{},"throttlePolicy":null}`), SNSLimits)
	require.NoError(t, err)
	assert.Equal(t, &Policy{
		HealthyRetryPolicy: &RetryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 5, BackoffFunction: Linear},
		RequestPolicy:      &RequestPolicy{DefaultContentType},
	}, p)

	p, err = Parse([]byte(` {} `), SNSLimits)
	require.NoError(t, err)
	assert.Equal(t, &Policy{}, p)
}

// TestParseDeprecatedParts: sicklyRetryPolicy and guaranteed are accepted
// with any value of the right type and ignored.
func TestParseDeprecatedParts(t *testing.T) {
	p, err := Parse([]byte(`{"healthyRetryPolicy":null,"sicklyRetryPolicy":null,"throttlePolicy":null,
		"requestPolicy":{"headerContentType":"text/csv"},"guaranteed":false}`), SNSLimits)
	require.NoError(t, err, "AWS's own subscription-level echo must parse")
	assert.Nil(t, p.HealthyRetryPolicy)
	assert.Nil(t, p.SicklyRetryPolicy)
	require.NotNil(t, p.Guaranteed)
	assert.False(t, *p.Guaranteed)
	assert.Equal(t, "text/csv", p.HeaderContentType())

	p, err = Parse([]byte(`{"sicklyRetryPolicy":{"minDelayTarget":1,"whatever":[1,2]}}`), SNSLimits)
	require.NoError(t, err)
	assert.JSONEq(t, `{"minDelayTarget":1,"whatever":[1,2]}`, string(p.SicklyRetryPolicy))
	assert.Equal(t, *ServerDefault().HealthyRetryPolicy, Effective(nil, nil, p).Retry())
}

// TestParseAWSExample parses SNS.md §4.3's documented policy.
func TestParseAWSExample(t *testing.T) {
	p, err := Parse([]byte(`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":50,
		"numNoDelayRetries":3,"numMinDelayRetries":2,"numMaxDelayRetries":35,"backoffFunction":"exponential"},
		"throttlePolicy":{"maxReceivesPerSecond":10}}`), SNSLimits)
	require.NoError(t, err)
	assert.Equal(t, 10, p.MaxReceivesPerSecond())
	assert.Equal(t, 10, p.Retry().BackoffRetries())
}
