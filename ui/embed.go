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
	MsgPlay   = "otplay:play"   // parent -> page: press Play
	MsgPause  = "otplay:pause"  // parent -> page: press Pause
	MsgStep   = "otplay:step"   // parent -> page: press Step (one frame); also the page's event after each new frame
	MsgReset  = "otplay:reset"  // parent -> page: press Reset
	MsgResult = "otplay:result" // page -> parent: a result (every published frame)
	MsgError  = "otplay:error"  // page -> parent: a refused message, or a run that failed
	// Events the page posts to its parent, each with page and result:
	MsgReady     = "otplay:ready"     // the first result after the page (or a new state) loaded
	MsgConverged = "otplay:converged" // the run converged or finished (once per state)
	MsgHeight    = "otplay:height"    // the view's content height in CSS pixels, on every change
)

// Embed-only URL parameters: they are not part of a page's state (Decode
// ignores them) and ApplyState carries them over.
const (
	// ParamAutoplay = "1" presses Play once the first result is in.
	ParamAutoplay = "autoplay"
	// ParamView = "<view id>" ("ot-plan", "ot-chart", ...) shows that view
	// alone (the ids are the data-view attributes of the page's views).
	ParamView = "view"
)

// embedParams are the embed-only parameters.
var embedParams = []string{ParamAutoplay, ParamView}

// ValidViewID reports whether id can name a view (lower-case letters,
// digits and dashes), which keeps it safe to put in a CSS selector.
func ValidViewID(id string) bool {
	if id == "" || len(id) > 40 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// ActionButton is the id of the button a play, pause, step or reset
// message presses ("" for other messages).
func ActionButton(msgType string) string {
	switch msgType {
	case MsgPlay:
		return "play"
	case MsgPause:
		return "pause"
	case MsgStep:
		return "step"
	case MsgReset:
		return "reset"
	}
	return ""
}

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
	// The embed-only parameters: kept from the current URL, changed by the
	// message where it names them.
	cur, _ := url.ParseQuery(strings.TrimPrefix(currentQuery, "?"))
	extra := url.Values{}
	for _, k := range embedParams {
		if v := cur.Get(k); v != "" {
			extra.Set(k, v)
		}
		if vs, ok := values[k]; ok {
			extra.Set(k, vs[len(vs)-1])
			values = cloneWithout(values, k)
		}
	}
	if v := extra.Get(ParamView); v != "" && !ValidViewID(v) {
		return "", fmt.Errorf("%s = %q: want a view id such as ot-plan", ParamView, v)
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
	u := PageURL(path, st)
	if len(extra) > 0 {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + extra.Encode()
	}
	return u, nil
}

func cloneWithout(v url.Values, key string) url.Values {
	out := url.Values{}
	for k, x := range v {
		if k != key {
			out[k] = x
		}
	}
	return out
}
