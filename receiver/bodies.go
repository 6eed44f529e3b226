package receiver

// This file types the bodies of the id subjects of SPEC §5 (the Deleted
// subjects, VenueGuestAnonymised, BookingRoomReservationCancelled). The JSON
// names are SPEC's; members iVvy adds later are ignored.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
)

// ID is an iVvy id as its text. iVvy sends ids as JSON numbers or strings;
// ID accepts both (and bookingStatus, a string or a number) and keeps the
// text: 60825 and "60825" both give ID("60825"). null gives "".
type ID string

// UnmarshalJSON accepts a JSON number, string or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*id = ""
	case json.Number:
		*id = ID(v)
	case string:
		*id = ID(v)
	default:
		return fmt.Errorf("receiver: id must be a number or a string, not %s", b)
	}
	return nil
}

// MarshalJSON writes an integer id as a JSON number, anything else as a
// string.
func (id ID) MarshalJSON() ([]byte, error) {
	if _, err := strconv.ParseInt(string(id), 10, 64); err == nil {
		return []byte(id), nil
	}
	return json.Marshal(string(id))
}

// Int64 returns the id as an integer.
func (id ID) Int64() (int64, error) { return strconv.ParseInt(string(id), 10, 64) }

// String returns the id's text.
func (id ID) String() string { return string(id) }

// CompanyDeleted is the body of CompanyDeleted.
type CompanyDeleted struct {
	CompanyID ID `json:"companyId"`
}

// ContactDeleted is the body of ContactDeleted.
type ContactDeleted struct {
	ContactID ID `json:"contactId"`
}

// NoteDeleted is the body of ContactNoteDeleted, CrmLeadNoteDeleted and
// BookingNoteDeleted.
type NoteDeleted struct {
	NoteID ID `json:"noteId"`
}

// OpportunityDeleted is the body of OpportunityDeleted.
type OpportunityDeleted struct {
	VenueID       ID `json:"venueId"`
	OpportunityID ID `json:"opportunityId"`
}

// TaskDeleted is the body of CrmEventTaskDeleted.
type TaskDeleted struct {
	TaskID ID `json:"taskId"`
}

// ActivityDeleted is the body of CrmEventActivityDeleted.
type ActivityDeleted struct {
	ActivityID ID `json:"activityId"`
}

// BookingDeleted is the body of BookingDeleted.
type BookingDeleted struct {
	VenueID            ID   `json:"venueId"`
	BookingID          ID   `json:"bookingId"`
	BookingStatus      ID   `json:"bookingStatus"`
	AccommodationIDs   []ID `json:"accommodationIds"`
	RoomReservationIDs []ID `json:"roomReservationIds"`
	SessionIDs         []ID `json:"sessionIds"`
}

// BookingSessionDeleted is the body of BookingSessionDeleted.
type BookingSessionDeleted struct {
	VenueID   ID `json:"venueId"`
	BookingID ID `json:"bookingId"`
	SessionID ID `json:"sessionId"`
}

// BookingAccommodationDeleted is the body of BookingAccommodationDeleted.
type BookingAccommodationDeleted struct {
	VenueID         ID `json:"venueId"`
	BookingID       ID `json:"bookingId"`
	BookingStatus   ID `json:"bookingStatus"`
	AccommodationID ID `json:"accommodationId"`
}

// BookingRoomReservationDeleted is the body of BookingRoomReservationDeleted.
type BookingRoomReservationDeleted struct {
	VenueID       ID   `json:"venueId"`
	BookingID     ID   `json:"bookingId"`
	BookingStatus ID   `json:"bookingStatus"`
	ReservationID ID   `json:"reservationId"`
	RoomIDs       []ID `json:"roomIds"`
}

// BookingRoomReservationCancelled is the body of
// BookingRoomReservationCancelled: the booking status and the cancelled
// reservation as raw JSON.
type BookingRoomReservationCancelled struct {
	BookingStatus ID              `json:"bookingStatus"`
	Data          json.RawMessage `json:"data"`
}

// SpaceBlockoutDeleted is the body of SpaceBlockoutDeleted.
type SpaceBlockoutDeleted struct {
	VenueID         ID `json:"venueId"`
	SpaceBlockoutID ID `json:"spaceBlockoutId"`
}

// BookingDocumentDeleted is the body of BookingDocumentDeleted.
type BookingDocumentDeleted struct {
	VenueID    ID `json:"venueId"`
	BookingID  ID `json:"bookingId"`
	DocumentID ID `json:"documentId"`
}

// BookingBeoDeleted is the body of BookingBeoDeleted.
type BookingBeoDeleted struct {
	VenueID   ID `json:"venueId"`
	BookingID ID `json:"bookingId"`
	BeoID     ID `json:"beoId"`
}

// VenueGuestAnonymised is the body of VenueGuestAnonymised.
type VenueGuestAnonymised struct {
	GuestContactID ID `json:"guestContactId"`
}

// errMissingMember is wrapped by DecodeBody for a required member that is
// absent or null.
var errMissingMember = errors.New("required member missing")

// DecodeBody decodes n.Body into a T. Any JSON-decodable T works; for this
// package's body types (CompanyDeleted, BookingDeleted, …) every ID member
// and Data must be present and non-null, so that decoding the wrong
// subject's body is an error rather than a zero value. Id lists may be
// empty.
func DecodeBody[T any](n *Notification) (T, error) {
	var t T
	if err := json.Unmarshal(n.Body, &t); err != nil {
		return t, fmt.Errorf("receiver: %s body: %w", n.Subject, err)
	}
	if err := checkRequired(reflect.ValueOf(&t).Elem()); err != nil {
		return t, fmt.Errorf("receiver: %s body: %w", n.Subject, err)
	}
	return t, nil
}

// checkRequired checks the ID and Data members of this package's body
// types; other types pass.
func checkRequired(v reflect.Value) error {
	if v.Kind() != reflect.Struct || v.Type().PkgPath() != reflect.TypeFor[ID]().PkgPath() {
		return nil
	}
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Tag.Get("json")
		switch x := f.Interface().(type) {
		case ID:
			if x == "" {
				return fmt.Errorf("%w: %q", errMissingMember, name)
			}
		case json.RawMessage:
			if x == nil || string(x) == "null" {
				return fmt.Errorf("%w: %q", errMissingMember, name)
			}
		}
	}
	return nil
}
