package notify_test

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
	"github.com/ivvy-notify/ivvy-notify/internal/notify"
	"github.com/ivvy-notify/ivvy-notify/internal/store"
	"github.com/ivvy-notify/ivvy-notify/internal/testutil/testdomain"
)

// newService builds the domain on a real SQLite store, wrapped by wrap.
func newService(t testing.TB, wrap func(store.Store) store.Store) (*notify.Service, int64) {
	d := testdomain.New(t, wrap)
	return d.Notify, d.AccountID
}

// failingTopics fails TopicGet for one endpoint, inside transactions.
type failingTopics struct {
	store.Store
	endpoint string
}

func (f failingTopics) InTx(ctx context.Context, fn func(store.Queries) error) error {
	return f.Store.InTx(ctx, func(q store.Queries) error { return fn(failingQueries{q, f.endpoint}) })
}

type failingQueries struct {
	store.Queries
	endpoint string
}

func (f failingQueries) TopicGet(ctx context.Context, accountID int64, endpoint string) (*store.Topic, error) {
	if endpoint == f.endpoint {
		return nil, errors.New("injected failure")
	}
	return f.Queries.TopicGet(ctx, accountID, endpoint)
}

func TestUnsubscribeUnknownErrorIsPerEndpoint(t *testing.T) {
	ctx := context.Background()
	svc, acct := newService(t, func(s store.Store) store.Store { return failingTopics{s, "crm"} })
	caller := notify.Caller{AccountID: acct, Key: "k", MayManage: true}
	u, _ := url.Parse("http://127.0.0.1:1/hook")
	res, err := svc.Unsubscribe(ctx, caller, notify.Request{catalog.CRM: u, catalog.Companies: u})
	require.NoError(t, err)
	require.Equal(t, notify.ResultUnknownError, res[catalog.CRM])
	require.Equal(t, notify.ResultNotFound, res[catalog.Companies], "other endpoints are unaffected")
	require.Equal(t, notify.ResultNotRequested, res[catalog.Events])
}

func TestTopicARN(t *testing.T) {
	svc, _ := newService(t, nil)
	a := svc.TopicARN(41, catalog.Companies)
	require.Regexp(t, `^arn:aws:sns:local:000000000000:iVvy_Account_41_[0-9a-f]{40}_NotifCompanies$`, a)
	require.Equal(t, a, svc.TopicARN(41, catalog.Companies), "stable")
	require.NotEqual(t, a[:60], svc.TopicARN(42, catalog.Companies)[:60])
	require.Regexp(t, `_NotifCrm$`, svc.TopicARN(41, catalog.CRM))
	require.Regexp(t, `_NotifAri$`, svc.TopicARN(41, catalog.ARI))
}

func TestParseRequest(t *testing.T) {
	for name, tc := range map[string]struct {
		body  string
		want  map[catalog.Endpoint]string
		param string
	}{
		"one":            {`{"companiesEndpoint":"https://h.example/c"}`, map[catalog.Endpoint]string{catalog.Companies: "https://h.example/c"}, ""},
		"nulls skipped":  {`{"eventsEndpoint":null,"venuesEndpoint":"","crmEndpoint":"  "}`, map[catalog.Endpoint]string{}, ""},
		"empty":          {`{}`, map[catalog.Endpoint]string{}, ""},
		"unknown key":    {`{"fooEndpoint":"https://h.example"}`, nil, "fooEndpoint"},
		"relative":       {`{"crmEndpoint":"/x"}`, nil, "crmEndpoint"},
		"not a string":   {`{"crmEndpoint":1}`, nil, "crmEndpoint"},
		"array":          {`[]`, nil, "body"},
		"trailing":       {`{} {}`, nil, "body"},
		"javascript URL": {`{"ariEndpoint":"javascript:alert(1)"}`, nil, "ariEndpoint"},
	} {
		t.Run(name, func(t *testing.T) {
			req, err := notify.ParseRequest([]byte(tc.body))
			if tc.param != "" {
				var ie *notify.InputError
				require.ErrorAs(t, err, &ie)
				require.Equal(t, tc.param, ie.Param)
				return
			}
			require.NoError(t, err)
			got := map[catalog.Endpoint]string{}
			for e, u := range req {
				got[e] = u.String()
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// FuzzParseRequest: any body either parses into endpoints with valid
// http(s) URLs, or is refused with an InputError naming a parameter.
func FuzzParseRequest(f *testing.F) {
	f.Add(`{"companiesEndpoint":"https://hooks.example.com/ivvy/companies"}`)
	f.Add(`{"eventsEndpoint":null,"venuesEndpoint":"https://hooks.example.com/v","paymentsEndpoint":null}`)
	f.Add(`{"x":1}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := notify.ParseRequest([]byte(body))
		if err != nil {
			var ie *notify.InputError
			if !errors.As(err, &ie) || ie.Param == "" || ie.Reason == "" {
				t.Fatalf("error without a parameter: %v", err)
			}
			return
		}
		for e, u := range req {
			if !e.Valid() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("accepted %v: %s", e, u)
			}
		}
	})
}
