package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Catalog is a set of subjects, looked up by exact, case-sensitive name. A
// Catalog is immutable once built, so it is safe for concurrent use; a nil
// *Catalog is an empty catalog.
type Catalog struct {
	list   []Subject      // in endpoint order, then in definition order
	byName map[string]int // index into list
	folded map[string]string
}

// ErrUnknownSubject is wrapped by the error Validate returns for a subject
// that is not in the catalog.
var ErrUnknownSubject = errors.New("unknown subject")

// UnknownSubjectError reports a subject name that is not in the catalog. It
// wraps ErrUnknownSubject.
type UnknownSubjectError struct {
	// Name is the name that was looked up.
	Name string
	// Suggestion is the catalog subject that matches Name when case and
	// surrounding space are ignored, or "".
	Suggestion string
}

// Error returns e.g. `unknown subject "companyadded" (did you mean
// "CompanyAdded"?)`. Long names are shortened.
func (e *UnknownSubjectError) Error() string {
	msg := fmt.Sprintf("%s %q", ErrUnknownSubject, clip(e.Name))
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg
}

// Unwrap returns ErrUnknownSubject.
func (e *UnknownSubjectError) Unwrap() error { return ErrUnknownSubject }

// defaultCatalog builds the SPEC catalog once.
var defaultCatalog = sync.OnceValue(func() *Catalog { return newCatalog(builtin()) })

// Default returns the catalog of SPEC §5. It is shared; being immutable,
// it needs no copying.
func Default() *Catalog { return defaultCatalog() }

// newCatalog builds a catalog of subjects, which must be valid and have
// distinct names; it takes ownership of the slice.
func newCatalog(subjects []Subject) *Catalog {
	slices.SortStableFunc(subjects, func(a, b Subject) int {
		return int(a.Endpoint) - int(b.Endpoint)
	})
	c := &Catalog{
		list:   subjects,
		byName: make(map[string]int, len(subjects)),
		folded: make(map[string]string, len(subjects)),
	}
	for i, s := range subjects {
		c.byName[s.Name] = i
		if _, ok := c.folded[fold(s.Name)]; !ok {
			c.folded[fold(s.Name)] = s.Name
		}
	}
	return c
}

// Subject returns the subject named name; the match is exact and
// case-sensitive.
func (c *Catalog) Subject(name string) (Subject, bool) {
	if c == nil {
		return Subject{}, false
	}
	i, ok := c.byName[name]
	if !ok {
		return Subject{}, false
	}
	return c.list[i].clone(), true
}

// Subjects returns every subject in a stable order: by endpoint (in the
// order of Endpoints), then as listed in SPEC §5, then as added by catalog
// files. The caller owns the returned slice.
func (c *Catalog) Subjects() []Subject {
	if c == nil {
		return nil
	}
	out := make([]Subject, len(c.list))
	for i, s := range c.list {
		out[i] = s.clone()
	}
	return out
}

// SubjectsFor returns the subjects of endpoint e in catalog order; none for
// an endpoint without subjects, such as Events in the default catalog.
func (c *Catalog) SubjectsFor(e Endpoint) []Subject {
	var out []Subject
	if c == nil {
		return out
	}
	for _, s := range c.list {
		if s.Endpoint == e {
			out = append(out, s.clone())
		}
	}
	return out
}

// Validate checks that subject is in the catalog and that body has its
// shape. An unknown subject gives an *UnknownSubjectError (wrapping
// ErrUnknownSubject); a bad body gives a *BodyError.
func (c *Catalog) Validate(subject string, body []byte) error {
	s, ok := c.Subject(subject)
	if !ok {
		return &UnknownSubjectError{Name: subject, Suggestion: c.suggest(subject)}
	}
	return s.Validate(body)
}

// suggest returns the catalog subject name most likely meant by name: the
// one equal to it when case and spaces are ignored, else the nearest within
// a typo or two (see nearest), or "".
func (c *Catalog) suggest(name string) string {
	if c == nil {
		return ""
	}
	key := fold(name)
	if s, ok := c.folded[key]; ok {
		return s
	}
	return c.nearest(key)
}

// fold is a name with case and spaces ignored.
func fold(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), ""))
}

// maxEcho is the most bytes of a user-supplied name repeated in an error.
const maxEcho = 100

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	return strings.ToValidUTF8(s[:maxEcho], "") + "…"
}
