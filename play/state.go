package play

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Kind is the type of a URL state parameter.
type Kind int

// Parameter kinds.
const (
	KindInt    Kind = iota // a base-10 integer within [Min, Max]
	KindFloat              // a finite float within [Min, Max] (or (Min, Max] with MinOpen)
	KindChoice             // one of Choices
)

// Param describes one parameter of a page's URL state: its query key, its
// type, its default and the values it accepts. The default is written in
// its canonical text form (as Encode writes it).
type Param struct {
	Name    string // query key, e.g. "eps"
	Help    string // one line for people (tooltips, docs of the embed API)
	Kind    Kind
	Default string
	// Min and Max bound KindInt and KindFloat values, inclusive; MinOpen
	// makes Min exclusive (eps > 0).
	Min, Max float64
	MinOpen  bool
	Choices  []string // the accepted values of a KindChoice
	// Aliases maps old names of a KindChoice's values, still accepted in
	// URLs, to the current ones (Encode writes the current name).
	Aliases map[string]string

	// How the form presents the parameter (see Form). None of these
	// change what the URL accepts.
	//
	// Label is the name people read ("Blur ε"); empty: Name.
	Label string
	// Group names the panel section the control sits in ("Data",
	// "Method", "Display"); parameters of one group are drawn together in
	// the order of their first appearance. Empty: "Settings".
	Group string
	// Advanced puts the control in its group's collapsed "More" part.
	Advanced bool
	// Slider adds a range input beside the text field (KindInt and
	// KindFloat); SliderMin and SliderMax bound it where they differ
	// from Min and Max, and Log makes it move over log10 of the value.
	Slider               bool
	Log                  bool
	SliderMin, SliderMax float64
	// ShownWhen hides the control unless another parameter of the form
	// has one of some values: "method=unbalanced" or "model=gmm|mlp".
	ShownWhen string
	// Math is MathML presentation markup (the inside of a <math>
	// element) typeset beside the control: the formula it sets.
	Math string
}

// DisplayLabel is the label of the parameter's control.
func (p Param) DisplayLabel() string {
	if p.Label != "" {
		return p.Label
	}
	return p.Name
}

// shownWhen parses ShownWhen into the parameter it watches and the values
// that show the control ("" when it is always shown).
func (p Param) shownWhen() (name string, values []string) {
	if p.ShownWhen == "" {
		return "", nil
	}
	name, vals, _ := strings.Cut(p.ShownWhen, "=")
	return name, strings.Split(vals, "|")
}

// Shown reports whether the control of p is shown when the form holds
// values (parameter name to its text).
func (p Param) Shown(values map[string]string) bool {
	name, vals := p.shownWhen()
	return name == "" || slices.Contains(vals, values[name])
}

// Canonical parses text as p's kind and returns its canonical text, or an
// error that names the parameter.
func (p Param) Canonical(text string) (string, error) {
	switch p.Kind {
	case KindInt:
		v, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return "", fmt.Errorf("%s = %q: not an integer", p.Name, text)
		}
		if float64(v) < p.Min || float64(v) > p.Max {
			return "", fmt.Errorf("%s = %d: outside [%g, %g]", p.Name, v, p.Min, p.Max)
		}
		return strconv.FormatInt(v, 10), nil
	case KindFloat:
		v, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return "", fmt.Errorf("%s = %q: not a finite number", p.Name, text)
		}
		lowOK := v >= p.Min
		if p.MinOpen {
			lowOK = v > p.Min
		}
		if !lowOK || v > p.Max {
			lo := "["
			if p.MinOpen {
				lo = "("
			}
			return "", fmt.Errorf("%s = %g: outside %s%g, %g]", p.Name, v, lo, p.Min, p.Max)
		}
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case KindChoice:
		if now, ok := p.Aliases[text]; ok {
			text = now
		}
		if slices.Contains(p.Choices, text) {
			return text, nil
		}
		return "", fmt.Errorf("%s = %q: want one of %s", p.Name, text, strings.Join(p.Choices, ", "))
	}
	return "", fmt.Errorf("%s: unknown parameter kind %d", p.Name, int(p.Kind))
}

// Schema is the list of parameters of a page's URL state, in display order.
type Schema []Param

// Check verifies the schema itself: unique names and defaults that the
// parameters accept. Pages call it from tests.
func (s Schema) Check() error {
	seen := map[string]bool{}
	for _, p := range s {
		if p.Name == "" {
			return errors.New("state schema: a parameter has no name")
		}
		if seen[p.Name] {
			return fmt.Errorf("state schema: parameter %q declared twice", p.Name)
		}
		seen[p.Name] = true
		c, err := p.Canonical(p.Default)
		if err != nil {
			return fmt.Errorf("state schema: default of %w", err)
		}
		if c != p.Default {
			return fmt.Errorf("state schema: default of %s = %q is not canonical (want %q)", p.Name, p.Default, c)
		}
		if p.Slider && p.Kind == KindChoice {
			return fmt.Errorf("state schema: %s is a choice and cannot have a slider", p.Name)
		}
		if p.Log && (p.Min < 0 || p.sliderMinimum() <= 0) {
			return fmt.Errorf("state schema: %s has a log slider but its range starts at %g", p.Name, p.sliderMinimum())
		}
	}
	for _, p := range s {
		name, vals := p.shownWhen()
		if name == "" {
			continue
		}
		q, ok := s.Param(name)
		if !ok || q.Kind != KindChoice {
			return fmt.Errorf("state schema: %s is shown when %q, which is not a choice of the schema", p.Name, name)
		}
		for _, v := range vals {
			if !slices.Contains(q.Choices, v) {
				return fmt.Errorf("state schema: %s is shown when %s = %q, not one of its choices", p.Name, name, v)
			}
		}
	}
	return nil
}

