package iws

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Dialect selects how a client formats the headers it signs. iVvy's own
// SDKs differ in small ways; the server accepts both.
type Dialect int

const (
	// DialectJS signs as iVvy's JS SDK does: Content-Type
	// "application/json", X-Api-Version "1.0" and IVVY-Date without a zone
	// suffix. It is the zero value.
	DialectJS Dialect = iota
	// DialectDotNet signs as iVvy's .NET SDK does: Content-Type
	// "application/json; charset=utf-8", no X-Api-Version, and IVVY-Date
	// with a trailing " UTC".
	DialectDotNet
)

// APIVersion1 is the only iVvy API version, "1.0".
const APIVersion1 = "1.0"

// String returns "js" or "dotnet".
func (d Dialect) String() string {
	switch d {
	case DialectJS:
		return "js"
	case DialectDotNet:
		return "dotnet"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// contentType returns the Content-Type the dialect sends.
func (d Dialect) contentType() string {
	if d == DialectDotNet {
		return "application/json; charset=utf-8"
	}
	return "application/json"
}

// SignRequest signs req, whose body will be exactly body, with the API key
// and secret at time now. It sets Content-MD5, Content-Type, IVVY-Date and
// X-Api-Authorization (and X-Api-Version for [DialectJS]); it does not set
// req.Body. Any IVVY* headers already on req are signed too.
func SignRequest(req *http.Request, body []byte, key, secret string, now time.Time, d Dialect) error {
	if req == nil || req.URL == nil {
		return errors.New("iws: SignRequest needs a request with a URL")
	}
	if !validKey(key) {
		return errors.New("iws: API key must be non-empty, without spaces, colons or control characters")
	}
	if d != DialectJS && d != DialectDotNet {
		return fmt.Errorf("iws: unknown dialect %s", d)
	}
	h := req.Header
	if h == nil {
		h = make(http.Header)
		req.Header = h
	}
	h.Set(HeaderContentMD5, BodyMD5(body))
	h.Set(HeaderContentType, d.contentType())
	h.Set(HeaderIvvyDate, FormatIvvyDate(now, d == DialectDotNet))
	if d == DialectJS {
		h.Set(HeaderAPIVersion, APIVersion1)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	sts := StringToSign(Params{
		Method:      method,
		ContentMD5:  h.Get(HeaderContentMD5),
		ContentType: h.Get(HeaderContentType),
		Date:        h.Get(HeaderDate),
		RequestURI:  req.URL.RequestURI(),
		Header:      h,
	})
	h.Set(HeaderAuthorization, "IWS "+key+":"+Sign(secret, sts))
	return nil
}
