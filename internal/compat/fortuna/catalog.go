package fortuna

import (
	"slices"
	"strings"
)

// category is one row of the vendor's category table with its operations,
// spelt exactly as the vendor publishes them: that spelling is what the API
// filters on and echoes.
type category struct {
	Name       string
	Operations []string
}

// catalog is the vendor's category/operation table. Operation names are
// unique across categories, so an operation alone names its category.
var catalog = []category{
	{"Identity", []string{"start", "result"}},
	{"Cpr", []string{"lookup", "validate"}},
	{"Pep", []string{"check", "check_bulk"}},
	{"Rofus", []string{"gambler_check", "csrp_check", "commercial_check_bulk", "evaluation"}},
	{"Safe", []string{"session", "jackpot", "end_of_day"}},
	{"Other", nil},
}

// lookupCategory finds a category by name, ignoring case.
func lookupCategory(name string) (category, bool) {
	for _, c := range catalog {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return category{}, false
}

// lookupOperation finds an operation by name, ignoring case, and returns
// its canonical spelling and the category it belongs to.
func lookupOperation(name string) (op string, c category, ok bool) {
	for _, c := range catalog {
		for _, o := range c.Operations {
			if strings.EqualFold(o, name) {
				return o, c, true
			}
		}
	}
	return "", category{}, false
}

// categoryNames lists the categories for error messages.
func categoryNames() string {
	names := make([]string, len(catalog))
	for i, c := range catalog {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// spellings is what a filter on the canonical value v matches in the store.
// The store compares exactly; writers that did not copy the vendor's casing
// most often wrote all lower or all upper case, so those are matched too.
// Other mixed casings are not (see docs/compat/fortuna.md).
func spellings(v string) []string {
	out := []string{v}
	for _, s := range []string{strings.ToLower(v), strings.ToUpper(v)} {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// canonicalCategory is a stored category as the API echoes it: the table's
// spelling when it names a row, else unchanged.
func canonicalCategory(stored string) string {
	if c, ok := lookupCategory(stored); ok {
		return c.Name
	}
	return stored
}

// canonicalOperation is a stored action as the API echoes it: the table's
// spelling when it names an operation of the stored category, else
// unchanged, so that another client's actions ("START" of some other
// system) are not rewritten.
func canonicalOperation(storedCategory, stored string) string {
	if op, c, ok := lookupOperation(stored); ok && strings.EqualFold(c.Name, storedCategory) {
		return op
	}
	return stored
}
