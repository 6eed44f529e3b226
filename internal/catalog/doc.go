// Package catalog holds iVvy's notification endpoints and subjects as data in
// one place (SPEC §1.4, §5), and validates event bodies against them before
// they are published (SPEC §6).
//
// # Endpoints
//
// There are seven endpoints, in this order: events, venues, payments, crm,
// contacts, companies, ari. Each has an API key name used in subscribe
// requests ("companiesEndpoint"), a prefix for response keys
// ("companiesSuccess", "companiesTopicId", "companiesResult") and a topic-name
// suffix ("…_NotifCompanies").
//
// # Subjects and body shapes
//
// Every subject belongs to one endpoint and has one body shape. A body must
// be valid UTF-8 JSON, a single JSON object, without duplicate member names.
// The shapes are:
//
//   - data: {"data": {…}}; data must be an object ("Added", "…Generated").
//   - dataWithPrevious: {"data": {…}, "previousData": {…}}; both required
//     objects ("Updated", "Moved", "Confirmed", including InvoiceUpdated,
//     which is also sent when a payment is applied).
//   - dataArray: {"data": [ … ]}; data must be an array (the ari subjects).
//   - ids: an object with a listed set of required members ("Deleted"
//     subjects, VenueGuestAnonymised, and BookingRoomReservationCancelled
//     with {"bookingStatus", "data"}).
//
// Each required member of an ids body is checked by its name: "data" and
// "previousData" must be objects; a name ending in "Ids" must be an array,
// possibly empty, of ids; a name ending in "Id" must be an id, that is an
// integer within 64 bits (no fraction or exponent) or a non-empty string;
// "bookingStatus" must be a string or a number; any other member must be
// present and not null.
//
// Members beyond the required ones are allowed in every shape, because iVvy
// adds fields to its bodies over time; only the required members are
// checked.
//
// # Catalog files
//
// Default returns the SPEC catalog. An operator extends it with a JSON file
// (ivvy-notify serve --catalog-file), read by LoadFile:
//
//	{"subjects": [
//	  {"name": "EventAdded", "endpoint": "events", "shape": "data"},
//	  {"name": "EventDeleted", "endpoint": "events", "shape": "ids", "ids": ["eventId"]},
//	  {"name": "CompanyMerged", "endpoint": "companies", "shape": "dataWithPrevious"},
//	  {"name": "CompanyDeleted", "endpoint": "companies", "shape": "ids",
//	   "ids": ["companyId", "venueId"], "replace": true}
//	]}
//
// The file is one JSON object whose only member is "subjects", an array of
// entries. Member names are exact (case-sensitive), and unknown or
// duplicated members are errors. An entry has:
//
//   - name (required): the subject name, matching ^[A-Z][A-Za-z0-9]{0,99}$.
//     It must not differ only in case from another subject.
//   - endpoint (required): an endpoint name, e.g. "companies".
//   - shape (required): "data", "dataWithPrevious", "dataArray" or "ids".
//   - ids: for shape "ids" only, and required with it: the names of the
//     body's required members (1 to 64 distinct names matching
//     ^[A-Za-z][A-Za-z0-9_]{0,99}$), checked by name as described above.
//   - replace: true to redefine a subject already in the base catalog (for
//     instance a built-in one); defining an existing name without it, or
//     setting it for a new name, is an error.
//
// New subjects are listed after the base subjects of their endpoint, in file
// order. A replaced subject keeps its place, unless its endpoint changes:
// then it is placed like a new subject. Each name may appear once in a file. Errors name the entry and member, e.g.
// `subjects[2].endpoint: unknown endpoint "event" (want one of events, …)`.
package catalog
