package ui

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/play"
)

// Every parameter of every page has a human label (not its URL key), and
// the form draws, for each control it shows, the label, the input and the
// visible explanation; formulas are typeset as MathML.
func TestFormsShowLabelsAndHelp(t *testing.T) {
	for _, pg := range Pages() {
		for _, prm := range pg.Schema {
			if prm.Label == "" || prm.Label == prm.Name {
				t.Errorf("%s: parameter %s has no human label", pg.Path, prm.Name)
			}
		}
		f := newParamForm(pg.Schema, pg.Schema.Defaults())
		html := app.HTMLString(f.render(nil, nil))
		for _, prm := range pg.Schema {
			shown := prm.Shown(f.values)
			hasField := strings.Contains(html, `id="field-`+prm.Name+`"`)
			if shown != hasField {
				t.Errorf("%s: %s shown = %v, but the form has its field: %v", pg.Path, prm.Name, shown, hasField)
			}
			if !shown {
				continue
			}
			for _, want := range []string{">" + htmlEscape(prm.Label) + "</label>", ">" + htmlEscape(prm.Help) + "</small>", `id="in-` + prm.Name + `"`} {
				if !strings.Contains(html, want) {
					t.Errorf("%s: %s: form lacks %q", pg.Path, prm.Name, want)
				}
			}
		}
	}
	html := app.HTMLString(newParamForm(OTSchema, OTSchema.Defaults()).render(nil, nil))
	if !strings.Contains(html, `<math class="otplay-math" display="block"><msub><mi>P</mi>`) {
		t.Errorf("/ot: the formula of eps is not typeset as MathML")
	}
	if !strings.Contains(html, `id="in-eps-log"`) || !strings.Contains(html, `type="range"`) {
		t.Errorf("/ot: eps has no log slider")
	}
}

// Irrelevant controls are hidden: tau only for unbalanced OT, mass only
// for partial; the mixture size only for the gmm model.
func TestFormHidesIrrelevantControls(t *testing.T) {
	for _, c := range []struct {
		schema        Schema
		query         string
		shown, hidden []string
	}{
		{OTSchema, "", []string{"eps", "method"}, []string{"tau", "mass"}},
		{OTSchema, "method=unbalanced", []string{"tau"}, []string{"mass"}},
		{OTSchema, "method=partial", []string{"mass"}, []string{"tau"}},
		{DiffusionSchema, "", nil, []string{"k", "train"}},
		{DiffusionSchema, "model=gmm", []string{"k"}, []string{"train"}},
		{TruncateSchema, "prior=gaussian", []string{"ttrunc"}, []string{"fit", "priorsteps"}},
	} {
		st, err := c.schema.DecodeQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		html := app.HTMLString(newParamForm(c.schema, st).render(nil, nil))
		for _, n := range c.shown {
			if !strings.Contains(html, `id="field-`+n+`"`) {
				t.Errorf("%q: %s is hidden, want it shown", c.query, n)
			}
		}
		for _, n := range c.hidden {
			if strings.Contains(html, `id="field-`+n+`"`) {
				t.Errorf("%q: %s is shown, want it hidden", c.query, n)
			}
		}
	}
	// T_trunc appears once on /truncate (its slider sits in its field).
	f := newParamForm(TruncateSchema, TruncateSchema.Defaults())
	html := app.HTMLString(f.render(nil, map[string]app.UI{"ttrunc": app.Input().ID("ttrunc-slider")}))
	if n := strings.Count(html, "T_trunc</label>"); n != 1 {
		t.Errorf("/truncate: %d labels of T_trunc, want 1", n)
	}
}

func TestSliderText(t *testing.T) {
	eps, _ := OTSchema.Param("eps")
	n, _ := OTSchema.Param("n")
	k, _ := OTSchema.Param("k")
	for _, c := range []struct {
		p    Param
		x    float64
		want string
	}{
		{eps, -1, "0.1"}, {eps, -2.5, "0.00316"}, {n, 2, "100"}, {n, 3.3, "1995"}, {k, 3.4, "3"},
	} {
		if got := sliderText(c.p, c.x); got != c.want {
			t.Errorf("sliderText(%s, %g) = %q, want %q", c.p.Name, c.x, got, c.want)
		}
		if _, err := c.p.Canonical(sliderText(c.p, c.x)); err != nil {
			t.Errorf("slider text of %s refused: %v", c.p.Name, err)
		}
	}
}

