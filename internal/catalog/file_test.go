package catalog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ivvy-notify/ivvy-notify/internal/catalog"
)

const briefFile = `{"subjects": [
  {"name": "EventAdded", "endpoint": "events", "shape": "data"},
  {"name": "EventDeleted", "endpoint": "events", "shape": "ids", "ids": ["eventId"]},
  {"name": "CompanyMerged", "endpoint": "companies", "shape": "dataWithPrevious"},
  {"name": "RoomBlocksUpdated", "endpoint": "ari", "shape": "dataArray", "replace": false}
]}`

func names(subjects []catalog.Subject) []string {
	out := make([]string, len(subjects))
	for i, s := range subjects {
		out[i] = s.Name
	}
	return out
}

func TestParseFileExtends(t *testing.T) {
	base := catalog.Default()
	c, err := catalog.ParseFile([]byte(briefFile), base)
	require.NoError(t, err)

	require.Equal(t, []string{"EventAdded", "EventDeleted"}, names(c.SubjectsFor(catalog.Events)))
	require.Equal(t, []string{"CompanyAdded", "CompanyUpdated", "CompanyDeleted", "CompanyMerged"},
		names(c.SubjectsFor(catalog.Companies)))
	require.Equal(t, "RoomBlocksUpdated", c.Subjects()[len(c.Subjects())-1].Name)
	require.Len(t, c.Subjects(), specTotal+4)
	require.Equal(t, "EventAdded", c.Subjects()[0].Name, "events come first")

	s, ok := c.Subject("EventDeleted")
	require.True(t, ok)
	require.Equal(t, catalog.Subject{Name: "EventDeleted", Endpoint: catalog.Events,
		Shape: catalog.ShapeIDs, Fields: []string{"eventId"}}, s)
	require.NoError(t, c.Validate("EventDeleted", []byte(`{"eventId":"e1"}`)))
	require.EqualError(t, c.Validate("EventDeleted", []byte(`{"eventId":1.5}`)),
		`body of EventDeleted: "eventId" must be an integer or a non-empty string`)
	require.NoError(t, c.Validate("CompanyMerged", []byte(`{"data":{},"previousData":{}}`)))
	require.Error(t, c.Validate("RoomBlocksUpdated", []byte(`{"data":{}}`)))
	for _, s := range c.Subjects() {
		require.NoError(t, c.Validate(s.Name, s.ExampleBody()), s.Name)
	}

	// The base is unchanged.
	require.Len(t, base.Subjects(), specTotal)
	_, ok = base.Subject("EventAdded")
	require.False(t, ok)
	require.Empty(t, base.SubjectsFor(catalog.Events))

	// Suggestions cover added subjects.
	err = c.Validate("eventadded", nil)
	require.EqualError(t, err, `unknown subject "eventadded" (did you mean "EventAdded"?)`)
}

func TestParseFileReplace(t *testing.T) {
	c, err := catalog.ParseFile([]byte(`{"subjects":[
		{"name":"CompanyDeleted","endpoint":"companies","shape":"ids","ids":["companyId","venueId"],"replace":true},
		{"name":"InvoiceAdded","endpoint":"companies","shape":"dataArray","replace":true}]}`), catalog.Default())
	require.NoError(t, err)
	require.Equal(t, []string{"CompanyAdded", "CompanyUpdated", "CompanyDeleted", "InvoiceAdded"},
		names(c.SubjectsFor(catalog.Companies)))
	require.Equal(t, []string{"InvoiceUpdated"}, names(c.SubjectsFor(catalog.Payments)))
	require.Len(t, c.Subjects(), specTotal)
	require.EqualError(t, c.Validate("CompanyDeleted", []byte(`{"companyId":1}`)),
		`body of CompanyDeleted: "venueId" is required`)
	require.NoError(t, catalog.Default().Validate("CompanyDeleted", []byte(`{"companyId":1}`)))
}

func TestParseFileEmpty(t *testing.T) {
	for _, data := range []string{`{}`, `{"subjects":[]}`, `{"subjects":null}`, " {\n} \n"} {
		c, err := catalog.ParseFile([]byte(data), catalog.Default())
		require.NoError(t, err, data)
		require.Equal(t, catalog.Default().Subjects(), c.Subjects())
	}
	c, err := catalog.ParseFile([]byte(`{"subjects":[{"name":"X","endpoint":"events","shape":"data"}]}`), nil)
	require.NoError(t, err)
	require.Equal(t, []string{"X"}, names(c.Subjects()))
}

