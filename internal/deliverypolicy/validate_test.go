package deliverypolicy

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValidationSNSLimits checks every rule's exact message under SNS's
// limits, for a subscription-level policy.
func TestValidationSNSLimits(t *testing.T) {
	const p = ErrorPrefix + "healthyRetryPolicy."
	tests := []struct{ name, policy, want string }{
		{"minDelayTarget 0", `{"healthyRetryPolicy":{"minDelayTarget":0}}`,
			p + "minDelayTarget must be greater than or equal to 1"},
		{"maxDelayTarget over 3600", `{"healthyRetryPolicy":{"maxDelayTarget":3601,"numRetries":0}}`,
			p + "maxDelayTarget must be less than or equal to 3600"},
		{"min over max", `{"healthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":20}}`,
			p + "minDelayTarget must be less than or equal to maxDelayTarget"},
		{"numRetries negative", `{"healthyRetryPolicy":{"numRetries":-1}}`,
			p + "numRetries must be greater than or equal to 0"},
		{"numRetries over 100", `{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":101}}`,
			p + "numRetries must be less than or equal to 100"},
		{"numNoDelayRetries negative", `{"healthyRetryPolicy":{"numNoDelayRetries":-1}}`,
			p + "numNoDelayRetries must be greater than or equal to 0"},
		{"numMinDelayRetries negative", `{"healthyRetryPolicy":{"numMinDelayRetries":-2}}`,
			p + "numMinDelayRetries must be greater than or equal to 0"},
		{"numMaxDelayRetries negative", `{"healthyRetryPolicy":{"numMaxDelayRetries":-3}}`,
			p + "numMaxDelayRetries must be greater than or equal to 0"},
		{"phases over numRetries", `{"healthyRetryPolicy":{"numRetries":5,"numNoDelayRetries":2,"numMinDelayRetries":2,"numMaxDelayRetries":2}}`,
			p + "numRetries must be greater than or equal to numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries"},
		{"huge phase counts do not overflow", `{"healthyRetryPolicy":{"numRetries":5,"numNoDelayRetries":9223372036854775807,"numMinDelayRetries":9223372036854775807}}`,
			p + "numRetries must be greater than or equal to numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries"},
		{"backoffFunction unknown", `{"healthyRetryPolicy":{"backoffFunction":"fibonacci"}}`,
			p + "backoffFunction must be one of linear, arithmetic, geometric, exponential"},
		{"backoffFunction is case-sensitive", `{"healthyRetryPolicy":{"backoffFunction":"Linear"}}`,
			p + "backoffFunction must be one of linear, arithmetic, geometric, exponential"},
		// 100 retries at 37 s = 3700 s.
		{"total over 3600 s", `{"healthyRetryPolicy":{"minDelayTarget":37,"maxDelayTarget":37,"numRetries":100}}`,
			ErrorPrefix + "healthyRetryPolicy total retry time must be less than or equal to 3600 seconds (this policy retries for 3700 seconds)"},
		{"maxReceivesPerSecond 0", `{"throttlePolicy":{"maxReceivesPerSecond":0}}`,
			ErrorPrefix + "throttlePolicy.maxReceivesPerSecond must be greater than or equal to 1"},
		{"throttlePolicy without rate", `{"throttlePolicy":{}}`,
			ErrorPrefix + "throttlePolicy.maxReceivesPerSecond must be greater than or equal to 1"},
		{"headerContentType empty", `{"requestPolicy":{"headerContentType":""}}`,
			ErrorPrefix + "requestPolicy.headerContentType must be a media type such as text/plain, application/json or application/xml"},
		{"headerContentType not a media type", `{"requestPolicy":{"headerContentType":"plain text"}}`,
			ErrorPrefix + "requestPolicy.headerContentType must be a media type such as text/plain, application/json or application/xml"},
		{"headerContentType header injection", `{"requestPolicy":{"headerContentType":"text/plain\r\nX-Evil: 1"}}`,
			ErrorPrefix + "requestPolicy.headerContentType must be a media type such as text/plain, application/json or application/xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.policy), SNSLimits)
			require.EqualError(t, err, tt.want)
			var ve *ValidationError
			assert.True(t, errors.As(err, &ve))
		})
	}
}

// TestValidationAcceptsSNSBounds: the limits themselves are allowed.
func TestValidationAcceptsSNSBounds(t *testing.T) {
	for _, s := range []string{
		`{}`,
		`{"healthyRetryPolicy":{"minDelayTarget":3600,"maxDelayTarget":3600,"numRetries":1}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":36,"maxDelayTarget":36,"numRetries":100}}`,
		`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":100,"numNoDelayRetries":100}}`,
		`{"throttlePolicy":{"maxReceivesPerSecond":1}}`,
		`{"requestPolicy":{"headerContentType":"text/csv"}}`,
		`{"requestPolicy":{"headerContentType":"application/xml"}}`,
	} {
		_, err := Parse([]byte(s), SNSLimits)
		assert.NoError(t, err, s)
	}
}

// TestServerLimits lifts the one-hour and 100-retry caps but keeps every
// consistency rule.
func TestServerLimits(t *testing.T) {
	day := `{"healthyRetryPolicy":{"minDelayTarget":10,"maxDelayTarget":86400,"numRetries":1000,"numMaxDelayRetries":900,"backoffFunction":"exponential"}}`
	_, err := Parse([]byte(day), SNSLimits)
	require.EqualError(t, err, ErrorPrefix+"healthyRetryPolicy.maxDelayTarget must be less than or equal to 3600")
	p, err := Parse([]byte(day), ServerLimits)
	require.NoError(t, err)
	assert.Greater(t, p.Retry().TotalTime().Hours(), 1.0)

	for _, tt := range []struct{ policy, want string }{
		{`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":86401}}`,
			"healthyRetryPolicy.maxDelayTarget must be less than or equal to 86400"},
		{`{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":100001}}`,
			"healthyRetryPolicy.numRetries must be less than or equal to 100000"},
		{`{"healthyRetryPolicy":{"minDelayTarget":60,"maxDelayTarget":30}}`,
			"healthyRetryPolicy.minDelayTarget must be less than or equal to maxDelayTarget"},
		{`{"healthyRetryPolicy":{"numRetries":1,"numMaxDelayRetries":2}}`,
			"healthyRetryPolicy.numRetries must be greater than or equal to numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries"},
		{`{"healthyRetryPolicy":{"backoffFunction":""}}`,
			"healthyRetryPolicy.backoffFunction must be one of linear, arithmetic, geometric, exponential"},
	} {
		_, err := Parse([]byte(tt.policy), ServerLimits)
		assert.EqualError(t, err, ErrorPrefix+tt.want, tt.policy)
	}
}

func TestValidateProgrammaticPolicy(t *testing.T) {
	p := &Policy{HealthyRetryPolicy: &RetryPolicy{MinDelayTarget: 1, MaxDelayTarget: 10, NumRetries: 3}}
	assert.EqualError(t, p.Validate(SNSLimits),
		ErrorPrefix+"healthyRetryPolicy.backoffFunction must be one of linear, arithmetic, geometric, exponential")
}
