package iws_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/iws"
)

func TestFixtureRequestsVerify(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			r, body := c.serverRequest()
			s, err := iws.Parse(r, body)
			require.NoError(t, err)
			require.Equal(t, c.StringToSign, s.StringToSign, "string to sign")
			require.Equal(t, c.Key, s.Key)
			require.Equal(t, c.signature(), iws.Sign(c.Secret, s.StringToSign), "computed signature")
			require.True(t, s.Verify(c.Secret))
			require.NoError(t, s.CheckTime(fixtureNow, iws.DefaultWindow))
			require.True(t, s.Time.Equal(fixtureNow), "request time %s", s.Time)
		})
	}
}

// tamper changes one signed part of a fixture request.
type tamper struct {
	name string
	edit func(c *fixtureCase)
	want error // errBadSignature when nil
}

func tampers() []tamper {
	return []tamper{
		{name: "changing one byte of the body", want: iws.ErrContentMD5Mismatch,
			edit: func(c *fixtureCase) { c.Body += " " }},
		{name: "changing the Content-Type",
			edit: func(c *fixtureCase) { c.Headers[iws.HeaderContentType] = "text/plain" }},
		{name: "changing Content-MD5 and body together", edit: func(c *fixtureCase) {
			c.Body += " "
			c.Headers[iws.HeaderContentMD5] = iws.BodyMD5([]byte(c.Body))
		}},
		{name: "changing the date header by one second", edit: func(c *fixtureCase) {
			h := c.dateHeader()
			c.Headers[h] = strings.Replace(c.Headers[h], "10:15:30", "10:15:31", 1)
		}},
		{name: "adding an IVVY header",
			edit: func(c *fixtureCase) { c.Headers["IVVY-Extra"] = "x" }},
		{name: "changing the method",
			edit: func(c *fixtureCase) { c.Method = http.MethodPut }},
		{name: "changing the path",
			edit: func(c *fixtureCase) { c.Path = strings.Replace(c.Path, "?", "x?", 1) }},
		{name: "changing the query",
			edit: func(c *fixtureCase) { c.Path += "&extra=1" }},
		{name: "changing the API version",
			edit: func(c *fixtureCase) { c.Path = strings.Replace(c.Path, "/1.0/", "/1.1/", 1) }},
		{name: "changing the key id", edit: func(c *fixtureCase) {
			auth := c.Headers[iws.HeaderAuthorization]
			c.Headers[iws.HeaderAuthorization] = strings.Replace(auth, c.Key, "OTHERKEY", 1)
		}},
	}
}

func TestFixtureRequestsRejectTampering(t *testing.T) {
	for _, c := range loadCases(t) {
		for _, tc := range tampers() {
			t.Run(c.Name+"/"+tc.name, func(t *testing.T) {
				c := c.clone()
				tc.edit(&c)
				r, body := c.serverRequest()
				secrets := map[string]string{c.Key: c.Secret, "OTHERKEY": "other-secret"}
				want := tc.want
				if want == nil {
					want = errBadSignature
				}
				require.ErrorIs(t, check(r, body, secrets, fixtureNow), want)
			})
		}
		t.Run(c.Name+"/with a wrong secret", func(t *testing.T) {
			r, body := c.serverRequest()
			err := check(r, body, map[string]string{c.Key: c.Secret + "x"}, fixtureNow)
			require.ErrorIs(t, err, errBadSignature)
		})
		t.Run(c.Name+"/body change is a Content-MD5 mismatch", func(t *testing.T) {
			r, _ := c.serverRequest()
			body := []byte(c.Body + "x")
			_, err := iws.Parse(r, body)
			require.ErrorIs(t, err, iws.ErrContentMD5Mismatch)
		})
	}
}

func TestSignMatchesPublishedVector(t *testing.T) {
	require.Equal(t, "a993876ea1218921a1c8551923473da7b310dfae", iws.Sign("my secret key", "string to sign"))
}

func TestBodyMD5(t *testing.T) {
	require.Equal(t, "d41d8cd98f00b204e9800998ecf8427e", iws.BodyMD5(nil))
	require.Equal(t, "d41d8cd98f00b204e9800998ecf8427e", iws.BodyMD5([]byte{}))
	for _, c := range loadCases(t) {
		require.Equal(t, c.Headers[iws.HeaderContentMD5], iws.BodyMD5([]byte(c.Body)), c.Name)
	}
}

func TestStringToSign(t *testing.T) {
	tests := []struct {
		name string
		p    iws.Params
		want string
	}{
		{
			name: "reproduces the SPEC ping example",
			p: iws.Params{
				Method: "POST", ContentMD5: "a09f600c77a6dbd947db24c61e8935ca",
				ContentType: "application/json", RequestURI: "/api/1.0/test?action=ping",
				Header: http.Header{"Ivvy-Date": {"2012-04-03 22:23:24"}, "X-Api-Version": {"1.0"}},
			},
			want: "posta09f600c77a6dbd947db24c61e8935caapplication/json/api/1.0/test?action=ping1.0ivvydate=2012-04-03 22:23:24",
		},
		{
			name: "leaves out Date when IVVY-Date is present",
			p: iws.Params{
				Method: "POST", Date: "Mon, 23 Nov 2026 10:15:30 GMT", RequestURI: "/api/1.0/x",
				Header: http.Header{"IVVY_Date": {"2026-11-23 10:15:30"}},
			},
			want: "post/api/1.0/x1.0ivvydate=2026-11-23 10:15:30",
		},
		{
			name: "signs Date when there is no IVVY-Date",
			p:    iws.Params{Method: "POST", Date: "Mon, 23 Nov 2026 10:15:30 GMT", RequestURI: "/api/1.0/x"},
			want: "postmon, 23 nov 2026 10:15:30 gmt/api/1.0/x1.0",
		},
		{
			name: "sorts IVVY headers, strips - and _ and joins repeated values",
			p: iws.Params{
				Method: "POST", RequestURI: "/other",
				Header: http.Header{
					"Ivvy-Zeta": {"Z"}, "IVVY_Alpha": {"a", "b"}, "Ivvy-Date": {"d"},
					"X-Ivvy": {"ignored"}, "Content-Type": {"ignored"},
				},
			},
			want: "post/otherivvyalpha=a,b&ivvydate=d&ivvyzeta=z",
		},
		{
			name: "lowercases the whole string including the query",
			p:    iws.Params{Method: "POST", ContentType: "Application/JSON", RequestURI: "/API/1.0/Account?action=Subscribe"},
			want: "postapplication/json/api/1.0/account?action=subscribe1.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, iws.StringToSign(tt.p))
		})
	}
}

func TestAPIVersion(t *testing.T) {
	tests := map[string]string{
		"/api/1.0/test?action=ping":   "1.0",
		"/api/2.5/a/b":                "2.5",
		"/API/1.0/test":               "1.0",
		"/api/1.0":                    "",
		"/api/1.0?x=/y/":              "",
		"/api//test":                  "",
		"/v1/api/1.0/test":            "",
		"/test?action=ping":           "",
		"":                            "",
		"api/1.0/test":                "",
		"/apiary/1.0/test":            "",
		"/api/1.0/test?next=/api/2/x": "1.0",
	}
	for uri, want := range tests {
		t.Run("version of "+uri, func(t *testing.T) {
			require.Equal(t, want, iws.APIVersion(uri))
		})
	}
}
