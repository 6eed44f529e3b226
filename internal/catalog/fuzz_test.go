package catalog_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
)

// FuzzValidate checks, for a subject picked from the default catalog and an
// arbitrary body, that Validate never panics, that any error is a
// *BodyError for that subject, and that an accepted body is a JSON object.
func FuzzValidate(f *testing.F) {
	subjects := catalog.Default().Subjects()
	for i, s := range subjects {
		f.Add(uint16(i), s.ExampleBody())
	}
	for _, body := range []string{`[]`, `null`, `{"data":[]}`, `{"companyId":1.5}`,
		`{"data":{},"data":{}}`, `{"roomIds":[1,"",null]}`, "{\"data\":\"\xff\"}", ` {"data":{}} `} {
		f.Add(uint16(0), []byte(body))
		f.Add(uint16(len(subjects)-1), []byte(body))
	}
	f.Fuzz(func(t *testing.T, idx uint16, body []byte) {
		s := subjects[int(idx)%len(subjects)]
		err := catalog.Default().Validate(s.Name, body)
		if err != nil {
			be, ok := errors.AsType[*catalog.BodyError](err)
			if !ok || be.Subject != s.Name || be.Reason == "" {
				t.Fatalf("bad error %#v for %s %q", err, s.Name, body)
			}
			return
		}
		var m map[string]any
		trimmed := bytes.TrimSpace(body)
		if !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(body, &m) != nil {
			t.Fatalf("%s accepted a body that is not a JSON object: %q", s.Name, body)
		}
		for _, field := range s.RequiredFields() {
			if m[field] == nil {
				t.Fatalf("%s accepted a body without %q: %q", s.Name, field, body)
			}
		}
	})
}

var fuzzNameRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,99}$`)

// FuzzParseFile checks that ParseFile never panics, that its errors are
// prefixed, and that an accepted file yields a consistent catalog.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(briefFile))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"subjects":[{"name":"CompanyDeleted","endpoint":"venues","shape":"ids","ids":["companyId","x"],"replace":true}]}`))
	f.Add([]byte(`{"subjects":[{"name":"A","endpoint":"ari","shape":"ids","ids":["data","aIds","bookingStatus","z"]}]}`))
	f.Add([]byte(`{"subjects":[{"name":"a","endpoint":"x","shape":"y","ids":[1],"replace":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		base := catalog.Default()
		c, err := catalog.ParseFile(data, base)
		if err != nil {
			if c != nil || !strings.HasPrefix(err.Error(), "catalog file: ") {
				t.Fatalf("bad failure: %v", err)
			}
			return
		}
		checkCatalog(t, c, base)
	})
}

// checkCatalog checks that c holds every subject of base, keeps endpoint
// order, has valid, unique names, and accepts every example body.
func checkCatalog(t *testing.T, c, base *catalog.Catalog) {
	t.Helper()
	for _, s := range base.Subjects() {
		if _, ok := c.Subject(s.Name); !ok {
			t.Fatalf("lost base subject %s", s.Name)
		}
	}
	seen := map[string]bool{}
	var last catalog.Endpoint
	for _, s := range c.Subjects() {
		if !s.Endpoint.Valid() || !s.Shape.Valid() || s.Endpoint < last {
			t.Fatalf("bad subject or order: %+v", s)
		}
		last = s.Endpoint
		folded := strings.ToLower(s.Name)
		if seen[folded] || !fuzzNameRE.MatchString(s.Name) {
			t.Fatalf("bad or duplicate name %q", s.Name)
		}
		seen[folded] = true
		if err := c.Validate(s.Name, s.ExampleBody()); err != nil {
			t.Fatalf("example body of %s: %v", s.Name, err)
		}
	}
}
