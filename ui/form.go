package ui

import (
	"math"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// paramForm is the one form system of the playground: the editable form
// of a page's URL state, drawn in the side panel. Controls are grouped
// (Param.Group, in the order of first appearance), the basic ones first
// and the advanced ones in a collapsed "More" part of their group; each
// carries its human label (Param.Label), a slider where a range makes
// sense (Param.Slider, Param.Log), the formula it sets typeset with
// MathML (Param.Math) and its one-line explanation (Param.Help). A
// control whose Param.ShownWhen does not hold for the form's current
// values is not drawn (tau only for unbalanced OT). Apply validates the
// whole form into a state and the page navigates to its URL.
type paramForm struct {
	schema Schema
	values map[string]string
	// live applies every change at once (a released slider, a new
	// choice, an edited field), without an Apply button.
	live  bool
	apply app.EventHandler
	// applyID and applyText name the Apply button ("apply", "Apply"
	// when empty).
	applyID, applyText string
}

// newParamForm returns the form of a state. Pages keep one *paramForm
// for their lifetime and refill it with load: go-app keeps the first event
// handler it bound to an element when a later render passes a closure of
// the same code, so the handlers reach the values through this pointer
// and tell the parameters apart by their event scope (the name).
func newParamForm(s Schema, st State) *paramForm {
	f := &paramForm{schema: s, values: map[string]string{}}
	f.load(st)
	return f
}

// load sets every field from st.
func (f *paramForm) load(st State) {
	for _, p := range f.schema {
		f.values[p.Name] = st.String(p.Name)
	}
}

// state validates the form against base; the error names the parameter.
func (f *paramForm) state(base State) (State, error) {
	st := base
	for _, p := range f.schema {
		var err error
		if st, err = st.With(p.Name, f.values[p.Name]); err != nil {
			return base, err
		}
	}
	return st, nil
}

// formGroup is one section of the form.
type formGroup struct {
	name            string
	basic, advanced []Param
}

// groups returns the schema's parameters by group, in order.
func (f *paramForm) groups() []formGroup {
	var gs []formGroup
	index := map[string]int{}
	for _, p := range f.schema {
		name := p.Group
		if name == "" {
			name = "Settings"
		}
		k, ok := index[name]
		if !ok {
			k = len(gs)
			index[name] = k
			gs = append(gs, formGroup{name: name})
		}
		if p.Advanced {
			gs[k].advanced = append(gs[k].advanced, p)
		} else {
			gs[k].basic = append(gs[k].basic, p)
		}
	}
	return gs
}

// render draws the form; onApply is the Apply button's handler and extras
// holds controls a page adds after a parameter's input (an upload button
// beside a data set's choice), by parameter name.
func (f *paramForm) render(onApply app.EventHandler, extras map[string]app.UI) app.UI {
	sections := []app.UI{}
	for _, g := range f.groups() {
		body := []app.UI{app.Legend().Text(g.name)}
		for _, p := range g.basic {
			if p.Shown(f.values) {
				body = append(body, f.field(p, extras[p.Name]))
			}
		}
		more := []app.UI{}
		for _, p := range g.advanced {
			if p.Shown(f.values) {
				more = append(more, f.field(p, extras[p.Name]))
			}
		}
		if len(more) > 0 {
			body = append(body, app.Details().Class("otplay-more").Body(
				append([]app.UI{app.Summary().Text("More " + lowerFirst(g.name) + " settings")}, more...)...))
		}
		sections = append(sections, app.FieldSet().Class("otplay-group").DataSet("group", g.name).Body(body...))
	}
	f.apply = onApply
	if !f.live {
		id, text := "apply", "Apply"
		if f.applyID != "" {
			id, text = f.applyID, f.applyText
		}
		sections = append(sections, app.Button().ID(id).Class("otplay-apply").Text(text).OnClick(f.onApply))
	}
	return app.Div().Class("otplay-form").Body(sections...)
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// field is one control: label, input (and slider), formula, explanation.
func (f *paramForm) field(p Param, extra app.UI) app.UI {
	name := p.Name
	var input app.UI
	if p.Kind == KindChoice {
		opts := []app.UI{}
		for _, c := range p.Choices {
			opt := app.Option().Value(c).Text(c)
			if f.values[name] == c {
				opt = opt.Selected(true)
			}
			opts = append(opts, opt)
		}
		input = app.Select().ID("in-" + name).Body(opts...).OnChange(f.onChange)
	} else {
		input = app.Input().ID("in-" + name).Type("text").Size(7).Value(f.values[name]).OnChange(f.onChange)
	}
	row := []app.UI{input}
	if p.Slider && p.Kind != KindChoice {
		row = append(row, f.slider(p))
	}
	if extra != nil {
		row = append(row, extra)
	}
	var math app.UI
	if p.Math != "" {
		math = app.Raw(`<math class="otplay-math" display="block">` + p.Math + `</math>`)
	}
	return app.Div().Class("otplay-field").ID("field-"+name).DataSet("param", name).Body(
		app.Label().For("in-"+name).Text(p.DisplayLabel()),
		app.Div().Class("otplay-input").Body(row...),
		math,
		app.Small().Class("otplay-help").ID("help-"+name).Text(p.Help),
	)
}

// slider is the range input of p: over the value, or over log10 of it
// (Param.Log; ID "in-<name>-log"). Moving it writes the value into the
// text field (integers rounded, logs to three significant digits).
func (f *paramForm) slider(p Param) app.UI {
	lo, hi := p.SliderRange()
	v, err := strconv.ParseFloat(f.values[p.Name], 64)
	if err != nil {
		v = lo
	}
	id, step := "in-"+p.Name+"-slider", "any"
	if p.Kind == KindInt {
		step = "1"
	}
	if p.Log {
		id, step = "in-"+p.Name+"-log", "0.01"
		lo, hi = math.Log10(lo), math.Log10(hi)
		if v > 0 {
			v = math.Log10(v)
		} else {
			v = lo
		}
	}
	v = math.Max(lo, math.Min(hi, v))
	return app.Input().ID(id).Class("otplay-slider").Type("range").
		Min(lo).Max(hi).Attr("step", step).
		Value(strconv.FormatFloat(v, 'g', 6, 64)).
		Aria("label", p.DisplayLabel()).
		OnInput(f.onSlide).OnChange(f.onSlideEnd)
}

func (f *paramForm) onApply(ctx app.Context, e app.Event) {
	if f.apply != nil {
		f.apply(ctx, e)
	}
}

// onSlideEnd applies a live form when the slider is released.
func (f *paramForm) onSlideEnd(ctx app.Context, e app.Event) {
	f.onSlide(ctx, e)
	if f.live {
		f.onApply(ctx, e)
	}
}

func (f *paramForm) onChange(ctx app.Context, e app.Event) {
	f.values[ctx.JSSrc().Get("id").String()[len("in-"):]] = ctx.JSSrc().Get("value").String()
	if f.live {
		f.onApply(ctx, e)
	}
}

func (f *paramForm) onSlide(ctx app.Context, e app.Event) {
	id := ctx.JSSrc().Get("id").String()
	for _, p := range f.schema {
		if id != "in-"+p.Name+"-slider" && id != "in-"+p.Name+"-log" {
			continue
		}
		x, err := strconv.ParseFloat(ctx.JSSrc().Get("value").String(), 64)
		if err != nil {
			return
		}
		f.values[p.Name] = sliderText(p, x)
		return
	}
}

// sliderText is the field text for slider position x of p.
func sliderText(p Param, x float64) string {
	if p.Log {
		x = math.Pow(10, x)
		if p.Kind == KindFloat {
			return strconv.FormatFloat(x, 'g', 3, 64)
		}
	}
	if p.Kind == KindInt {
		return strconv.FormatInt(int64(math.Round(x)), 10)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// computeParam is BackendParam as the forms show it (play.ComputeParam).
var computeParam = play.ComputeParam
