package catalog

// builtin returns the subjects of SPEC §5, grouped by endpoint in endpoint
// order and, within an endpoint, in the order SPEC lists them. Each call
// returns new slices.
func builtin() []Subject {
	var out []Subject
	for _, group := range [][]Subject{
		companySubjects(), contactSubjects(), crmSubjects(),
		paymentSubjects(), venueSubjects(), ariSubjects(),
	} {
		out = append(out, group...)
	}
	return out
}

// data defines a subject whose body is {"data": {…}}.
func data(e Endpoint, name string) Subject {
	return Subject{Name: name, Endpoint: e, Shape: ShapeData}
}

// dataPrev defines a subject whose body is {"data": {…}, "previousData": {…}}.
func dataPrev(e Endpoint, name string) Subject {
	return Subject{Name: name, Endpoint: e, Shape: ShapeDataWithPrevious}
}

// dataArray defines a subject whose body is {"data": [ … ]}.
func dataArray(e Endpoint, name string) Subject {
	return Subject{Name: name, Endpoint: e, Shape: ShapeDataArray}
}

// ids defines a subject whose body is an object with the given members.
func ids(e Endpoint, name string, fields ...string) Subject {
	return Subject{Name: name, Endpoint: e, Shape: ShapeIDs, Fields: fields}
}

// companySubjects are the companies endpoint's subjects.
func companySubjects() []Subject {
	return []Subject{
		data(Companies, "CompanyAdded"),
		dataPrev(Companies, "CompanyUpdated"),
		ids(Companies, "CompanyDeleted", "companyId"),
	}
}

// contactSubjects are the contacts endpoint's subjects.
func contactSubjects() []Subject {
	return []Subject{
		data(Contacts, "ContactAdded"),
		dataPrev(Contacts, "ContactUpdated"),
		ids(Contacts, "ContactDeleted", "contactId"),
		data(Contacts, "ContactNoteAdded"),
		dataPrev(Contacts, "ContactNoteUpdated"),
		ids(Contacts, "ContactNoteDeleted", "noteId"),
	}
}

// crmSubjects are the crm endpoint's subjects.
func crmSubjects() []Subject {
	return []Subject{
		data(CRM, "OpportunityAdded"),
		dataPrev(CRM, "OpportunityUpdated"),
		ids(CRM, "OpportunityDeleted", "venueId", "opportunityId"),
		data(CRM, "CrmEventTaskAdded"),
		dataPrev(CRM, "CrmEventTaskUpdated"),
		ids(CRM, "CrmEventTaskDeleted", "taskId"),
		data(CRM, "CrmEventActivityAdded"),
		dataPrev(CRM, "CrmEventActivityUpdated"),
		ids(CRM, "CrmEventActivityDeleted", "activityId"),
		data(CRM, "CrmLeadNoteAdded"),
		dataPrev(CRM, "CrmLeadNoteUpdated"),
		ids(CRM, "CrmLeadNoteDeleted", "noteId"),
	}
}

// paymentSubjects are the payments endpoint's subjects. InvoiceUpdated is
// also sent when a payment is applied to an invoice.
func paymentSubjects() []Subject {
	return []Subject{
		data(Payments, "InvoiceAdded"),
		dataPrev(Payments, "InvoiceUpdated"),
	}
}

// venueSubjects are the venues endpoint's subjects.
func venueSubjects() []Subject {
	const v = Venues
	return []Subject{
		data(v, "BookingAdded"),
		dataPrev(v, "BookingUpdated"),
		dataPrev(v, "BookingMoved"),
		ids(v, "BookingDeleted", "venueId", "bookingId", "bookingStatus",
			"accommodationIds", "roomReservationIds", "sessionIds"),
		data(v, "BookingSessionAdded"),
		dataPrev(v, "BookingSessionUpdated"),
		ids(v, "BookingSessionDeleted", "venueId", "bookingId", "sessionId"),
		data(v, "BookingAccommodationAdded"),
		dataPrev(v, "BookingAccommodationUpdated"),
		dataPrev(v, "BookingAccommodationMoved"),
		ids(v, "BookingAccommodationDeleted", "venueId", "bookingId",
			"bookingStatus", "accommodationId"),
		data(v, "BookingRoomReservationAdded"),
		dataPrev(v, "BookingRoomReservationUpdated"),
		dataPrev(v, "BookingRoomReservationConfirmed"),
		ids(v, "BookingRoomReservationCancelled", "bookingStatus", "data"),
		ids(v, "BookingRoomReservationDeleted", "venueId", "bookingId",
			"bookingStatus", "reservationId", "roomIds"),
		data(v, "BookingNoteAdded"),
		dataPrev(v, "BookingNoteUpdated"),
		ids(v, "BookingNoteDeleted", "noteId"),
		data(v, "SpaceBlockoutAdded"),
		dataPrev(v, "SpaceBlockoutUpdated"),
		ids(v, "SpaceBlockoutDeleted", "venueId", "spaceBlockoutId"),
		data(v, "BookingDocumentGenerated"),
		ids(v, "BookingDocumentDeleted", "venueId", "bookingId", "documentId"),
		data(v, "BookingBeoGenerated"),
		ids(v, "BookingBeoDeleted", "venueId", "bookingId", "beoId"),
		ids(v, "VenueGuestAnonymised", "guestContactId"),
	}
}

// ariSubjects are the ari endpoint's subjects.
func ariSubjects() []Subject {
	return []Subject{
		dataArray(ARI, "RoomInventoryUpdated"),
		dataArray(ARI, "RoomRatesUpdated"),
		dataArray(ARI, "RatePlanBookingRulesUpdated"),
	}
}