// SliderRange returns the ends of the parameter's slider: SliderMin and
// SliderMax where they differ, else Min and Max.
func (p Param) SliderRange() (lo, hi float64) {
	if p.SliderMin != p.SliderMax {
		return p.SliderMin, p.SliderMax
	}
	return p.Min, p.Max
}

func (p Param) sliderMinimum() float64 { lo, _ := p.SliderRange(); return lo }

// Param returns the parameter called name.
func (s Schema) Param(name string) (Param, bool) {
	for _, p := range s {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// Defaults returns the state holding every default.
func (s Schema) Defaults() State {
	v := make(map[string]string, len(s))
	for _, p := range s {
		v[p.Name] = p.Default
	}
	return State{schema: s, values: v}
}

// Decode reads a state from URL query values. Every parameter that is
// absent takes its default; keys the schema does not know are ignored (so
// that links keep working when a page drops a parameter). A value that does
// not parse or lies out of range keeps the default, and the returned error
// (one line per bad parameter, each naming it) says so: callers show the
// error and go on with the returned, always valid, state.
func (s Schema) Decode(q url.Values) (State, error) {
	st := s.Defaults()
	var errs []error
	for _, p := range s {
		vs, ok := q[p.Name]
		if !ok || len(vs) == 0 {
			continue
		}
		c, err := p.Canonical(vs[len(vs)-1])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st.values[p.Name] = c
	}
	return st, errors.Join(errs...)
}

// DecodeQuery is Decode of a raw query string ("n=512&eps=0.1"; a leading
// "?" is allowed).
func (s Schema) DecodeQuery(raw string) (State, error) {
	q, err := url.ParseQuery(strings.TrimPrefix(raw, "?"))
	if err != nil {
		return s.Defaults(), fmt.Errorf("state: bad query %q: %v", raw, err)
	}
	return s.Decode(q)
}

// Validate reports whether every value in q that the schema knows is
// acceptable; unknown keys are reported too, since a caller that validates
// (the embed API, a test) wants to hear about typos.
func (s Schema) Validate(q url.Values) error {
	_, err := s.Decode(q)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := s.Param(k); !ok {
			errs = append(errs, fmt.Errorf("%s: unknown parameter", k))
		}
	}
	return errors.Join(errs...)
}

// State is a page's parameter values, all valid under its Schema, held in
// canonical text form. The zero State is empty; get one from a Schema.
type State struct {
	schema Schema
	values map[string]string
}

// Schema returns the schema the state was decoded with.
func (st State) Schema() Schema { return st.schema }

// String returns the canonical text of parameter name ("" if unknown).
func (st State) String(name string) string { return st.values[name] }

// Int returns parameter name as an int (0 if unknown or not an integer).
func (st State) Int(name string) int {
	v, _ := strconv.Atoi(st.values[name])
	return v
}

// Float returns parameter name as a float64 (0 if unknown).
func (st State) Float(name string) float64 {
	v, _ := strconv.ParseFloat(st.values[name], 64)
	return v
}

// With returns a copy of st with parameter name set to value, or an error
// naming the parameter if the schema does not accept it.
func (st State) With(name, value string) (State, error) {
	p, ok := st.schema.Param(name)
	if !ok {
		return st, fmt.Errorf("%s: unknown parameter", name)
	}
	c, err := p.Canonical(value)
	if err != nil {
		return st, err
	}
	v := make(map[string]string, len(st.values))
	for k, x := range st.values {
		v[k] = x
	}
	v[name] = c
	return State{schema: st.schema, values: v}, nil
}

// Values returns the state as URL query values, leaving out parameters at
// their default so that links stay short.
func (st State) Values() url.Values {
	q := url.Values{}
	for _, p := range st.schema {
		if v := st.values[p.Name]; v != p.Default {
			q.Set(p.Name, v)
		}
	}
	return q
}

// Encode returns the canonical query string of the state (keys sorted,
// defaults left out, no leading "?"): equal states encode equally, and
// Decode(Encode(st)) == st.
func (st State) Encode() string { return st.Values().Encode() }

// Make returns the state holding values (parameter name to text; absent
// parameters keep their default), or an error naming each unknown
// parameter and each value the schema does not accept. A page's typed
// state encodes itself with it.
func (s Schema) Make(values map[string]string) (State, error) {
	st := s.Defaults()
	var errs []error
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, ok := s.Param(k)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown parameter", k))
			continue
		}
		c, err := p.Canonical(values[k])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st.values[k] = c
	}
	if len(errs) > 0 {
		return s.Defaults(), errors.Join(errs...)
	}
	return st, nil
}

// FormatFloat is the canonical text of a KindFloat value.
func FormatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
