package catalog_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
)

func TestEndpointsOrderAndNames(t *testing.T) {
	type row struct{ name, key, success, topicID, result, suffix string }
	want := []row{
		{"events", "eventsEndpoint", "eventsSuccess", "eventsTopicId", "eventsResult", "Events"},
		{"venues", "venuesEndpoint", "venuesSuccess", "venuesTopicId", "venuesResult", "Venues"},
		{"payments", "paymentsEndpoint", "paymentsSuccess", "paymentsTopicId", "paymentsResult", "Payments"},
		{"crm", "crmEndpoint", "crmSuccess", "crmTopicId", "crmResult", "Crm"},
		{"contacts", "contactsEndpoint", "contactsSuccess", "contactsTopicId", "contactsResult", "Contacts"},
		{"companies", "companiesEndpoint", "companiesSuccess", "companiesTopicId", "companiesResult", "Companies"},
		{"ari", "ariEndpoint", "ariSuccess", "ariTopicId", "ariResult", "Ari"},
	}
	eps := catalog.Endpoints()
	require.Len(t, eps, len(want))
	require.Equal(t, []catalog.Endpoint{catalog.Events, catalog.Venues, catalog.Payments,
		catalog.CRM, catalog.Contacts, catalog.Companies, catalog.ARI}, eps)
	for i, e := range eps {
		w := want[i]
		require.True(t, e.Valid())
		got := row{e.Name(), e.APIKey(), e.SuccessKey(), e.TopicIDKey(), e.ResultKey(), e.TopicSuffix()}
		require.Equal(t, w, got)
		require.Equal(t, w.name, e.ResponsePrefix())
		require.Equal(t, w.name, e.String())

		byKey, ok := catalog.EndpointByKey(w.key)
		require.True(t, ok)
		require.Equal(t, e, byKey)
		byName, ok := catalog.EndpointByName(w.name)
		require.True(t, ok)
		require.Equal(t, e, byName)
	}
}

func TestEndpointsReturnsFreshSlice(t *testing.T) {
	eps := catalog.Endpoints()
	eps[0] = catalog.ARI
	require.Equal(t, catalog.Events, catalog.Endpoints()[0])
}

func TestEndpointLookupRejects(t *testing.T) {
	for _, key := range []string{"", "Endpoint", "companies", "CompaniesEndpoint",
		"companiesendpoint", "companiesEndpoint ", "companyEndpoint", "EventsEndpoint"} {
		_, ok := catalog.EndpointByKey(key)
		require.False(t, ok, key)
	}
	for _, name := range []string{"", "Companies", "company", "companiesEndpoint", " ari", "CRM"} {
		_, ok := catalog.EndpointByName(name)
		require.False(t, ok, name)
	}
}

func TestInvalidEndpoint(t *testing.T) {
	for _, e := range []catalog.Endpoint{0, 8, 255} {
		require.False(t, e.Valid())
		require.Empty(t, e.Name())
		require.Empty(t, e.APIKey())
		require.Empty(t, e.SuccessKey())
		require.Empty(t, e.TopicSuffix())
		require.Contains(t, e.String(), "Endpoint(")
		_, err := e.MarshalText()
		require.Error(t, err)
	}
}

func TestEndpointText(t *testing.T) {
	b, err := json.Marshal(map[string]catalog.Endpoint{"e": catalog.CRM})
	require.NoError(t, err)
	require.JSONEq(t, `{"e":"crm"}`, string(b))

	var e catalog.Endpoint
	require.NoError(t, e.UnmarshalText([]byte("ari")))
	require.Equal(t, catalog.ARI, e)
	err = e.UnmarshalText([]byte("Ari"))
	require.EqualError(t, err, `catalog: unknown endpoint "Ari" (want one of events, venues, payments, crm, contacts, companies, ari)`)
	require.Equal(t, catalog.ARI, e, "unchanged on error")
}

func TestShapeNames(t *testing.T) {
	for _, name := range []string{"data", "dataWithPrevious", "dataArray", "ids"} {
		s, ok := catalog.ParseShape(name)
		require.True(t, ok, name)
		require.True(t, s.Valid())
		require.Equal(t, name, s.String())
		b, err := s.MarshalText()
		require.NoError(t, err)
		require.Equal(t, name, string(b))
	}
	for _, name := range []string{"", "Data", "ids ", "array", "dataarray"} {
		_, ok := catalog.ParseShape(name)
		require.False(t, ok, name)
	}
	require.Equal(t, "Shape(0)", catalog.Shape(0).String())
	_, err := catalog.Shape(9).MarshalText()
	require.Error(t, err)
}
