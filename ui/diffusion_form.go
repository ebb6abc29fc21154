package ui

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// This file holds the form and export pieces the /diffusion, /patch,
// /bridge and /truncate pages share.

// paramForm is the editable form of a page's state: one field per
// parameter, each with its explanation (Param.Help, which states the
// formula the parameter sets) printed beside it, and an Apply button that
// validates the whole form into a state and navigates to its URL.
type paramForm struct {
	schema Schema
	values map[string]string
}

// newParamForm returns the form of a state. Pages keep one *paramForm
// for their lifetime and refill it with load: go-app keeps the first event
// handler it bound to an element when a later render passes a closure of
// the same code, so the handlers must reach the values through a pointer
// that does not change.
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

// render draws the fields; onApply is the Apply button's handler.
func (f *paramForm) render(onApply app.EventHandler) app.UI {
	fields := []app.UI{}
	for _, prm := range f.schema {
		name := prm.Name
		onChange := func(ctx app.Context, e app.Event) { f.values[name] = ctx.JSSrc().Get("value").String() }
		var input app.UI
		if prm.Kind == KindChoice {
			opts := []app.UI{}
			for _, c := range prm.Choices {
				opt := app.Option().Value(c).Text(c)
				if f.values[name] == c {
					opt = opt.Selected(true)
				}
				opts = append(opts, opt)
			}
			input = app.Select().ID("in-" + name).Body(opts...).OnChange(onChange)
		} else {
			input = app.Input().ID("in-" + name).Type("text").Size(6).Value(f.values[name]).OnChange(onChange)
		}
		fields = append(fields, app.Label().Class("otplay-field").Title(prm.Help).Body(
			app.B().Text(name+" "), input,
			app.Small().Class("otplay-help").Style("display", "block").Style("max-width", "240px").Style("color", "#666").Text(prm.Help),
		))
	}
	fields = append(fields, app.Button().ID("apply").Text("Apply").OnClick(onApply))
	return app.Div().Class("otplay-form").Style("align-items", "flex-start").Body(fields...)
}

// exportButtons are the export controls of a view: the canvas as PNG and
// the page's data as CSV and JSON (built on demand by the functions).
func exportButtons(prefix string, canvasIDs []string, csv func() string, json func() string) app.UI {
	items := []app.UI{}
	for _, id := range canvasIDs {
		id := id
		items = append(items, app.Button().ID("export-"+id).Text("PNG: "+id).OnClick(func(ctx app.Context, e app.Event) {
			saveCanvasPNG(id, prefix+"-"+id+".png")
		}))
	}
	if csv != nil {
		items = append(items, app.Button().ID("export-csv").Text("CSV").OnClick(func(ctx app.Context, e app.Event) {
			saveTextFile(prefix+".csv", "text/csv", csv())
		}))
	}
	if json != nil {
		items = append(items, app.Button().ID("export-json").Text("JSON").OnClick(func(ctx app.Context, e app.Event) {
			saveTextFile(prefix+".json", "application/json", json())
		}))
	}
	return app.Div().Class("otplay-controls otplay-export").Body(items...)
}
