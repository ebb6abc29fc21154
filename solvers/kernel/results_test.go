package kernel

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/ot"
)

// TestResultsHilbert writes the Hilbert Sinkhorn divergence table of
// RESULTS.md (the setting of TestHilbertDivergence, plus solve times and
// the comparison with the coordinate divergence at 200 points) on a chosen
// backend, as Markdown, to the file OTPLAY_RESULTS_KERNEL:
//
//	OTPLAY_RESULTS_KERNEL=/tmp/hilbert.md OTPLAY_RESULTS_BACKEND=gpu go test ./solvers/kernel -run TestResultsHilbert -v
//
// OTPLAY_RESULTS_BACKEND is cpu (float64, tolerance 1e-9, the default) or
// gpu (float32, tolerance 1e-4, above its floor). The landmark table
// (TestLandmarkTable) stays on the host: SelectLandmarks and NystromError
// do no backend work. It asserts only what a measurement needs: the
// solves converge and the values are finite.
func TestResultsHilbert(t *testing.T) {
	path := os.Getenv("OTPLAY_RESULTS_KERNEL")
	if path == "" {
		t.Skip("set OTPLAY_RESULTS_KERNEL=FILE to write the Hilbert divergence table on OTPLAY_RESULTS_BACKEND")
	}
	be, tol := compute.Backend(compute.NewCPU(0)), 1e-9
	switch os.Getenv("OTPLAY_RESULTS_BACKEND") {
	case "", "cpu":
	case "gpu":
		be, tol = gputest.Backend(t), 1e-4
	default:
		t.Fatalf("OTPLAY_RESULTS_BACKEND = %q: want cpu or gpu", os.Getenv("OTPLAY_RESULTS_BACKEND"))
	}
	const eps = 0.05
	xs, _ := data.Parse("moons:40:seed=1")
	ys, _ := data.Parse("8gaussians:30:seed=2")
	p := ot.Problem{X: xs.Points, Y: ys.Points, N: xs.N, M: ys.N, D: 2}
	sigma := medianDistance(p.X, p.Y, p.N, p.M, 2)
	want := hilbertExact(p.X, p.Y, p.N, p.M, 2, sigma, eps)
	var out strings.Builder
	fmt.Fprintf(&out, "Backend %s (%s), tolerance %g, %s. moons:40 against 8gaussians:30, eps = %g, exact S = %.5f (dense float64 Sinkhorn on the cost 2 - 2 k).\n\n",
		be.Info().Name, be.Info().Device, tol, time.Now().UTC().Format("2006-01-02"), eps, want)
	out.WriteString("| features D | mean error of S (4 seeds) | ms per solve |\n|---|---|---|\n")
	hilbert := func(p ot.Problem, D int, seed uint64) (*HilbertResult, time.Duration) {
		start := time.Now()
		r, err := HilbertDivergence(be, p, HilbertSettings{Features: D, Seed: seed, OT: ot.Settings{Eps: eps, Tol: tol, MaxIter: 5000}})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Converged || math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			t.Errorf("D=%d seed %d: converged %v, S = %g", D, seed, r.Converged, r.Value)
		}
		return r, time.Since(start)
	}
	for _, D := range []int{16, 64, 256} {
		meanErr, took := 0.0, time.Duration(0)
		for seed := range uint64(4) {
			r, dt := hilbert(p, D, seed)
			meanErr += math.Abs(r.Value-want) / 4
			took += dt / 4
		}
		fmt.Fprintf(&out, "| %d | %.5f | %.1f |\n", D, meanErr, float64(took.Microseconds())/1000)
	}
	// Speed: 200 points a side, 128 features, against the divergence on
	// the coordinates (same clouds and eps).
	xs, _ = data.Parse("moons:200:seed=1")
	ys, _ = data.Parse("8gaussians:200:seed=2")
	big := ot.Problem{X: xs.Points, Y: ys.Points, N: xs.N, M: ys.N, D: 2}
	_, dtH := hilbert(big, 128, 0)
	start := time.Now()
	if _, err := ot.DivergenceDetail(be, big, ot.Settings{Eps: eps, Tol: tol, MaxIter: 5000}); err != nil {
		t.Fatal(err)
	}
	dtC := time.Since(start)
	fmt.Fprintf(&out, "\nmoons:200 against 8gaussians:200: Hilbert divergence with 128 features %.1f ms, the divergence on the coordinates %.1f ms.\n",
		float64(dtH.Microseconds())/1000, float64(dtC.Microseconds())/1000)
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
}
