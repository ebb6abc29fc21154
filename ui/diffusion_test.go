package ui

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
)

// "exact", the model's old name in the pages, still loads and is written
// back under the CLI's name, on both pages.
func TestDenoiserAlias(t *testing.T) {
	for _, schema := range []Schema{DiffusionSchema, TruncateSchema} {
		old, err := schema.DecodeQuery("model=exact")
		if err != nil || old.String("model") != "empirical" || strings.Contains(old.Encode(), "exact") {
			t.Errorf("model=exact: %v, state %q", err, old.Encode())
		}
	}
}

// The view renders its opening state, then a frame of the model's run:
// the stats, the controls, the form, and the CSV export of every particle.
func TestDiffusionPageRender(t *testing.T) {
	html := pageHTML(newDiffusionPage())
	for _, want := range []string{`id="diffusion-stats"`, `data-status="opening"`, `id="step"`, `id="play"`, `id="reset"`, `id="diffusion-view"`, `id="in-sampler"`, "∇log p_t"} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /diffusion lacks %q", want)
		}
	}
	st := mustDecodeTestState(t, DiffusionSchema, "n=50&particles=20&steps=3&backend=cpu")
	d, err := play.ParseDiffusion(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run, err := d.Start(ctx, compute.NewCPU(0), func(play.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(ctx, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	status := BackendStatus{Kind: KindCPU}
	page := newDiffusionPage()
	page.state, page.form, page.status = st, newParamForm(DiffusionSchema, st), &status
	page.update = play.Update[play.DiffusionFrame]{Frame: f, HasFrame: true}
	html = pageHTML(page)
	for _, want := range []string{`data-status="sampling"`, `data-step="1"`, "MMD(denoised, data)", "last step: "} {
		if !strings.Contains(html, want) {
			t.Errorf("/diffusion after a step lacks %q", want)
		}
	}
	// A quality of exactly 0 is the clamp of a non-positive unbiased MMD^2:
	// the read-out says so instead of printing a bare 0.
	zero := f
	zero.Quality = []float64{0}
	page.update = play.Update[play.DiffusionFrame]{Frame: zero, HasFrame: true}
	if html := pageHTML(page); !strings.Contains(html, "no difference measurable") {
		t.Error("an MMD of 0 is shown without saying what it means")
	}
	page.update = play.Update[play.DiffusionFrame]{Frame: f, HasFrame: true}
	if csv := page.particlesCSV(); strings.Count(csv, "\n") != 21 {
		t.Errorf("CSV has %d lines, want header + 20", strings.Count(csv, "\n"))
	}
	if r := page.Publish(page.result(), f).(DiffusionFrame); r.Page != DiffusionPath || !r.Done || r.Step != 1 || r.Backend.Kind != KindCPU {
		t.Errorf("published %+v", r)
	}
}

// diffusionMaxAbsDiff is the largest |a_i - b_i| (+Inf for unequal
// lengths); the bridge tests use it too.
func diffusionMaxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}
