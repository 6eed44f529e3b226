package catalog_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
)

const (
	reasonRequired = "is required"
	reasonObject   = "must be a JSON object"
	reasonArray    = "must be a JSON array"
	reasonID       = "must be an integer or a non-empty string"
	reasonIDList   = "must be a JSON array of integers or non-empty strings"
	reasonScalar   = "must be a string or a number"
)

// requireBodyError asserts err is a *BodyError for subject with field and
// a reason starting with reason.
func requireBodyError(t *testing.T, err error, subject, field, reason string) {
	t.Helper()
	be, ok := errors.AsType[*catalog.BodyError](err)
	require.True(t, ok, "want *BodyError, got %v", err)
	require.Equal(t, subject, be.Subject)
	require.Equal(t, field, be.Field, err.Error())
	require.True(t, strings.HasPrefix(be.Reason, reason), "reason %q, want %q", be.Reason, reason)
	require.NotErrorIs(t, err, catalog.ErrUnknownSubject)
}

func TestErrorMessagesExact(t *testing.T) {
	c := catalog.Default()
	require.EqualError(t, c.Validate("CompanyDeleted", []byte(`{}`)),
		`body of CompanyDeleted: "companyId" is required`)
	require.EqualError(t, c.Validate("BookingUpdated", []byte(`{"data":{},"previousData":[]}`)),
		`body of BookingUpdated: "previousData" must be a JSON object`)
	require.EqualError(t, c.Validate("CompanyAdded", []byte(`[]`)),
		`body of CompanyAdded: must be a JSON object`)
	require.EqualError(t, c.Validate("BookingDeleted", []byte(
		`{"venueId":1,"bookingId":1,"bookingStatus":1,"accommodationIds":[],"roomReservationIds":[],"sessionIds":[1,1.5]}`)),
		`body of BookingDeleted: "sessionIds" element at index 1 must be an integer or a non-empty string`)
}

func TestNonObjectBodies(t *testing.T) {
	c := catalog.Default()
	bodies := []string{`[]`, `[{"data":{}}]`, `null`, `"x"`, `"{}"`, `1`, `true`, ` [ ] `}
	for _, s := range c.Subjects() {
		for _, body := range bodies {
			requireBodyError(t, c.Validate(s.Name, []byte(body)), s.Name, "", reasonObject)
		}
	}
}

func TestMalformedBodies(t *testing.T) {
	c := catalog.Default()
	for _, body := range []string{``, ` `, `{`, `{"data":{}`, `{"data":{}} x`, `{} {}`,
		`{data:{}}`, `{"data":{},}`, `{'data':{}}`} {
		requireBodyError(t, c.Validate("CompanyAdded", []byte(body)), "CompanyAdded", "", "is not valid JSON")
	}
	err := c.Validate("CompanyAdded", []byte("{\"data\":{\"n\":\"\xff\"}}"))
	requireBodyError(t, err, "CompanyAdded", "", "is not valid UTF-8")
	err = c.Validate("CompanyAdded", []byte(`{"data":{},"data":{}}`))
	require.EqualError(t, err, `body of CompanyAdded: "data" appears more than once`)
	err = c.Validate("CompanyDeleted", []byte(`{"companyId":null,"companyId":1}`))
	requireBodyError(t, err, "CompanyDeleted", "companyId", "appears more than once")
}

