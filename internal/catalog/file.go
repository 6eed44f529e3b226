package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxFileSize is the largest catalog file LoadFile reads.
const maxFileSize = 4 << 20

// maxEntryFields is the most members an "ids" entry may list.
const maxEntryFields = 64

var (
	// subjectNameRE is the form of a subject name defined in a file.
	subjectNameRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,99}$`)
	// fieldNameRE is the form of a member listed in an entry's "ids".
	fieldNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,99}$`)
	// entryKeys are the members an entry may have.
	entryKeys = []string{"name", "endpoint", "shape", "ids", "replace"}
)

// LoadFile reads the catalog file at path (format in the package
// documentation) and returns a new catalog: base plus the file's subjects.
// base is not modified; a nil base is an empty catalog. Errors name the file
// and, for a bad entry, its index and field.
func LoadFile(path string, base *Catalog) (*Catalog, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("catalog file %s: %w", path, err)
	}
	c, err := parseFile(data, base)
	if err != nil {
		return nil, fmt.Errorf("catalog file %s: %w", path, err)
	}
	return c, nil
}

// ParseFile is LoadFile for the contents of a catalog file.
func ParseFile(data []byte, base *Catalog) (*Catalog, error) {
	c, err := parseFile(data, base)
	if err != nil {
		return nil, fmt.Errorf("catalog file: %w", err)
	}
	return c, nil
}

// readLimited reads the file at path, refusing one over maxFileSize.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxFileSize)
	}
	return data, nil
}

// fileEntry is one decoded entry of a catalog file.
type fileEntry struct {
	subject Subject
	replace bool
}

// parseFile decodes data and merges its entries into base.
func parseFile(data []byte, base *Catalog) (*Catalog, error) {
	raws, err := decodeTop(data)
	if err != nil {
		return nil, err
	}
	entries := make([]fileEntry, len(raws))
	for i, raw := range raws {
		if entries[i], err = decodeEntry(i, raw); err != nil {
			return nil, err
		}
	}
	return merge(base, entries)
}

// decodeTop checks that data is a JSON object with at most a "subjects"
// member, and returns that member's entries.
func decodeTop(data []byte) ([]json.RawMessage, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not valid UTF-8")
	}
	if err := fileSyntaxError(data); err != nil {
		return nil, err
	}
	if firstByte(data) != '{' {
		return nil, errors.New("must be a JSON object")
	}
	m, dup, err := objectMembers(data)
	if err != nil {
		return nil, err
	}
	if dup != "" {
		return nil, fmt.Errorf("%q appears more than once", clip(dup))
	}
	for key := range m {
		if key != "subjects" {
			return nil, fmt.Errorf("unknown field %q (want \"subjects\")", clip(key))
		}
	}
	var raws []json.RawMessage
	if raw, ok := m["subjects"]; ok && firstByte(raw) != 'n' {
		if firstByte(raw) != '[' || json.Unmarshal(raw, &raws) != nil {
			return nil, errors.New("subjects: must be a JSON array")
		}
	}
	return raws, nil
}

