package config

import (
	"strings"

	"github.com/ivvy-notify/ivvy-notify/internal/deliverypolicy"
)

// ConfirmationRetry returns the retry policy of confirmation messages
// from ConfirmationDeliveryPolicy: a preset name or SNS-schema JSON, as
// --delivery-policy, of which only healthyRetryPolicy counts. An empty
// value, or JSON without a healthyRetryPolicy, is SNS's default (3
// retries 20 s apart).
func (c *Config) ConfirmationRetry() (deliverypolicy.RetryPolicy, error) {
	sns := *deliverypolicy.SNSDefault().HealthyRetryPolicy
	if strings.TrimSpace(c.ConfirmationDeliveryPolicy) == "" {
		return sns, nil
	}
	p, err := deliverypolicy.ParseFlag(c.ConfirmationDeliveryPolicy)
	if err != nil {
		return deliverypolicy.RetryPolicy{}, err
	}
	if p.HealthyRetryPolicy == nil {
		return sns, nil
	}
	return *p.HealthyRetryPolicy, nil
}
