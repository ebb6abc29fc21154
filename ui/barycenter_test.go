package ui

import (
	"strings"
	"testing"
)

// TestBarycenterPageRender: the page renders its controls, the view, the
// stats (opening) and the form's parameters before any run, and is
// registered with 3-5 tours.
func TestBarycenterPageRender(t *testing.T) {
	html := pageHTML(newBarycenterPage())
	for _, want := range []string{`id="barycenter-stats"`, `data-status="opening"`, `id="step"`, `id="play"`, `id="barycenter-view"`, `id="in-eps"`, `id="in-debiased"`, `id="in-a"`} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /barycenter lacks %q", want)
		}
	}
	p, ok := Lookup(BarycenterPath)
	if !ok || len(p.Tours) < 3 || len(p.Tours) > 5 {
		t.Errorf("registry: %v, %d tours", ok, len(p.Tours))
	}
}
