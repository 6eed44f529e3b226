package catalog

import (
	"fmt"
	"strings"
)

// Endpoint is one of the seven iVvy notification endpoints (SPEC §1.4). The
// zero value is not a valid endpoint.
type Endpoint uint8

// The notification endpoints, in the order iVvy lists them in its
// subscribe and unsubscribe responses.
const (
	// Events is eventsEndpoint; no subjects are defined for it yet.
	Events Endpoint = iota + 1
	// Venues is venuesEndpoint: bookings, sessions, accommodation, …
	Venues
	// Payments is paymentsEndpoint: invoices and payments.
	Payments
	// CRM is crmEndpoint: opportunities, tasks, activities, lead notes.
	CRM
	// Contacts is contactsEndpoint: contacts and contact notes.
	Contacts
	// Companies is companiesEndpoint: companies.
	Companies
	// ARI is ariEndpoint: availability, rates and inventory.
	ARI
)

// endpointInfo holds the name and topic suffix of each endpoint, indexed by
// Endpoint; entry 0 is the invalid zero value.
var endpointInfo = [...]struct{ name, suffix string }{
	{},
	{"events", "Events"},
	{"venues", "Venues"},
	{"payments", "Payments"},
	{"crm", "Crm"},
	{"contacts", "Contacts"},
	{"companies", "Companies"},
	{"ari", "Ari"},
}

// Endpoints returns the seven endpoints in order: events, venues, payments,
// crm, contacts, companies, ari. The caller owns the returned slice.
func Endpoints() []Endpoint {
	return []Endpoint{Events, Venues, Payments, CRM, Contacts, Companies, ARI}
}

// EndpointByKey returns the endpoint whose API key name (as used in the
// subscribe request body) is apiKey, e.g. "companiesEndpoint". Matching is
// exact and case-sensitive.
func EndpointByKey(apiKey string) (Endpoint, bool) {
	name, ok := strings.CutSuffix(apiKey, "Endpoint")
	if !ok {
		return 0, false
	}
	return EndpointByName(name)
}

// EndpointByName returns the endpoint named name, e.g. "companies". Matching
// is exact and case-sensitive.
func EndpointByName(name string) (Endpoint, bool) {
	for _, e := range Endpoints() {
		if e.Name() == name {
			return e, true
		}
	}
	return 0, false
}

// Valid reports whether e is one of the seven endpoints.
func (e Endpoint) Valid() bool { return e >= Events && e <= ARI }

// Name returns the endpoint's short name, e.g. "companies"; "" when e is not
// valid.
func (e Endpoint) Name() string {
	if !e.Valid() {
		return ""
	}
	return endpointInfo[e].name
}

// APIKey returns the endpoint's key in subscribe and unsubscribe request
// bodies, e.g. "companiesEndpoint"; "" when e is not valid.
func (e Endpoint) APIKey() string { return e.key("Endpoint") }

// ResponsePrefix returns the prefix of the endpoint's keys in subscribe and
// unsubscribe responses, e.g. "companies" (see SuccessKey, TopicIDKey and
// ResultKey); "" when e is not valid.
func (e Endpoint) ResponsePrefix() string { return e.Name() }

// SuccessKey returns the subscribe response key "{prefix}Success".
func (e Endpoint) SuccessKey() string { return e.key("Success") }

// TopicIDKey returns the subscribe response key "{prefix}TopicId".
func (e Endpoint) TopicIDKey() string { return e.key("TopicId") }

// ResultKey returns the unsubscribe response key "{prefix}Result".
func (e Endpoint) ResultKey() string { return e.key("Result") }

// TopicSuffix returns the endpoint's part of a topic name, which ends in
// "_Notif" + TopicSuffix(), e.g. "Companies" or "Crm"; "" when e is not
// valid.
func (e Endpoint) TopicSuffix() string {
	if !e.Valid() {
		return ""
	}
	return endpointInfo[e].suffix
}

// String returns the endpoint's name, or "Endpoint(n)" when e is not valid.
func (e Endpoint) String() string {
	if !e.Valid() {
		return fmt.Sprintf("Endpoint(%d)", uint8(e))
	}
	return e.Name()
}

// MarshalText encodes e as its name; an invalid endpoint is an error.
func (e Endpoint) MarshalText() ([]byte, error) {
	if !e.Valid() {
		return nil, fmt.Errorf("catalog: invalid endpoint %d", uint8(e))
	}
	return []byte(e.Name()), nil
}

// UnmarshalText decodes an endpoint name such as "companies".
func (e *Endpoint) UnmarshalText(text []byte) error {
	v, ok := EndpointByName(string(text))
	if !ok {
		return fmt.Errorf("catalog: unknown endpoint %q (want one of %s)",
			clip(string(text)), endpointNames())
	}
	*e = v
	return nil
}

// key returns the endpoint's name followed by suffix, or "" when e is not
// valid.
func (e Endpoint) key(suffix string) string {
	if !e.Valid() {
		return ""
	}
	return e.Name() + suffix
}

// endpointNames lists the endpoint names for error messages.
func endpointNames() string {
	names := make([]string, 0, len(endpointInfo)-1)
	for _, e := range Endpoints() {
		names = append(names, e.Name())
	}
	return strings.Join(names, ", ")
}