// The schema check refuses a ShownWhen that names no choice, or a value
// the choice does not have.
func TestSchemaCheckShownWhen(t *testing.T) {
	base := Param{Name: "method", Kind: KindChoice, Default: "a", Choices: []string{"a", "b"}}
	for _, when := range []string{"nope=a", "method=c", "tau=1"} {
		s := Schema{base, {Name: "tau", Kind: KindFloat, Default: "1", Min: 0, Max: 2, ShownWhen: when}}
		if err := s.Check(); err == nil {
			t.Errorf("ShownWhen %q accepted", when)
		}
	}
	s := Schema{base, {Name: "tau", Kind: KindFloat, Default: "1", Min: 0, Max: 2, ShownWhen: "method=b|a"}}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
}

// Every page has 3 to 5 tours, each valid (checked at Register), and a
// tour's URL marks it active, its caption shown above the views.
func TestTours(t *testing.T) {
	for _, pg := range Pages() {
		if n := len(pg.Tours); n < 3 || n > 5 {
			t.Errorf("%s has %d tours, want 3 to 5", pg.Path, n)
		}
		for _, tour := range pg.Tours {
			if strings.Count(tour.Caption, ". ") < 1 {
				t.Errorf("%s: tour %q: caption %q is not two sentences", pg.Path, tour.Name, tour.Caption)
			}
			got, ok := activeTour(pg.Path, tour.Query, pg.Tours)
			if !ok || got.Name != tour.Name {
				t.Errorf("%s: tour %q not active at its own URL (got %q, %v)", pg.Path, tour.Name, got.Name, ok)
			}
		}
	}
	html := app.HTMLString(Layout{Path: OTPath, Title: "t", Query: "k=4&eps=0.5", Panel: app.Div()}.Render())
	if !strings.Contains(html, `id="tour-caption"`) || !strings.Contains(html, "Sharp versus blurry plans") {
		t.Errorf("the active tour's caption is missing")
	}
	if err := (play.Page{Path: "/ot", Title: "t", Schema: OTSchema, Tours: []Tour{{Name: "x", Caption: "a. b.", Query: "eps=-1"}}}).Check(); err == nil {
		t.Errorf("a tour with a bad value passed the check")
	}
}

// The advice for a page without WebGPU names what to do in each browser,
// and always the native way out.
func TestWebGPUAdvice(t *testing.T) {
	for _, c := range []struct{ ua, want string }{
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36", "--enable-unsafe-webgpu"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36", "graphics acceleration"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0", "Edge"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", "dom.webgpu.enabled"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15", "Technology Preview"},
		{"curl/8", "did not offer WebGPU"},
	} {
		got := WebGPUAdvice(c.ua)
		if !strings.Contains(got, c.want) || !strings.Contains(got, "otplay serve") {
			t.Errorf("WebGPUAdvice(%q) = %q, want it to mention %q and otplay serve", c.ua, got, c.want)
		}
	}
	cpu := BackendStatus{Kind: KindCPU, Reason: "no WebGPU adapter (requestAdapter returned null)"}
	html := app.HTMLString(Layout{Path: OTPath, Title: "t", Status: &cpu}.Render())
	if !strings.Contains(html, `id="webgpu-advice"`) {
		t.Errorf("no advice on a CPU fallback")
	}
	asked := BackendStatus{Kind: KindCPU, Reason: "requested with backend=cpu"}
	if html := app.HTMLString(Layout{Path: OTPath, Title: "t", Status: &asked}.Render()); strings.Contains(html, `id="webgpu-advice"`) {
		t.Errorf("advice shown although the reader asked for the CPU")
	}
}

// A phase in work shows what it does and how far it is.
func TestProgress(t *testing.T) {
	html := app.HTMLString(Layout{Path: "/x", Title: "t", Progress: &Progress{Phase: "Training", Done: 30, Total: 1000, Unit: "Adam steps"}}.Render())
	for _, want := range []string{"Training: 30 of 1000 Adam steps", `max="1000"`, `value="30"`} {
		if !strings.Contains(html, want) {
			t.Errorf("progress lacks %q", want)
		}
	}
	// The pages' own phases are their models' Progress reports (tested in
	// play: TestTruncateRunCPU, TestDiffusionModels, TestValidateModel).
}
