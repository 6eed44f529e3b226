package ivvyclient_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/ivvyclient"
)

const companiesARN = "arn:aws:sns:local:000000000000:iVvy_Account_41_abc_NotifCompanies"

// accountReply answers the account actions as SPEC §1.4–§1.5 show.
func accountReply(namespace, action string, _ []byte) (int, any) {
	switch namespace + "?" + action {
	case "account?subscribeToNotifications":
		return http.StatusOK, map[string]any{
			"eventsSuccess": false, "eventsTopicId": nil,
			"venuesSuccess": false, "venuesTopicId": nil,
			"paymentsSuccess": false, "paymentsTopicId": nil,
			"crmSuccess": false, "crmTopicId": nil,
			"contactsSuccess": false, "contactsTopicId": nil,
			"companiesSuccess": true, "companiesTopicId": companiesARN,
			"ariSuccess": false, "ariTopicId": nil,
		}
	case "account?unsubscribeFromNotifications":
		return http.StatusOK, map[string]int{
			"eventsResult": 2, "venuesResult": 4, "paymentsResult": 2, "crmResult": 5,
			"contactsResult": 6, "companiesResult": 1, "ariResult": 3,
		}
	}
	return http.StatusNotFound, map[string]any{"errorCode": 404, "message": "Unknown action"}
}

func TestSubscribeToNotifications(t *testing.T) {
	for _, d := range []ivvyclient.Dialect{ivvyclient.DialectJS, ivvyclient.DialectDotNet} {
		t.Run("signed as "+d.String(), func(t *testing.T) {
			srv := newFakeServer(t, accountReply)
			c := ivvyclient.New(srv.URL, testKey, testSecret, ivvyclient.WithDialect(d))
			res, err := c.SubscribeToNotifications(context.Background(),
				ivvyclient.Endpoints{Companies: "https://hooks.example.com/ivvy/companies"})
			require.NoError(t, err)

			got := srv.lastRequest()
			require.Equal(t, "/api/1.0/account?action=subscribeToNotifications", got.RequestURI)
			require.JSONEq(t, `{"companiesEndpoint":"https://hooks.example.com/ivvy/companies"}`, string(got.Body))
			require.True(t, res.CompaniesSuccess)
			require.NotNil(t, res.CompaniesTopicID)
			require.Equal(t, companiesARN, *res.CompaniesTopicID)
			require.False(t, res.EventsSuccess)
			require.Nil(t, res.EventsTopicID)
			require.Nil(t, res.ARITopicID)
		})
	}
}

func TestEndpointsEncodeEveryField(t *testing.T) {
	srv := newFakeServer(t, accountReply)
	c := ivvyclient.New(srv.URL, testKey, testSecret)
	_, err := c.SubscribeToNotifications(context.Background(), ivvyclient.Endpoints{
		Events: "e", Venues: "v", Payments: "p", CRM: "c", Contacts: "ct", Companies: "co", ARI: "a",
	})
	require.NoError(t, err)
	require.Equal(t, `{"eventsEndpoint":"e","venuesEndpoint":"v","paymentsEndpoint":"p","crmEndpoint":"c",`+
		`"contactsEndpoint":"ct","companiesEndpoint":"co","ariEndpoint":"a"}`, string(srv.lastRequest().Body))
}

func TestUnsubscribeFromNotifications(t *testing.T) {
	srv := newFakeServer(t, accountReply)
	c := ivvyclient.New(srv.URL, testKey, testSecret, ivvyclient.WithDialect(ivvyclient.DialectDotNet))
	res, err := c.UnsubscribeFromNotifications(context.Background(), ivvyclient.Endpoints{Companies: "https://x"})
	require.NoError(t, err)
	require.Equal(t, "/api/1.0/account?action=unsubscribeFromNotifications", srv.lastRequest().RequestURI)
	require.Equal(t, ivvyclient.UnsubscribeResult{
		EventsResult:    ivvyclient.ResultNotRequested,
		VenuesResult:    ivvyclient.ResultNotFound,
		PaymentsResult:  ivvyclient.ResultNotRequested,
		CRMResult:       ivvyclient.ResultIncorrectSource,
		ContactsResult:  ivvyclient.ResultStatusNotConfirmed,
		CompaniesResult: ivvyclient.ResultSuccess,
		ARIResult:       ivvyclient.ResultUnknownError,
	}, *res)
}

func TestAccountCallsReturnAPIErrors(t *testing.T) {
	srv := newFakeServer(t, func(string, string, []byte) (int, any) {
		return http.StatusForbidden, map[string]any{"errorCode": 403, "message": "Not Allowed"}
	})
	c := ivvyclient.New(srv.URL, testKey, testSecret)
	_, err := c.SubscribeToNotifications(context.Background(), ivvyclient.Endpoints{Events: "https://x"})
	var apiErr *ivvyclient.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, 403, apiErr.ErrorCode)
	_, err = c.UnsubscribeFromNotifications(context.Background(), ivvyclient.Endpoints{Events: "https://x"})
	require.ErrorAs(t, err, &apiErr)
}

func TestResultText(t *testing.T) {
	want := map[int]string{
		ivvyclient.ResultSuccess:            "Success",
		ivvyclient.ResultNotRequested:       "Not Requested",
		ivvyclient.ResultUnknownError:       "Unknown Error",
		ivvyclient.ResultNotFound:           "Not Found",
		ivvyclient.ResultIncorrectSource:    "Incorrect Source",
		ivvyclient.ResultStatusNotConfirmed: "Status Not Confirmed",
		0:                                   "Unknown Result",
	}
	for code, text := range want {
		require.Equal(t, text, ivvyclient.ResultText(code), "code %d", code)
	}
}
