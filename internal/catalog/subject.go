package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Shape is the form of a subject's event body. The zero value is not a
// valid shape.
type Shape uint8

// The body shapes. Every body must be a JSON object; the shape says which
// members it must have. Members beyond those are always allowed.
const (
	// ShapeData is {"data": {…}}: "Added" and "…Generated" subjects. data
	// must be a JSON object.
	ShapeData Shape = iota + 1
	// ShapeDataWithPrevious is {"data": {…}, "previousData": {…}}:
	// "Updated", "Moved" and "Confirmed" subjects. Both members must be
	// JSON objects.
	ShapeDataWithPrevious
	// ShapeDataArray is {"data": [ … ]}: the ari subjects. data must be a
	// JSON array (possibly empty) of any values.
	ShapeDataArray
	// ShapeIDs is an object with the required members listed in
	// Subject.Fields, each checked by its name (see the package
	// documentation): "Deleted" subjects, VenueGuestAnonymised and
	// BookingRoomReservationCancelled ({"bookingStatus", "data"}).
	ShapeIDs
)

// shapeNames holds the name of each shape, indexed by Shape.
var shapeNames = [...]string{"", "data", "dataWithPrevious", "dataArray", "ids"}

// ParseShape returns the shape named name: "data", "dataWithPrevious",
// "dataArray" or "ids". Matching is exact and case-sensitive.
func ParseShape(name string) (Shape, bool) {
	i := slices.Index(shapeNames[:], name)
	if i <= 0 {
		return 0, false
	}
	return Shape(i), true
}

// Valid reports whether s is one of the defined shapes.
func (s Shape) Valid() bool { return s >= ShapeData && s <= ShapeIDs }

// String returns the shape's name as used in catalog files, or "Shape(n)"
// when s is not valid.
func (s Shape) String() string {
	if !s.Valid() {
		return fmt.Sprintf("Shape(%d)", uint8(s))
	}
	return shapeNames[s]
}

// MarshalText encodes s as its name; an invalid shape is an error.
func (s Shape) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("catalog: invalid shape %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// Subject is one notification subject: its name (the Subject of the iVvy
// message), the endpoint whose topic carries it and the shape of its body.
type Subject struct {
	// Name is the subject name, e.g. "CompanyDeleted"; case-sensitive.
	Name string `json:"name"`
	// Endpoint is the endpoint whose subscribers receive the subject.
	Endpoint Endpoint `json:"endpoint"`
	// Shape is the form of the body.
	Shape Shape `json:"shape"`
	// Fields lists the required members of a ShapeIDs body, in order; nil
	// for the other shapes.
	Fields []string `json:"ids,omitempty"`
}

// RequiredFields returns the members a body of s must have, in order:
// ["data"], ["data", "previousData"] or Fields. The caller owns the slice.
func (s Subject) RequiredFields() []string {
	switch s.Shape {
	case ShapeData, ShapeDataArray:
		return []string{"data"}
	case ShapeDataWithPrevious:
		return []string{"data", "previousData"}
	case ShapeIDs:
		return slices.Clone(s.Fields)
	}
	return nil
}

// ExampleBody returns a small body that is valid for s, e.g.
// {"data":{"id":1}}, {"data":{"id":1},"previousData":{"id":1}},
// {"data":[{"id":1}]} or {"companyId":1}. Each call returns a new slice.
func (s Subject) ExampleBody() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range s.RequiredFields() {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(f) // a string always marshals
		b.Write(key)
		b.WriteByte(':')
		b.WriteString(fieldKindOf(s.Shape, f).example())
	}
	b.WriteByte('}')
	return b.Bytes()
}

// clone returns a copy of s that shares no memory with it.
func (s Subject) clone() Subject {
	s.Fields = slices.Clone(s.Fields)
	return s
}

// fieldKind is the rule a required member's value must follow.
type fieldKind uint8

const (
	kindAny    fieldKind = iota // present and non-null
	kindObject                  // a JSON object
	kindArray                   // a JSON array
	kindID                      // an integer or a non-empty string
	kindIDList                  // an array of kindID values
	kindScalar                  // a string or a number
)

// fieldKindOf returns the rule for member name of a body of the given shape.
func fieldKindOf(shape Shape, name string) fieldKind {
	switch {
	case shape == ShapeDataArray && name == "data":
		return kindArray
	case name == "data" || name == "previousData":
		return kindObject
	case strings.HasSuffix(name, "Ids"):
		return kindIDList
	case strings.HasSuffix(name, "Id"):
		return kindID
	case name == "bookingStatus":
		return kindScalar
	}
	return kindAny
}

// example returns a JSON value that follows rule k.
func (k fieldKind) example() string {
	switch k {
	case kindObject:
		return `{"id":1}`
	case kindArray:
		return `[{"id":1}]`
	case kindIDList:
		return `[1]`
	}
	return `1`
}
