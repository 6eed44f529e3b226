package receiver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver"
	"github.com/ivvy-notify/ivvy-notify/receiver/receivertest"
)

func TestDecodingDeliveredBodies(t *testing.T) {
	srv := receivertest.NewServer(t)
	got := map[string]*receiver.Notification{}
	h, err := receiver.NewHandler(srv.Verifier(), receiver.HandlerOptions{
		OnNotification: func(_ context.Context, n *receiver.Notification) error {
			got[n.Subject] = n
			return nil
		},
	})
	require.NoError(t, err)
	for subject, body := range map[string]string{
		"CompanyAdded":                    `{"data":{"id":60825,"businessName":"Test Company 123"}}`,
		"CompanyUpdated":                  `{"data":{"id":1,"name":"New"},"previousData":{"id":1,"name":"Old"}}`,
		"CompanyDeleted":                  `{"companyId":"60825"}`,
		"OpportunityDeleted":              `{"venueId":3,"opportunityId":9,"extra":true}`,
		"RoomInventoryUpdated":            `{"data":[{"roomId":1},{"roomId":2}]}`,
		"BookingRoomReservationCancelled": `{"bookingStatus":"Cancelled","data":{"id":5}}`,
		"BookingRoomReservationDeleted":   `{"venueId":1,"bookingId":2,"bookingStatus":1,"reservationId":3,"roomIds":[7,8]}`,
		"VenueGuestAnonymised":            `{"guestContactId":123456789012}`,
	} {
		rec := serve(h, srv.Request(srv.Notification(subject, body)))
		require.Equal(t, http.StatusOK, rec.Code, subject+": "+rec.Body.String())
	}

	data, prev, err := receiver.DecodeData(got["CompanyAdded"])
	require.NoError(t, err)
	require.JSONEq(t, `{"id":60825,"businessName":"Test Company 123"}`, string(data))
	require.Nil(t, prev)

	data, prev, err = receiver.DecodeData(got["CompanyUpdated"])
	require.NoError(t, err)
	require.JSONEq(t, `{"id":1,"name":"New"}`, string(data))
	require.JSONEq(t, `{"id":1,"name":"Old"}`, string(prev))

	data, _, err = receiver.DecodeData(got["RoomInventoryUpdated"])
	require.NoError(t, err)
	var rooms []struct{ RoomID int }
	require.NoError(t, json.Unmarshal(data, &rooms))
	require.Len(t, rooms, 2)

	company, err := receiver.DecodeBody[receiver.CompanyDeleted](got["CompanyDeleted"])
	require.NoError(t, err)
	require.Equal(t, receiver.ID("60825"), company.CompanyID)
	id, err := company.CompanyID.Int64()
	require.NoError(t, err)
	require.Equal(t, int64(60825), id)

	opp, err := receiver.DecodeBody[receiver.OpportunityDeleted](got["OpportunityDeleted"])
	require.NoError(t, err)
	require.Equal(t, receiver.OpportunityDeleted{VenueID: "3", OpportunityID: "9"}, opp)

	cancelled, err := receiver.DecodeBody[receiver.BookingRoomReservationCancelled](got["BookingRoomReservationCancelled"])
	require.NoError(t, err)
	require.Equal(t, receiver.ID("Cancelled"), cancelled.BookingStatus)
	require.JSONEq(t, `{"id":5}`, string(cancelled.Data))

	rr, err := receiver.DecodeBody[receiver.BookingRoomReservationDeleted](got["BookingRoomReservationDeleted"])
	require.NoError(t, err)
	require.Equal(t, []receiver.ID{"7", "8"}, rr.RoomIDs)
	require.Equal(t, receiver.ID("3"), rr.ReservationID)

	guest, err := receiver.DecodeBody[receiver.VenueGuestAnonymised](got["VenueGuestAnonymised"])
	require.NoError(t, err)
	require.Equal(t, "123456789012", guest.GuestContactID.String())

	generic, err := receiver.DecodeBody[map[string]any](got["CompanyAdded"])
	require.NoError(t, err)
	require.Contains(t, generic, "data")
}

func TestDecodeBody_Errors(t *testing.T) {
	n := func(subject, body string) *receiver.Notification {
		return &receiver.Notification{Subject: subject, Body: json.RawMessage(body)}
	}
	for name, tt := range map[string]struct {
		n   *receiver.Notification
		err string
	}{
		"wrong subject's body": {n("CompanyAdded", `{"data":{"id":1}}`), `"companyId"`},
		"null id":              {n("CompanyDeleted", `{"companyId":null}`), `"companyId"`},
		"empty id":             {n("CompanyDeleted", `{"companyId":""}`), `"companyId"`},
		"object id":            {n("CompanyDeleted", `{"companyId":{}}`), "number or a string"},
		"bool id":              {n("CompanyDeleted", `{"companyId":true}`), "number or a string"},
		"not an object":        {n("CompanyDeleted", `[1]`), "CompanyDeleted body"},
	} {
		_, err := receiver.DecodeBody[receiver.CompanyDeleted](tt.n)
		require.ErrorContains(t, err, tt.err, name)
	}
	_, err := receiver.DecodeBody[receiver.BookingRoomReservationCancelled](n("BookingRoomReservationCancelled", `{"bookingStatus":1}`))
	require.ErrorContains(t, err, `"data"`)
	_, err = receiver.DecodeBody[receiver.BookingDeleted](n("BookingDeleted", `{"venueId":1,"bookingId":2,"bookingStatus":0}`))
	require.NoError(t, err, "id lists may be absent")

	for name, body := range map[string]string{
		"no data":   `{"previousData":{}}`,
		"null data": `{"data":null}`,
		"array":     `[]`,
		"not JSON":  `{`,
	} {
		_, _, err := receiver.DecodeData(n("CompanyUpdated", body))
		require.ErrorContains(t, err, "CompanyUpdated body", name)
	}
	data, prev, err := receiver.DecodeData(n("CompanyUpdated", `{"data":{},"previousData":null}`))
	require.NoError(t, err)
	require.Equal(t, "{}", string(data))
	require.Nil(t, prev)
}

func TestID_JSON(t *testing.T) {
	var ids []receiver.ID
	require.NoError(t, json.Unmarshal([]byte(`[1, "2", -3, 1.5, "x y", null, 12345678901234567890]`), &ids))
	require.Equal(t, []receiver.ID{"1", "2", "-3", "1.5", "x y", "", "12345678901234567890"}, ids)
	out, err := json.Marshal(ids)
	require.NoError(t, err)
	require.Equal(t, `[1,2,-3,"1.5","x y","","12345678901234567890"]`, string(out))
	_, err = receiver.ID("x").Int64()
	require.Error(t, err)
}

func TestNotification_SourceInfo(t *testing.T) {
	srv := receivertest.NewServer(t)
	v := srv.Verifier()
	m, err := receiver.ParseSNSMessage(srv.Notification("CompanyAdded", `{"data":{}}`))
	require.NoError(t, err)
	n, err := v.VerifyNotification(context.Background(), m)
	require.NoError(t, err)
	require.Nil(t, n.SourceInfo, "null SourceInfo")
	require.Equal(t, receiver.SourceTypeUnknown, n.SourceType)
	require.Empty(t, n.APIKey())
	require.Empty(t, n.SubscriptionArn, "travels in a header only")

	m, err = receiver.ParseSNSMessage(srv.SubscriptionConfirmation(srv.TopicArn("14", "CompanyAdded")))
	require.NoError(t, err)
	_, err = v.VerifyNotification(context.Background(), m)
	requireCheck(t, err, receiver.CheckMalformed)
}
