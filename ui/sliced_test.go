package ui

import (
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/sliced"
)

// independentSW is SW_2 for equal sizes written out: for each direction,
// sort both projections and average the squared differences (the
// monotone coupling of uniform measures with N == M).
func independentSW(x, y sliced.Measure, theta []float64) float64 {
	d, L := x.D, len(theta)/x.D
	total := 0.0
	for l := 0; l < L; l++ {
		px, py := make([]float64, x.N), make([]float64, y.N)
		for i := range px {
			for k := 0; k < d; k++ {
				px[i] += x.Points[i*d+k] * theta[l*d+k]
				py[i] += y.Points[i*d+k] * theta[l*d+k]
			}
		}
		sort.Float64s(px)
		sort.Float64s(py)
		w := 0.0
		for i := range px {
			w += (px[i] - py[i]) * (px[i] - py[i])
		}
		total += w / float64(x.N)
	}
	return math.Sqrt(total / float64(L))
}

func TestRunSlicedCPU(t *testing.T) {
	st, _ := SlicedSchema.DecodeQuery("x=gaussian&y=moons&n=120&m=120&L=40&seed=3&backend=cpu")
	r := RunSliced(st)
	if r.out.Error != "" {
		t.Fatal(r.out.Error)
	}
	x, y, _ := SlicedMeasures(st)
	want := independentSW(x, y, r.res.Directions)
	if math.Abs(r.out.SW-want) > 1e-12*want || len(r.out.Running) != 40 || r.out.Running[39] != r.out.SW {
		t.Errorf("SW %.15g, independent %.15g; running %d values ending %g", r.out.SW, want, len(r.out.Running), r.out.Running[len(r.out.Running)-1])
	}
	// The shown direction's W_2^2 is that entry of PerDirection.
	for _, l := range []int{0, 7, -1} {
		if err := r.show(l); err != nil {
			t.Fatal(err)
		}
		wantL := (l + 40) % 40
		if r.shown != wantL || math.Abs(r.out.ShownW2Sq-r.res.PerDirection[wantL]) > 1e-12 {
			t.Errorf("show(%d): shown %d, W2^2 %g, want %g", l, r.shown, r.out.ShownW2Sq, r.res.PerDirection[wantL])
		}
	}
	// The view: both clouds, their projections, the plan (N == M, uniform:
	// N matches) and the direction.
	v := r.view
	if len(v.Points) != 4 || len(v.Points[2].XY) != 240 || len(v.Lines[0].Segs)/4 != 120 || len(v.Lines[1].Segs) != 4 {
		t.Errorf("view: %d point sets, %d projections, %d plan lines", len(v.Points), len(v.Points[2].XY)/2, len(v.Lines[0].Segs)/4)
	}
	var rec Recorder
	if err := v.Draw(&rec); err != nil {
		t.Error(err)
	}
	// Too many directions for the page's budget: refused with the reason.
	big, _ := SlicedSchema.DecodeQuery("n=4096&m=4096&L=2000&backend=cpu")
	if r := RunSliced(big); !strings.Contains(r.out.Error, "L*(n+m)") {
		t.Errorf("oversized: %q", r.out.Error)
	}
}

func TestRunSlicedGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	st, _ := SlicedSchema.DecodeQuery("x=8gaussians&y=circles&n=300&m=257&L=64&sampling=qmc&seed=1")
	x, y, _ := SlicedMeasures(st)
	got, err := sliced.Distance(gpu, x, y, SlicedSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	want, err := sliced.Distance(compute.NewCPU(0), x, y, SlicedSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SW GPU %.9g CPU %.9g (%s)", got.SW, want.SW, got.Path)
	if math.Abs(got.SW-want.SW) > 1e-4*want.SW {
		t.Errorf("GPU SW %.9g vs CPU %.9g", got.SW, want.SW)
	}
}

func TestSlicedPageRender(t *testing.T) {
	html := app.HTMLString(&SlicedPage{})
	for _, want := range []string{`id="sliced-stats"`, `data-status="running"`, `id="next"`, `id="sliced-view"`, `id="in-L"`} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /sliced lacks %q", want)
		}
	}
	st, _ := SlicedSchema.DecodeQuery("n=20&m=30&L=5&backend=cpu")
	p := &SlicedPage{state: st, run: RunSliced(st)}
	html = app.HTMLString(p)
	for _, want := range []string{`data-status="done"`, `data-shown="0"`, "over 5 directions", "device sort, host quantile merge", "sliced distance: "} {
		if !strings.Contains(html, want) {
			t.Errorf("/sliced lacks %q:\n%s", want, html)
		}
	}
}
