package ui

import (
	"fmt"
	"net/url"
	"strings"
)

// Message types of the postMessage API of embedded pages (see the package
// documentation).
const (
	MsgSet    = "otplay:set"    // parent -> page: change the state
	MsgGet    = "otplay:get"    // parent -> page: ask for the latest result
	MsgResult = "otplay:result" // page -> parent: a result
	MsgError  = "otplay:error"  // page -> parent: a refused message
)

// ApplyState computes the URL a page navigates to when an otplay:set
// message arrives: the page at path (its own or embed route), its current
// query, and the message's values. Unless replace is set the values are
// merged into the current state. Every key must be a parameter of the
// page and every value valid; the error names each bad one and nothing
// changes.
func ApplyState(path, currentQuery string, values url.Values, replace bool) (string, error) {
	p, ok := Lookup(path)
	if !ok {
		return "", fmt.Errorf("%s is not a playground page", path)
	}
	if err := p.Schema.Validate(values); err != nil {
		return "", fmt.Errorf("%s: %s", p.Path, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	st := p.Schema.Defaults()
	if !replace {
		st, _ = p.Schema.DecodeQuery(currentQuery) // bad current values fall back to defaults
	}
	for k, vs := range values {
		var err error
		if st, err = st.With(k, vs[len(vs)-1]); err != nil {
			return "", err
		}
	}
	return PageURL(path, st), nil
}
