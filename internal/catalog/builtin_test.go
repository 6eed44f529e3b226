package catalog_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
)

// specSubjects lists SPEC §5 by hand, endpoint by endpoint, in SPEC order.
// It is deliberately not derived from the package's data: a typo in either
// fails TestDefaultCatalogMatchesSpec.
var specSubjects = map[catalog.Endpoint][]string{
	catalog.Events: nil,
	catalog.Venues: {
		"BookingAdded", "BookingUpdated", "BookingMoved", "BookingDeleted",
		"BookingSessionAdded", "BookingSessionUpdated", "BookingSessionDeleted",
		"BookingAccommodationAdded", "BookingAccommodationUpdated",
		"BookingAccommodationMoved", "BookingAccommodationDeleted",
		"BookingRoomReservationAdded", "BookingRoomReservationUpdated",
		"BookingRoomReservationConfirmed", "BookingRoomReservationCancelled",
		"BookingRoomReservationDeleted",
		"BookingNoteAdded", "BookingNoteUpdated", "BookingNoteDeleted",
		"SpaceBlockoutAdded", "SpaceBlockoutUpdated", "SpaceBlockoutDeleted",
		"BookingDocumentGenerated", "BookingDocumentDeleted",
		"BookingBeoGenerated", "BookingBeoDeleted",
		"VenueGuestAnonymised",
	},
	catalog.Payments: {"InvoiceAdded", "InvoiceUpdated"},
	catalog.CRM: {
		"OpportunityAdded", "OpportunityUpdated", "OpportunityDeleted",
		"CrmEventTaskAdded", "CrmEventTaskUpdated", "CrmEventTaskDeleted",
		"CrmEventActivityAdded", "CrmEventActivityUpdated", "CrmEventActivityDeleted",
		"CrmLeadNoteAdded", "CrmLeadNoteUpdated", "CrmLeadNoteDeleted",
	},
	catalog.Contacts: {
		"ContactAdded", "ContactUpdated", "ContactDeleted",
		"ContactNoteAdded", "ContactNoteUpdated", "ContactNoteDeleted",
	},
	catalog.Companies: {"CompanyAdded", "CompanyUpdated", "CompanyDeleted"},
	catalog.ARI:       {"RoomInventoryUpdated", "RoomRatesUpdated", "RatePlanBookingRulesUpdated"},
}

// specCounts is the number of subjects per endpoint in SPEC §5.
var specCounts = map[catalog.Endpoint]int{
	catalog.Events: 0, catalog.Venues: 27, catalog.Payments: 2, catalog.CRM: 12,
	catalog.Contacts: 6, catalog.Companies: 3, catalog.ARI: 3,
}

// specTotal is the number of subjects in SPEC §5.
const specTotal = 53

// specIDs lists, by hand, the members of every SPEC §5 id-object body.
var specIDs = map[string][]string{
	"CompanyDeleted":                  {"companyId"},
	"ContactDeleted":                  {"contactId"},
	"ContactNoteDeleted":              {"noteId"},
	"OpportunityDeleted":              {"venueId", "opportunityId"},
	"CrmEventTaskDeleted":             {"taskId"},
	"CrmEventActivityDeleted":         {"activityId"},
	"CrmLeadNoteDeleted":              {"noteId"},
	"BookingDeleted":                  {"venueId", "bookingId", "bookingStatus", "accommodationIds", "roomReservationIds", "sessionIds"},
	"BookingSessionDeleted":           {"venueId", "bookingId", "sessionId"},
	"BookingAccommodationDeleted":     {"venueId", "bookingId", "bookingStatus", "accommodationId"},
	"BookingRoomReservationCancelled": {"bookingStatus", "data"},
	"BookingRoomReservationDeleted":   {"venueId", "bookingId", "bookingStatus", "reservationId", "roomIds"},
	"BookingNoteDeleted":              {"noteId"},
	"SpaceBlockoutDeleted":            {"venueId", "spaceBlockoutId"},
	"BookingDocumentDeleted":          {"venueId", "bookingId", "documentId"},
	"BookingBeoDeleted":               {"venueId", "bookingId", "beoId"},
	"VenueGuestAnonymised":            {"guestContactId"},
}

// specShape derives the shape SPEC §5 gives name, independently of the
// package's data.
func specShape(t *testing.T, e catalog.Endpoint, name string) catalog.Shape {
	t.Helper()
	switch {
	case e == catalog.ARI:
		return catalog.ShapeDataArray
	case specIDs[name] != nil:
		return catalog.ShapeIDs
	case strings.HasSuffix(name, "Added"), strings.HasSuffix(name, "Generated"):
		return catalog.ShapeData
	case strings.HasSuffix(name, "Updated"), strings.HasSuffix(name, "Moved"),
		strings.HasSuffix(name, "Confirmed"):
		return catalog.ShapeDataWithPrevious
	}
	t.Fatalf("no SPEC shape for %s", name)
	return 0
}

