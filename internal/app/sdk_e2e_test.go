package app_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/app"
	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// snsClient is aws-sdk-go-v2's real SNS client pointed at the server's
// public URL, as a receiver that confirms through its SDK configures it.
func snsClient(srv *app.Server) *awssns.Client {
	return awssns.New(awssns.Options{
		BaseEndpoint: aws.String(srv.PublicURL),
		Region:       "local",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-checked", ""),
		// One attempt: a refusal must come back as it is, not retried.
		RetryMaxAttempts: 1,
	})
}

func subscriptionStatus(t *testing.T, srv *app.Server, arn string) string {
	t.Helper()
	var sub struct{ Status string }
	require.Equal(t, 200, adminCall(t, srv, "GET", "/v1/subscriptions/"+url.PathEscape(arn), "", &sub))
	return sub.Status
}

// TestSDKConfirmAndUnsubscribe: the AWS SDK's ConfirmSubscription and
// Unsubscribe (Query protocol POSTs, SigV4-signed) work against the public
// listener, and its XML deserializer reads our answers and errors.
func TestSDKConfirmAndUnsubscribe(t *testing.T) {
	ctx := context.Background()
	srv := notifyServer(t, "1")
	_, key := newAccountKey(t, srv)
	rcv := newTestReceiver(t, srv.KeyBaseURL, false)
	_, err := ivvyclient.New(srv.PublicURL, key.Key, key.Secret).
		SubscribeToNotifications(ctx, ivvyclient.Endpoints{Companies: rcv.URL("/c")})
	require.NoError(t, err)
	conf := rcv.waitFor(receiver.SNSTypeSubscriptionConfirmation, 1)[0]
	client := snsClient(srv)

	t.Run("BadTokenIsTypedSNSError", func(t *testing.T) {
		_, err := client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{
			TopicArn: aws.String(conf.SNS.TopicArn), Token: aws.String("00" + conf.SNS.Token)})
		var apiErr smithy.APIError
		require.True(t, errors.As(err, &apiErr), "typed error, got %v", err)
		require.Equal(t, "InvalidParameter", apiErr.ErrorCode())
		require.Equal(t, "Invalid parameter: Token", apiErr.ErrorMessage())
		require.Equal(t, smithy.FaultClient, apiErr.ErrorFault())
		var re interface{ ServiceRequestID() string }
		require.True(t, errors.As(err, &re))
		require.NotEmpty(t, re.ServiceRequestID(), "x-amzn-RequestId read by the SDK")
	})

	out, err := client.ConfirmSubscription(ctx, &awssns.ConfirmSubscriptionInput{
		TopicArn: aws.String(conf.SNS.TopicArn), Token: aws.String(conf.SNS.Token),
		AuthenticateOnUnsubscribe: aws.String("true")})
	require.NoError(t, err)
	arn := aws.ToString(out.SubscriptionArn)
	require.Regexp(t, `^`+conf.SNS.TopicArn+`:[0-9a-f-]{36}$`, arn)
	requestID, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	require.True(t, ok)
	require.Regexp(t, `^[0-9a-f-]{36}$`, requestID)
	require.Equal(t, "Confirmed", subscriptionStatus(t, srv, arn))

	_, err = client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(arn)})
	require.NoError(t, err)
	require.Equal(t, "Deleted", subscriptionStatus(t, srv, arn))
	bye := rcv.waitFor(receiver.SNSTypeUnsubscribeConfirmation, 1)[0]
	require.Equal(t, arn, bye.Header.Get("x-amz-sns-subscription-arn"))

	_, err = client.Unsubscribe(ctx, &awssns.UnsubscribeInput{SubscriptionArn: aws.String(arn)})
	require.NoError(t, err, "unsubscribing again is a no-op, as in SNS")
}
