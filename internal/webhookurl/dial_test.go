package webhookurl_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/webhookurl"
)

func client(t *testing.T, p webhookurl.Policy) *http.Client {
	tr := p.Transport(nil)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: webhookurl.NoRedirects}
}

func TestTransportRefusesLoopback(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()

	resp, err := client(t, webhookurl.Policy{}).Get(srv.URL)
	if resp != nil {
		resp.Body.Close()
	}
	require.ErrorIs(t, err, webhookurl.ErrForbiddenAddress)
	require.Contains(t, err.Error(), "is a loopback address")
	require.Zero(t, hits.Load())

	resp, err = client(t, webhookurl.Policy{AllowPrivate: true}).Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.EqualValues(t, 1, hits.Load())
}

func TestTransportRefusesTLSLoopback(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport) // trusts the test certificate

	resp, err := (&http.Client{Transport: webhookurl.Policy{}.Transport(base)}).Get(srv.URL)
	if resp != nil {
		resp.Body.Close()
	}
	require.ErrorIs(t, err, webhookurl.ErrForbiddenAddress)

	tr := webhookurl.Policy{AllowPrivate: true}.Transport(base)
	defer tr.CloseIdleConnections()
	resp, err = (&http.Client{Transport: tr}).Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
}

func TestNoRedirects(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(http.ResponseWriter, *http.Request) { followed.Add(1) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := client(t, webhookurl.Policy{AllowPrivate: true}).Post(srv.URL+"/hook", "text/plain", nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.Equal(t, "/elsewhere", resp.Header.Get("Location"))
	require.Zero(t, followed.Load())
}

func TestTransportClearsProxyAndDialers(t *testing.T) {
	proxy, err := url.Parse("http://192.0.2.1:3128")
	require.NoError(t, err)
	base := &http.Transport{Proxy: http.ProxyURL(proxy)}
	tr := webhookurl.Policy{}.Transport(base)
	require.Nil(t, tr.Proxy)
	require.NotNil(t, base.Proxy, "base is not modified")
	require.Nil(t, tr.DialTLSContext)
	require.NotNil(t, tr.DialContext)
	require.Equal(t, webhookurl.ResponseHeaderTimeout, tr.ResponseHeaderTimeout)
	require.Equal(t, webhookurl.TLSHandshakeTimeout, tr.TLSHandshakeTimeout)
	require.EqualValues(t, webhookurl.MaxResponseHeaderBytes, tr.MaxResponseHeaderBytes)

	def := webhookurl.Policy{}.Transport(nil)
	require.Nil(t, def.Proxy, "no environment proxy")
	require.True(t, def.ForceAttemptHTTP2)
}

// DialControl is called directly here: nothing is dialled.
func TestDialControl(t *testing.T) {
	strict := webhookurl.Policy{}.DialControl()
	loose := webhookurl.Policy{AllowPrivate: true}.DialControl()
	for addr, want := range map[string][2]bool{ // allowed by strict, by loose
		"93.184.215.14:443":         {true, true},
		"[2606:4700:4700::1111]:80": {true, true},
		"10.0.0.1:80":               {false, true},
		"[::ffff:127.0.0.1]:80":     {false, true},
		"[fe80::1%eth0]:80":         {false, true},
		"169.254.169.254:80":        {false, false},
		"[fd00:ec2::254]:80":        {false, false},
		"0.0.0.0:80":                {false, false},
		"example.com:80":            {false, false}, // not an address: cannot be checked
		"garbage":                   {false, false},
	} {
		for i, control := range []func(network, address string) error{
			func(n, a string) error { return strict(n, a, nil) },
			func(n, a string) error { return loose(n, a, nil) },
		} {
			err := control("tcp", addr)
			if want[i] {
				require.NoError(t, err, "%s policy %d", addr, i)
			} else {
				require.ErrorIs(t, err, webhookurl.ErrForbiddenAddress, "%s policy %d", addr, i)
			}
		}
	}
}