func TestDefaultCatalogMatchesSpec(t *testing.T) {
	c := catalog.Default()
	total := 0
	var wantOrder []string
	for _, e := range catalog.Endpoints() {
		want := specSubjects[e]
		require.Len(t, want, specCounts[e], "hand list of %s", e)
		got := c.SubjectsFor(e)
		names := make([]string, len(got))
		for i, s := range got {
			names[i] = s.Name
			require.Equal(t, e, s.Endpoint, s.Name)
			require.Equal(t, specShape(t, e, s.Name), s.Shape, s.Name)
			require.Equal(t, specIDs[s.Name], s.Fields, s.Name)
		}
		require.Equal(t, want, zeroToNil(names), "subjects of %s", e)
		total += len(want)
		wantOrder = append(wantOrder, want...)
	}
	require.Equal(t, specTotal, total)

	all := c.Subjects()
	require.Len(t, all, specTotal)
	for i, s := range all {
		require.Equal(t, wantOrder[i], s.Name, "Subjects() order at %d", i)
	}
	require.Len(t, specIDs, 17)
	for name := range specIDs {
		_, ok := c.Subject(name)
		require.True(t, ok, name)
	}
}

func zeroToNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestEventsHasNoSubjects(t *testing.T) {
	require.Empty(t, catalog.Default().SubjectsFor(catalog.Events))
	require.Empty(t, catalog.Default().SubjectsFor(catalog.Endpoint(0)))
}

func TestSubjectLookupIsExact(t *testing.T) {
	c := catalog.Default()
	s, ok := c.Subject("InvoiceUpdated")
	require.True(t, ok)
	require.Equal(t, catalog.Payments, s.Endpoint)
	require.Equal(t, catalog.ShapeDataWithPrevious, s.Shape)
	for _, name := range []string{"invoiceUpdated", "INVOICEUPDATED", "InvoiceUpdated ", " InvoiceUpdated", "", "Invoice"} {
		_, ok := c.Subject(name)
		require.False(t, ok, name)
	}
}

func TestSubjectsAreCopies(t *testing.T) {
	c := catalog.Default()
	s, _ := c.Subject("CompanyDeleted")
	s.Fields[0] = "oops"
	all := c.Subjects()
	all[0].Name = "oops"
	for i := range all {
		all[i].Fields = append(all[i].Fields[:0:0], "x")
	}
	s, _ = c.Subject("CompanyDeleted")
	require.Equal(t, []string{"companyId"}, s.Fields)
	require.Equal(t, "BookingAdded", c.Subjects()[0].Name)
	require.NoError(t, c.Validate("CompanyDeleted", []byte(`{"companyId":1}`)))
}

func TestExampleBodies(t *testing.T) {
	c := catalog.Default()
	want := map[string]string{
		"CompanyAdded":                    `{"data":{"id":1}}`,
		"CompanyUpdated":                  `{"data":{"id":1},"previousData":{"id":1}}`,
		"CompanyDeleted":                  `{"companyId":1}`,
		"RoomRatesUpdated":                `{"data":[{"id":1}]}`,
		"BookingRoomReservationCancelled": `{"bookingStatus":1,"data":{"id":1}}`,
		"BookingDeleted":                  `{"venueId":1,"bookingId":1,"bookingStatus":1,"accommodationIds":[1],"roomReservationIds":[1],"sessionIds":[1]}`,
	}
	for name, body := range want {
		s, ok := c.Subject(name)
		require.True(t, ok, name)
		require.Equal(t, body, string(s.ExampleBody()), name)
	}
	for _, s := range c.Subjects() {
		body := s.ExampleBody()
		require.True(t, json.Valid(body), s.Name)
		require.NoError(t, c.Validate(s.Name, body), s.Name)
		require.NoError(t, s.Validate(body), s.Name)
	}
}

func TestSubjectJSON(t *testing.T) {
	s, _ := catalog.Default().Subject("OpportunityDeleted")
	b, err := json.Marshal(s)
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"OpportunityDeleted","endpoint":"crm","shape":"ids","ids":["venueId","opportunityId"]}`, string(b))
	s, _ = catalog.Default().Subject("CompanyAdded")
	b, err = json.Marshal(s)
	require.NoError(t, err)
	require.JSONEq(t, `{"name":"CompanyAdded","endpoint":"companies","shape":"data"}`, string(b))
}

func TestNilCatalog(t *testing.T) {
	var c *catalog.Catalog
	_, ok := c.Subject("CompanyAdded")
	require.False(t, ok)
	require.Empty(t, c.Subjects())
	require.Empty(t, c.SubjectsFor(catalog.Companies))
	require.ErrorIs(t, c.Validate("CompanyAdded", []byte(`{}`)), catalog.ErrUnknownSubject)
	require.Same(t, catalog.Default(), catalog.Default(), "shared")
}
