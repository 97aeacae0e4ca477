package profiles

import (
	"fmt"
	"slices"
	"strings"
)

// AddFile adds the profiles of a user's file, named name, whose contents are
// data (the caller reads it, within a size limit), in the schema of the
// built-in ones ({"profiles": [...]}), with the same validation. A user profile
// may include built-in profiles; it may not reuse their slugs, names or
// aliases. On error the catalogue is unchanged and the error names file and
// line.
func (c *Catalog) AddFile(name string, data []byte) error {
	ps, err := parseCatalogFile(name, data)
	if err != nil {
		return err
	}
	return c.add(ps)
}

// UnknownError is returned by Lookup for a name that matches no profile.
type UnknownError struct {
	Name    string
	Similar []*Profile // closest profiles first; may be empty
}

// Error names the unknown profile and suggests the similar ones.
func (e *UnknownError) Error() string {
	msg := fmt.Sprintf("unknown profile %q", e.Name)
	if len(e.Similar) == 0 {
		return msg + " (portreach profiles lists them)"
	}
	var s []string
	for _, p := range e.Similar {
		s = append(s, fmt.Sprintf("%s (%s)", p.Slug, p.Name))
	}
	return msg + "; did you mean " + strings.Join(s, ", ") + "?"
}

// Lookup finds a profile by slug, display name or alias, ignoring case and
// surrounding spaces. For an unknown name it returns an *UnknownError listing up
// to three similar profiles.
func (c *Catalog) Lookup(name string) (*Profile, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if p := c.byName[key]; p != nil {
		return p, nil
	}
	return nil, &UnknownError{Name: name, Similar: c.similar(key, 3)}
}

// similar ranks profiles by how close one of their names is to key: names within
// an edit distance of a third of the key's length (at least 2), and names that
// contain the key or are contained in it, scored by how much is missing. Ties
// keep slug order.
func (c *Catalog) similar(key string, n int) []*Profile {
	if key == "" {
		return nil
	}
	type cand struct {
		p *Profile
		d int
	}
	var cands []cand
	for _, p := range c.profiles {
		best, ok := -1, false
		for _, name := range append([]string{p.Slug, p.Name}, p.Aliases...) {
			name = strings.ToLower(name)
			d := editDistance(key, name)
			if d <= max(2, len(key)/3) {
				ok = true
			}
			if len(key) >= 3 && (strings.Contains(name, key) || strings.Contains(key, name)) {
				// A part of a name: as good as a typo or two, depending on how much is missing.
				d = min(d, 1+abs(len(name)-len(key))/8)
				ok = true
			}
			if best < 0 || d < best {
				best = d
			}
		}
		if ok {
			cands = append(cands, cand{p, best})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return a.d - b.d })
	var out []*Profile
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].p)
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Search returns the profiles, in slug order, where word occurs (ignoring case) in
// the slug, name, an alias, the description, product or version, or in the service
// of one of the profile's own entries. An empty word matches every profile.
func (c *Catalog) Search(word string) []*Profile {
	w := strings.ToLower(strings.TrimSpace(word))
	var out []*Profile
	for _, p := range c.profiles {
		hay := append([]string{p.Slug, p.Name, p.Description, p.Product, p.Version}, p.Aliases...)
		hay = append(hay, p.Platforms...)
		for i := range p.Entries {
			hay = append(hay, p.Entries[i].Service)
		}
		if slices.ContainsFunc(hay, func(h string) bool { return strings.Contains(strings.ToLower(h), w) }) {
			out = append(out, p)
		}
	}
	return out
}

func sortStrings(s []string) { slices.Sort(s) }
