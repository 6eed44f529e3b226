package app_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/receiver"
)

// TestSIGTERMFinishesInFlightDelivery starts the real binary, holds a
// delivery in flight at a slow receiver, sends SIGTERM, and checks that the
// process lets the attempt finish (the receiver answers, the delivery is
// recorded delivered) and then exits cleanly.
func TestSIGTERMFinishesInFlightDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	started, answered := make(chan struct{}, 16), atomic.Int64{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"Type" : "SubscriptionConfirmation"`) {
			confirmFromBody(t, body)
			return
		}
		started <- struct{}{}
		time.Sleep(2 * time.Second)
		answered.Add(1)
	}))
	defer rcv.Close()

	dir := t.TempDir()
	c := childStart(t, childBinary(t), dir)
	acct := c.subscribe(rcv.URL + "/hook")
	require.Eventually(t, func() bool { return subscriptionConfirmed(c, acct) }, 20*time.Second, 50*time.Millisecond)
	c.mustAdmin(202, "POST", "/v1/accounts/"+acct+"/events", `{"subject":"CompanyAdded","body":{"data":{"id":1}}}`, nil)
	<-started

	require.NoError(t, c.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("no exit within 20 s of SIGTERM")
	}
	require.Equal(t, 0, c.cmd.ProcessState.ExitCode(), c.stderr.tail(2048))
	require.EqualValues(t, 1, answered.Load(), "the attempt in flight was allowed to finish")
	require.Contains(t, c.stderr.tail(8192), "shutting down")

	restarted := childStart(t, childBinary(t), dir)
	n, err := restarted.pending()
	require.NoError(t, err)
	require.Zero(t, n, "the finished attempt was recorded before exit: nothing left to send")
}

// confirmFromBody visits the SubscribeURL of a SubscriptionConfirmation body.
func confirmFromBody(t *testing.T, body []byte) {
	m, err := receiver.ParseSNSMessage(body)
	if err != nil {
		t.Errorf("confirmation: %v", err)
		return
	}
	if _, err := httpGet(m.SubscribeURL); err != nil {
		t.Errorf("confirm: %v", err)
	}
}
