package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
)

// The page shows a computed transfer: the three images, the numbers, the
// upload fields and the exports.
func TestPatchPageRender(t *testing.T) {
	html := pageHTML(newPatchPage())
	for _, want := range []string{`data-status="running"`, `id="upload-src"`, `id="patch-out-pending"`, "Loading the images"} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /patch lacks %q", want)
		}
	}
	st, _ := PatchSchema.DecodeQuery("width=32&method=sliced&backend=cpu")
	s, _ := play.ParsePatch(st)
	run, err := s.Start(context.Background(), compute.NewCPU(0), func(play.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := run.Step(context.Background(), 0, false)
	page := newPatchPage()
	page.state, page.update = st, play.Update[play.PatchFrame]{Frame: f, HasFrame: true}
	html = pageHTML(page)
	for _, want := range []string{`data-status="done"`, `id="patch-out"`, `id="upload-src"`, "transport cost", `id="export-out"`} {
		if !strings.Contains(html, want) {
			t.Errorf("/patch lacks %q", want)
		}
	}
	if j := page.resultJSON(); !strings.Contains(j, `"page": "/patch"`) || !strings.Contains(j, `"Output": [`) {
		t.Errorf("result JSON: %.200s", j)
	}
}
