package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
)

// The view renders its opening state, then a finished frame of the
// model's run: the slider, the ladder, the numbers, the CSV of both sides.
func TestTruncatePageRender(t *testing.T) {
	html := pageHTML(newTruncatePage())
	// The panel ends with the page's own help (play.Page.About), folded.
	for _, want := range []string{`id="truncate-stats"`, `data-status="opening"`, `id="ttrunc-slider"`, `id="step"`, `id="truncate-full"`, `id="about"`, "About this page", "Lyu et al. 2022"} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /truncate lacks %q", want)
		}
	}
	st := mustDecodeTestState(t, TruncateSchema, "n=80&particles=30&ttrunc=250&prior=gaussian&steps=2&backend=cpu")
	tr, err := parseTruncate(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run, err := tr.Start(ctx, compute.NewCPU(0), func(play.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(ctx, 5, false)
	if err != nil || !f.Finished() {
		t.Fatalf("frame finished %v, %v", f.Finished(), err)
	}
	status := BackendStatus{Kind: KindCPU}
	page := newTruncatePage()
	page.state, page.form, page.status = st, newParamForm(TruncateSchema, st), &status
	page.update = play.Update[play.TruncateFrame]{Frame: f, HasFrame: true}
	html = pageHTML(page)
	for _, want := range []string{`data-status="finished"`, `id="ttrunc-slider"`, `id="truncate-ladder"`, "T_trunc = 250", "MMD(sample, data)"} {
		if !strings.Contains(html, want) {
			t.Errorf("/truncate lacks %q", want)
		}
	}
	// An MMD of exactly 0 is the clamp of a non-positive unbiased MMD^2:
	// the read-out says so for either side instead of printing a bare 0.
	zero := f
	zero.Trunc.MMD = 0
	page.update = play.Update[play.TruncateFrame]{Frame: zero, HasFrame: true}
	if html := pageHTML(page); !strings.Contains(html, "truncated 0 (unbiased MMD² ≤ 0: no difference measurable") {
		t.Errorf("/truncate prints a clamped MMD of 0 without saying what it means")
	}
	page.update = play.Update[play.TruncateFrame]{Frame: f, HasFrame: true}
	if csv := page.particlesCSV(); strings.Count(csv, "\n") != 61 {
		t.Errorf("CSV has %d lines, want header + 2 x 30", strings.Count(csv, "\n"))
	}
}