// fileSyntaxError returns nil when data is one valid JSON value, and
// otherwise an error giving the line and column of the fault.
func fileSyntaxError(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var raw json.RawMessage
	err := json.Unmarshal(data, &raw)
	se, ok := errors.AsType[*json.SyntaxError](err)
	if !ok {
		return errors.New("not valid JSON")
	}
	before := data[:min(max(se.Offset-1, 0), int64(len(data)))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Errorf("not valid JSON at line %d, column %d: %v", line, col, se)
}

// entryError returns an error about member field of entry i; field "" means
// the entry as a whole.
func entryError(i int, field, format string, args ...any) error {
	where := fmt.Sprintf("subjects[%d]", i)
	if field != "" {
		where += "." + field
	}
	return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

// decodeEntry decodes and checks entry i of a catalog file.
func decodeEntry(i int, raw json.RawMessage) (fileEntry, error) {
	m, err := entryMembers(i, raw)
	if err != nil {
		return fileEntry{}, err
	}
	var e fileEntry
	if e.subject.Name, err = entryName(i, m); err != nil {
		return fileEntry{}, err
	}
	if e.subject.Endpoint, err = entryEndpoint(i, m); err != nil {
		return fileEntry{}, err
	}
	if e.subject.Shape, err = entryShape(i, m); err != nil {
		return fileEntry{}, err
	}
	if e.subject.Fields, err = entryFields(i, m, e.subject.Shape); err != nil {
		return fileEntry{}, err
	}
	if raw, ok := m["replace"]; ok && firstByte(raw) != 'n' {
		if err := json.Unmarshal(raw, &e.replace); err != nil {
			return fileEntry{}, entryError(i, "replace", "must be true or false")
		}
	}
	return e, nil
}

// entryMembers returns the members of entry i, rejecting a non-object,
// duplicate members and unknown members.
func entryMembers(i int, raw json.RawMessage) (map[string]json.RawMessage, error) {
	if firstByte(raw) != '{' {
		return nil, entryError(i, "", "must be a JSON object")
	}
	m, dup, err := objectMembers(raw)
	if err != nil {
		return nil, entryError(i, "", "%v", err)
	}
	if dup != "" {
		return nil, entryError(i, "", "%q appears more than once", clip(dup))
	}
	for key := range m {
		if !slices.Contains(entryKeys, key) {
			return nil, entryError(i, "", "unknown field %q (want one of %s)",
				clip(key), strings.Join(entryKeys, ", "))
		}
	}
	return m, nil
}

// entryString returns the required string member key of entry i.
func entryString(i int, m map[string]json.RawMessage, key string) (string, error) {
	raw, ok := m[key]
	if !ok {
		return "", entryError(i, key, "is required")
	}
	var s string
	if firstByte(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		return "", entryError(i, key, "must be a string")
	}
	return s, nil
}

// entryName returns the checked "name" of entry i.
func entryName(i int, m map[string]json.RawMessage) (string, error) {
	name, err := entryString(i, m, "name")
	if err == nil && !subjectNameRE.MatchString(name) {
		err = entryError(i, "name", "%q is not a valid subject name (must match %s)",
			clip(name), subjectNameRE)
	}
	return name, err
}

// entryEndpoint returns the "endpoint" of entry i.
func entryEndpoint(i int, m map[string]json.RawMessage) (Endpoint, error) {
	name, err := entryString(i, m, "endpoint")
	if err != nil {
		return 0, err
	}
	e, ok := EndpointByName(name)
	if !ok {
		return 0, entryError(i, "endpoint", "unknown endpoint %q (want one of %s)",
			clip(name), endpointNames())
	}
	return e, nil
}

// entryShape returns the "shape" of entry i.
func entryShape(i int, m map[string]json.RawMessage) (Shape, error) {
	name, err := entryString(i, m, "shape")
	if err != nil {
		return 0, err
	}
	s, ok := ParseShape(name)
	if !ok {
		return 0, entryError(i, "shape", "unknown shape %q (want one of %s)",
			clip(name), strings.Join(shapeNames[1:], ", "))
	}
	return s, nil
}

// entryFields returns the checked "ids" of entry i: required, non-empty and
// distinct for shape ids, absent otherwise.
func entryFields(i int, m map[string]json.RawMessage, shape Shape) ([]string, error) {
	raw, ok := m["ids"]
	if shape != ShapeIDs {
		if ok && firstByte(raw) != 'n' {
			return nil, entryError(i, "ids", "is only allowed with shape \"ids\"")
		}
		return nil, nil
	}
	if !ok || firstByte(raw) == 'n' {
		return nil, entryError(i, "ids", "is required with shape \"ids\"")
	}
	var items []json.RawMessage
	if firstByte(raw) != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, entryError(i, "ids", "must be a JSON array of strings")
	}
	if len(items) == 0 || len(items) > maxEntryFields {
		return nil, entryError(i, "ids", "must list 1 to %d fields", maxEntryFields)
	}
	fields := make([]string, len(items))
	for j, item := range items {
		var f string
		if firstByte(item) != '"' || json.Unmarshal(item, &f) != nil || !fieldNameRE.MatchString(f) {
			return nil, entryError(i, fmt.Sprintf("ids[%d]", j),
				"must be a field name matching %s", fieldNameRE)
		}
		if slices.Contains(fields[:j], f) {
			return nil, entryError(i, fmt.Sprintf("ids[%d]", j), "%q is listed twice", f)
		}
		fields[j] = f
	}
	return fields, nil
}
