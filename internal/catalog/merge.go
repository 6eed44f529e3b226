package catalog

import (
	"slices"
	"strings"
)

// merger adds catalog-file entries to a copy of a base catalog.
type merger struct {
	list    []Subject
	index   map[string]int    // subject name → index in list
	folded  map[string]string // lowercased name → name
	defined map[string]int    // subject name → file entry that defined it
}

// merge returns a new catalog of base's subjects and entries.
func merge(base *Catalog, entries []fileEntry) (*Catalog, error) {
	m := merger{
		list:    base.Subjects(),
		index:   make(map[string]int),
		folded:  make(map[string]string),
		defined: make(map[string]int),
	}
	for i, s := range m.list {
		m.index[s.Name] = i
		m.folded[strings.ToLower(s.Name)] = s.Name
	}
	for i, e := range entries {
		if err := m.add(i, e); err != nil {
			return nil, err
		}
	}
	return newCatalog(m.list), nil
}

// add places entry i: a new subject is appended; a replacement overwrites
// the subject of the same name, or is appended in its stead when it moves
// to another endpoint.
func (m *merger) add(i int, e fileEntry) error {
	name := e.subject.Name
	if j, ok := m.defined[name]; ok {
		return entryError(i, "name", "%q is already defined by subjects[%d]", name, j)
	}
	m.defined[name] = i
	if j, ok := m.index[name]; ok {
		if !e.replace {
			return entryError(i, "name",
				"%q is already in the catalog; set \"replace\": true to redefine it", name)
		}
		if m.list[j].Endpoint == e.subject.Endpoint {
			m.list[j] = e.subject
			return nil
		}
		m.remove(j)
	} else if e.replace {
		return entryError(i, "replace", "is true but %q is not in the catalog", name)
	} else if other, ok := m.folded[strings.ToLower(name)]; ok {
		return entryError(i, "name", "%q differs only in case from subject %q", name, other)
	}
	m.index[name] = len(m.list)
	m.folded[strings.ToLower(name)] = name
	m.list = append(m.list, e.subject)
	return nil
}

// remove deletes list[j] and re-indexes the subjects after it.
func (m *merger) remove(j int) {
	m.list = slices.Delete(m.list, j, j+1)
	for k := j; k < len(m.list); k++ {
		m.index[m.list[k].Name] = k
	}
}
