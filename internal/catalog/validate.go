package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// BodyError reports an event body that does not have the shape its subject
// requires. The API layer answers it with 400 and Error() as the reason.
type BodyError struct {
	// Subject is the subject whose body was checked.
	Subject string
	// Field is the top-level member at fault, or "" when the body as a whole
	// is wrong (not UTF-8, not JSON, not an object).
	Field string
	// Reason says what is wrong, e.g. "is required" or "must be a JSON
	// object".
	Reason string
}

// Error returns e.g. `body of CompanyDeleted: "companyId" is required` or
// `body of CompanyDeleted: must be a JSON object`.
func (e *BodyError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("body of %s: %s", e.Subject, e.Reason)
	}
	return fmt.Sprintf("body of %s: %q %s", e.Subject, e.Field, e.Reason)
}

// Reasons used in BodyError.
const (
	reasonRequired  = "is required"
	reasonObject    = "must be a JSON object"
	reasonArray     = "must be a JSON array"
	reasonID        = "must be an integer or a non-empty string"
	reasonIDRange   = "is out of range for a 64-bit integer"
	reasonIDList    = "must be a JSON array of integers or non-empty strings"
	reasonScalar    = "must be a string or a number"
	reasonNotNull   = "must not be null"
	reasonDuplicate = "appears more than once"
)

// Validate checks body against s: it must be valid UTF-8 JSON, a single
// object, with no duplicate member names, and with every required member
// present and following its rule. Members beyond the required ones are
// allowed. The error, if any, is a *BodyError.
func (s Subject) Validate(body []byte) error {
	members, err := s.members(body)
	if err != nil {
		return err
	}
	for _, f := range s.RequiredFields() {
		raw, ok := members[f]
		if !ok {
			return s.bodyError(f, reasonRequired)
		}
		if reason := fieldKindOf(s.Shape, f).check(raw); reason != "" {
			return s.bodyError(f, reason)
		}
	}
	return nil
}

// bodyError returns a *BodyError for s.
func (s Subject) bodyError(field, reason string) *BodyError {
	return &BodyError{Subject: s.Name, Field: field, Reason: reason}
}

// members parses body as a JSON object and returns its members by name.
func (s Subject) members(body []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(body) {
		return nil, s.bodyError("", "is not valid UTF-8")
	}
	if err := syntaxError(body); err != nil {
		return nil, s.bodyError("", "is not valid JSON: "+err.Error())
	}
	if firstByte(body) != '{' {
		return nil, s.bodyError("", reasonObject)
	}
	members, dup, err := objectMembers(body)
	if err != nil {
		return nil, s.bodyError("", "is not valid JSON: "+err.Error())
	}
	if dup != "" {
		return nil, s.bodyError(dup, reasonDuplicate)
	}
	return members, nil
}

// syntaxError returns nil when data is exactly one valid JSON value, and
// otherwise an error that says what is wrong and at which byte offset.
func syntaxError(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("%w (at byte offset %d)", se, se.Offset)
	}
	if err == nil {
		err = errors.New("invalid JSON")
	}
	return err
}

// objectMembers decodes the top level of data, which must be a valid JSON
// object, into its members. dup names the first member that appears more
// than once, if any.
func objectMembers(data []byte) (m map[string]json.RawMessage, dup string, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, "", err
	}
	m = make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, "", err
		}
		key, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, "", err
		}
		if _, seen := m[key]; seen && dup == "" {
			dup = key
		}
		m[key] = raw
	}
	return m, dup, nil
}

// firstByte returns the first non-whitespace byte of data, or 0.
func firstByte(data []byte) byte {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 {
		return 0
	}
	return data[0]
}

// check returns "" when raw, a valid JSON value, follows rule k, and
// otherwise the reason it does not.
func (k fieldKind) check(raw json.RawMessage) string {
	switch k {
	case kindObject:
		return unless(firstByte(raw) == '{', reasonObject)
	case kindArray:
		return unless(firstByte(raw) == '[', reasonArray)
	case kindID:
		return idReason(raw)
	case kindIDList:
		return idListReason(raw)
	case kindScalar:
		c := firstByte(raw)
		return unless(c == '"' || c == '-' || (c >= '0' && c <= '9'), reasonScalar)
	}
	return unless(firstByte(raw) != 'n', reasonNotNull)
}

// unless returns reason when ok is false, and "" otherwise.
func unless(ok bool, reason string) string {
	if ok {
		return ""
	}
	return reason
}

// idReason checks an id value: an integer that fits in 64 bits or a
// non-empty string.
func idReason(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch c := firstByte(raw); {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return reasonID
		}
		return ""
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := strconv.ParseInt(string(raw), 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return reasonIDRange
		}
		return unless(err == nil, reasonID)
	}
	return reasonID
}

// idListReason checks an array (possibly empty) of id values.
func idListReason(raw json.RawMessage) string {
	var items []json.RawMessage
	if firstByte(raw) != '[' || json.Unmarshal(raw, &items) != nil {
		return reasonIDList
	}
	for i, item := range items {
		if reason := idReason(item); reason != "" {
			return fmt.Sprintf("element at index %d %s", i, reason)
		}
	}
	return ""
}