func TestShapeRules(t *testing.T) {
	type tc struct {
		subject, body, field, reason string // reason "" = valid
	}
	cases := []tc{
		// data
		{"CompanyAdded", `{"data":{}}`, "", ""},
		{"CompanyAdded", `{"data":{"id":1},"extra":[1],"previousData":null}`, "", ""},
		{"CompanyAdded", `{}`, "data", reasonRequired},
		{"CompanyAdded", `{"Data":{}}`, "data", reasonRequired},
		{"CompanyAdded", `{"previousData":{}}`, "data", reasonRequired},
		{"CompanyAdded", `{"data":null}`, "data", reasonObject},
		{"CompanyAdded", `{"data":[]}`, "data", reasonObject},
		{"CompanyAdded", `{"data":"{}"}`, "data", reasonObject},
		{"BookingDocumentGenerated", `{"data":1}`, "data", reasonObject},
		// dataWithPrevious
		{"InvoiceUpdated", `{"data":{},"previousData":{}}`, "", ""},
		{"InvoiceUpdated", `{"data":{}}`, "previousData", reasonRequired},
		{"BookingMoved", `{"previousData":{}}`, "data", reasonRequired},
		{"BookingRoomReservationConfirmed", `{"data":{},"previousData":null}`, "previousData", reasonObject},
		{"BookingUpdated", `{"data":[],"previousData":{}}`, "data", reasonObject},
		{"ContactUpdated", `{"data":{},"previousData":true}`, "previousData", reasonObject},
		// dataArray
		{"RoomInventoryUpdated", `{"data":[]}`, "", ""},
		{"RoomRatesUpdated", `{"data":[{"a":1},2,null]}`, "", ""},
		{"RoomInventoryUpdated", `{}`, "data", reasonRequired},
		{"RoomRatesUpdated", `{"data":{}}`, "data", reasonArray},
		{"RatePlanBookingRulesUpdated", `{"data":null}`, "data", reasonArray},
		{"RatePlanBookingRulesUpdated", `{"data":"[]"}`, "data", reasonArray},
		// id values
		{"CompanyDeleted", `{"companyId":0}`, "", ""},
		{"CompanyDeleted", `{"companyId":-3}`, "", ""},
		{"CompanyDeleted", `{"companyId":9223372036854775807}`, "", ""},
		{"CompanyDeleted", `{"companyId":"a-1"}`, "", ""},
		{"CompanyDeleted", `{"companyId":" "}`, "", ""},
		{"CompanyDeleted", `{"companyId":null}`, "companyId", reasonID},
		{"CompanyDeleted", `{"companyId":1.5}`, "companyId", reasonID},
		{"CompanyDeleted", `{"companyId":1.0}`, "companyId", reasonID},
		{"CompanyDeleted", `{"companyId":1e3}`, "companyId", reasonID},
		{"CompanyDeleted", `{"companyId":""}`, "companyId", reasonID},
		{"CompanyDeleted", `{"companyId":true}`, "companyId", reasonID},
		{"CompanyDeleted", `{"companyId":{}}`, "companyId", reasonID},
		{"CompanyDeleted", `{"companyId":[1]}`, "companyId", reasonID},
		{"CompanyDeleted", `{"companyId":9223372036854775808}`, "companyId", "is out of range"},
		{"ContactNoteDeleted", `{"noteId":2.5}`, "noteId", reasonID},
		{"VenueGuestAnonymised", `{"guestContactId":""}`, "guestContactId", reasonID},
		// id lists
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":"b","bookingStatus":"x","reservationId":2,"roomIds":[]}`, "", ""},
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":1,"reservationId":1,"roomIds":[ 1 , "a" ]}`, "", ""},
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":1,"reservationId":1,"roomIds":1}`, "roomIds", reasonIDList},
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":1,"reservationId":1,"roomIds":"1"}`, "roomIds", reasonIDList},
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":1,"reservationId":1,"roomIds":null}`, "roomIds", reasonIDList},
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":1,"reservationId":1,"roomIds":{}}`, "roomIds", reasonIDList},
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":1,"reservationId":1,"roomIds":[1,null]}`, "roomIds", "element at index 1 " + reasonID},
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":1,"reservationId":1,"roomIds":[""]}`, "roomIds", "element at index 0 " + reasonID},
		{"BookingRoomReservationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":1,"reservationId":1,"roomIds":[[1]]}`, "roomIds", "element at index 0 " + reasonID},
		// bookingStatus
		{"BookingAccommodationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":"Cancelled","accommodationId":1}`, "", ""},
		{"BookingAccommodationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":-1.5,"accommodationId":1}`, "", ""},
		{"BookingAccommodationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":"","accommodationId":1}`, "", ""},
		{"BookingAccommodationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":null,"accommodationId":1}`, "bookingStatus", reasonScalar},
		{"BookingAccommodationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":false,"accommodationId":1}`, "bookingStatus", reasonScalar},
		{"BookingAccommodationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":{},"accommodationId":1}`, "bookingStatus", reasonScalar},
		{"BookingAccommodationDeleted", `{"venueId":1,"bookingId":1,"bookingStatus":[],"accommodationId":1}`, "bookingStatus", reasonScalar},
		// BookingRoomReservationCancelled
		{"BookingRoomReservationCancelled", `{"bookingStatus":3,"data":{}}`, "", ""},
		{"BookingRoomReservationCancelled", `{"data":{}}`, "bookingStatus", reasonRequired},
		{"BookingRoomReservationCancelled", `{"bookingStatus":3}`, "data", reasonRequired},
		{"BookingRoomReservationCancelled", `{"bookingStatus":3,"data":[]}`, "data", reasonObject},
		{"BookingRoomReservationCancelled", `{"bookingStatus":3,"data":null}`, "data", reasonObject},
	}
	c := catalog.Default()
	for _, tc := range cases {
		err := c.Validate(tc.subject, []byte(tc.body))
		if tc.reason == "" {
			require.NoError(t, err, "%s %s", tc.subject, tc.body)
			continue
		}
		requireBodyError(t, err, tc.subject, tc.field, tc.reason)
	}
}

// TestEachMissingIDField removes each required member in turn from the
// example body of every id-object subject.
func TestEachMissingIDField(t *testing.T) {
	c := catalog.Default()
	checked := 0
	for _, s := range c.Subjects() {
		if s.Shape != catalog.ShapeIDs {
			continue
		}
		for _, f := range s.Fields {
			body := withoutMember(t, s.ExampleBody(), f)
			requireBodyError(t, c.Validate(s.Name, body), s.Name, f, reasonRequired)
			checked++
		}
	}
	require.Equal(t, 38, checked)
}

// withoutMember returns body, a JSON object, with member name removed.
func withoutMember(t *testing.T, body []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m))
	require.Contains(t, m, name)
	delete(m, name)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func TestOtherFieldsMustNotBeNull(t *testing.T) {
	c, err := catalog.ParseFile([]byte(`{"subjects":[
		{"name":"GuestMerged","endpoint":"venues","shape":"ids","ids":["reason","guestIds"]}]}`), catalog.Default())
	require.NoError(t, err)
	require.NoError(t, c.Validate("GuestMerged", []byte(`{"reason":{},"guestIds":[]}`)))
	require.NoError(t, c.Validate("GuestMerged", []byte(`{"reason":false,"guestIds":["g"]}`)))
	requireBodyError(t, c.Validate("GuestMerged", []byte(`{"reason":null,"guestIds":[]}`)),
		"GuestMerged", "reason", "must not be null")
	requireBodyError(t, c.Validate("GuestMerged", []byte(`{"guestIds":[]}`)),
		"GuestMerged", "reason", reasonRequired)
}

func TestUnknownSubject(t *testing.T) {
	c := catalog.Default()
	cases := []struct{ name, suggestion string }{
		{"companyadded", "CompanyAdded"},
		{"COMPANYADDED", "CompanyAdded"},
		{" CompanyAdded\n", "CompanyAdded"},
		{"invoiceupdated", "InvoiceUpdated"},
		{"CompanyAddedX", "CompanyAdded"},
		{"Company Added", "CompanyAdded"},
		{"CompnyAdded", "CompanyAdded"},
		{"ComapnyUpdated", "CompanyUpdated"},
		{"CompanyCreated", ""},
		{"", ""},
		{"Nope", ""},
		{"EventAdded", ""},
	}
	for _, tc := range cases {
		err := c.Validate(tc.name, []byte(`{"data":{}}`))
		require.ErrorIs(t, err, catalog.ErrUnknownSubject, tc.name)
		ue, ok := errors.AsType[*catalog.UnknownSubjectError](err)
		require.True(t, ok)
		require.Equal(t, tc.name, ue.Name)
		require.Equal(t, tc.suggestion, ue.Suggestion, tc.name)
		_, isBody := errors.AsType[*catalog.BodyError](err)
		require.False(t, isBody)
	}
	require.EqualError(t, c.Validate("companyadded", nil),
		`unknown subject "companyadded" (did you mean "CompanyAdded"?)`)
	require.EqualError(t, c.Validate("Nope", nil), `unknown subject "Nope"`)

	long := strings.Repeat("é", 300)
	msg := c.Validate(long, nil).Error()
	require.Less(t, len(msg), 150)
	require.Contains(t, msg, "…")
}