func TestParseFileErrors(t *testing.T) {
	entry := func(fields string) string { return `{"subjects":[` + fields + `]}` }
	ok := `{"name":"EventAdded","endpoint":"events","shape":"data"}`
	cases := []struct{ data, want string }{
		{``, `not valid JSON at line 1, column 1`},
		{`{"subjects": [}`, `not valid JSON at line 1, column 15: invalid character '}'`},
		{"{\n  \"subjects\": [\n    {\"name\": \"A\",}\n  ]\n}", `not valid JSON at line 3, column 18`},
		{`{} {}`, `not valid JSON`},
		{"{\"subjects\":[{\"name\":\"\xff\"}]}", `not valid UTF-8`},
		{`[]`, `must be a JSON object`},
		{`null`, `must be a JSON object`},
		{`{"subject":[]}`, `unknown field "subject" (want "subjects")`},
		{`{"Subjects":[]}`, `unknown field "Subjects"`},
		{`{"subjects":[],"subjects":[]}`, `"subjects" appears more than once`},
		{`{"subjects":{}}`, `subjects: must be a JSON array`},
		{`{"subjects":"EventAdded"}`, `subjects: must be a JSON array`},
		{entry(`1`), `subjects[0]: must be a JSON object`},
		{entry(`null`), `subjects[0]: must be a JSON object`},
		{entry(ok + `,[]`), `subjects[1]: must be a JSON object`},
		{entry(`{"Name":"A","endpoint":"events","shape":"data"}`), `subjects[0]: unknown field "Name" (want one of name, endpoint, shape, ids, replace)`},
		{entry(`{"name":"A","endpoint":"events","shape":"data","extra":1}`), `subjects[0]: unknown field "extra"`},
		{entry(`{"name":"A","name":"B","endpoint":"events","shape":"data"}`), `subjects[0]: "name" appears more than once`},
		{entry(`{"endpoint":"events","shape":"data"}`), `subjects[0].name: is required`},
		{entry(`{"name":"A","shape":"data"}`), `subjects[0].endpoint: is required`},
		{entry(`{"name":"A","endpoint":"events"}`), `subjects[0].shape: is required`},
		{entry(`{"name":5,"endpoint":"events","shape":"data"}`), `subjects[0].name: must be a string`},
		{entry(`{"name":null,"endpoint":"events","shape":"data"}`), `subjects[0].name: must be a string`},
		{entry(`{"name":"A","endpoint":["events"],"shape":"data"}`), `subjects[0].endpoint: must be a string`},
		{entry(`{"name":"eventAdded","endpoint":"events","shape":"data"}`), `subjects[0].name: "eventAdded" is not a valid subject name (must match ^[A-Z][A-Za-z0-9]{0,99}$)`},
		{entry(`{"name":"","endpoint":"events","shape":"data"}`), `subjects[0].name: "" is not a valid subject name`},
		{entry(`{"name":"Event Added","endpoint":"events","shape":"data"}`), `is not a valid subject name`},
		{entry(`{"name":"Event_Added","endpoint":"events","shape":"data"}`), `is not a valid subject name`},
		{entry(`{"name":"Évent","endpoint":"events","shape":"data"}`), `is not a valid subject name`},
		{entry(`{"name":"A` + strings.Repeat("b", 100) + `","endpoint":"events","shape":"data"}`), `is not a valid subject name`},
		{entry(`{"name":"A","endpoint":"event","shape":"data"}`), `subjects[0].endpoint: unknown endpoint "event" (want one of events, venues, payments, crm, contacts, companies, ari)`},
		{entry(`{"name":"A","endpoint":"Events","shape":"data"}`), `unknown endpoint "Events"`},
		{entry(`{"name":"A","endpoint":"eventsEndpoint","shape":"data"}`), `unknown endpoint "eventsEndpoint"`},
		{entry(`{"name":"A","endpoint":"events","shape":"Data"}`), `subjects[0].shape: unknown shape "Data" (want one of data, dataWithPrevious, dataArray, ids)`},
		{entry(`{"name":"A","endpoint":"events","shape":"data","ids":["x"]}`), `subjects[0].ids: is only allowed with shape "ids"`},
		{entry(`{"name":"A","endpoint":"events","shape":"data","ids":[]}`), `subjects[0].ids: is only allowed with shape "ids"`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids"}`), `subjects[0].ids: is required with shape "ids"`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids","ids":null}`), `subjects[0].ids: is required with shape "ids"`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids","ids":[]}`), `subjects[0].ids: must list 1 to 64 fields`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids","ids":"eventId"}`), `subjects[0].ids: must be a JSON array of strings`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids","ids":["eventId",1]}`), `subjects[0].ids[1]: must be a field name matching`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids","ids":[null]}`), `subjects[0].ids[0]: must be a field name`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids","ids":["event id"]}`), `subjects[0].ids[0]: must be a field name`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids","ids":[""]}`), `subjects[0].ids[0]: must be a field name`},
		{entry(`{"name":"A","endpoint":"events","shape":"ids","ids":["eventId","eventId"]}`), `subjects[0].ids[1]: "eventId" is listed twice`},
		{entry(`{"name":"A","endpoint":"events","shape":"data","replace":"yes"}`), `subjects[0].replace: must be true or false`},
		{entry(`{"name":"CompanyAdded","endpoint":"companies","shape":"data"}`), `subjects[0].name: "CompanyAdded" is already in the catalog; set "replace": true to redefine it`},
		{entry(`{"name":"CompanyAdded","endpoint":"companies","shape":"data","replace":false}`), `is already in the catalog`},
		{entry(`{"name":"EventGone","endpoint":"events","shape":"data","replace":true}`), `subjects[0].replace: is true but "EventGone" is not in the catalog`},
		{entry(ok + `,` + ok), `subjects[1].name: "EventAdded" is already defined by subjects[0]`},
		{entry(`{"name":"CompanyAdded","endpoint":"companies","shape":"data","replace":true},{"name":"CompanyAdded","endpoint":"companies","shape":"data","replace":true}`), `subjects[1].name: "CompanyAdded" is already defined by subjects[0]`},
		{entry(`{"name":"Companyadded","endpoint":"companies","shape":"data"}`), `subjects[0].name: "Companyadded" differs only in case from subject "CompanyAdded"`},
		{entry(`{"name":"FooBar","endpoint":"events","shape":"data"},{"name":"Foobar","endpoint":"events","shape":"data"}`), `subjects[1].name: "Foobar" differs only in case from subject "FooBar"`},
	}
	for _, tc := range cases {
		c, err := catalog.ParseFile([]byte(tc.data), catalog.Default())
		require.Nil(t, c, tc.data)
		require.Error(t, err, tc.data)
		require.True(t, strings.HasPrefix(err.Error(), "catalog file: "), err.Error())
		require.Contains(t, err.Error(), tc.want, tc.data)
	}
}

func TestParseFileLongNameIsClipped(t *testing.T) {
	long := strings.Repeat("a", 10000)
	_, err := catalog.ParseFile([]byte(`{"subjects":[{"name":"`+long+`","endpoint":"events","shape":"data"}]}`), nil)
	require.Error(t, err)
	require.Less(t, len(err.Error()), 300)
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.json")
	require.NoError(t, os.WriteFile(path, []byte(briefFile), 0o600))
	c, err := catalog.LoadFile(path, catalog.Default())
	require.NoError(t, err)
	_, ok := c.Subject("CompanyMerged")
	require.True(t, ok)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"subjects":[{"name":"x"}]}`), 0o600))
	_, err = catalog.LoadFile(bad, catalog.Default())
	require.EqualError(t, err, "catalog file "+bad+`: subjects[0].name: "x" is not a valid subject name (must match ^[A-Z][A-Za-z0-9]{0,99}$)`)

	_, err = catalog.LoadFile(filepath.Join(dir, "missing.json"), catalog.Default())
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Contains(t, err.Error(), "missing.json")

	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, []byte(`{"subjects":[]}`+strings.Repeat(" ", 4<<20)), 0o600))
	_, err = catalog.LoadFile(big, catalog.Default())
	require.ErrorContains(t, err, "larger than")
}
