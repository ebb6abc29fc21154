package ot

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestResultsRichardson writes the Richardson table of RESULTS.md (the
// setting of TestRichardsonGaussianBias) on a chosen backend, as Markdown,
// to the file OTPLAY_RESULTS_OT:
//
//	OTPLAY_RESULTS_OT=/tmp/richardson.md OTPLAY_RESULTS_BACKEND=gpu go test ./solvers/ot -run TestResultsRichardson -v
//
// OTPLAY_RESULTS_BACKEND is cpu (float64, tolerance 1e-11, the default)
// or gpu (float32: tolerance 1e-4 on the float64 marginal error, above
// the float32 floor of this problem (about 1e-4 at eps = 0.1)).
// Unlike TestRichardsonGaussianBias it asserts only that the solves
// converge and the costs are finite: it measures a backend.
func TestResultsRichardson(t *testing.T) {
	path := os.Getenv("OTPLAY_RESULTS_OT")
	if path == "" {
		t.Skip("set OTPLAY_RESULTS_OT=FILE to write the Richardson table on OTPLAY_RESULTS_BACKEND")
	}
	be, tol := compute.Backend(compute.NewCPU(0)), 1e-11
	switch os.Getenv("OTPLAY_RESULTS_BACKEND") {
	case "", "cpu":
	case "gpu":
		be, tol = gputest.Backend(t), 1e-4
	default:
		t.Fatalf("OTPLAY_RESULTS_BACKEND = %q: want cpu or gpu", os.Getenv("OTPLAY_RESULTS_BACKEND"))
	}
	const n = 480
	m1, s1, m2, s2 := 0.3, 1.0, -0.4, 0.6
	x, a := gaussianGrid(n, m1, s1)
	y, b := gaussianGrid(n, m2, s2)
	p := Problem{X: x, Y: y, N: n, M: n, D: 1, A: a, B: b}
	w2 := (m1-m2)*(m1-m2) + (s1-s2)*(s1-s2)
	z := []float64{m1 - 1, m1, m1 + 1.5}
	var out strings.Builder
	fmt.Fprintf(&out, "Backend %s (%s), tolerance %g, %s.\n\n", be.Info().Name, be.Info().Device, tol, time.Now().UTC().Format("2006-01-02"))
	out.WriteString("| eps | cost bias, plain | cost bias, Richardson | predicted eps^2/(32 sqrt(AB)) | map error, plain | map error, Richardson | iterations (eps + eps/2, warm) | ms plain | ms Richardson |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, eps := range []float64{0.4, 0.2, 0.1} {
		start := time.Now()
		plain, err := Sinkhorn(be, p, Settings{Eps: eps, Tol: tol, MaxIter: 20000})
		if err != nil {
			t.Fatal(err)
		}
		plainTime := time.Since(start)
		start = time.Now()
		r, err := Richardson(be, p, Settings{Eps: eps, Tol: tol, MaxIter: 20000})
		if err != nil {
			t.Fatal(err)
		}
		richTime := time.Since(start)
		if !r.Converged || !plain.Converged {
			t.Errorf("eps=%g: not converged: %s, %s / %s", eps, plain.Status, r.Coarse.Status, r.Fine.Status)
		}
		tz, err := r.Transport(be, z)
		if err != nil {
			t.Fatal(err)
		}
		tPlain, err := r.Coarse.Transport(be, z)
		if err != nil {
			t.Fatal(err)
		}
		mapPlain, mapRich := 0.0, 0.0
		for i, zi := range z {
			exact := m2 + s2/s1*(zi-m1)
			mapPlain = max(mapPlain, math.Abs(tPlain[i]-exact))
			mapRich = max(mapRich, math.Abs(tz[i]-exact))
		}
		if math.IsNaN(r.Cost+plain.Cost+mapPlain+mapRich) || math.IsInf(r.Cost+plain.Cost, 0) {
			t.Errorf("eps=%g: cost %g, Richardson %g, map errors %g %g: not finite", eps, plain.Cost, r.Cost, mapPlain, mapRich)
		}
		fmt.Fprintf(&out, "| %g | %.3e | %.3e | %.3e | %.3e | %.3e | %d + %d | %.1f | %.1f |\n", eps, plain.Cost-w2, r.Cost-w2, eps*eps/(32*s1*s2),
			mapPlain, mapRich, r.Coarse.Iterations, r.Fine.Iterations, float64(plainTime.Microseconds())/1000, float64(richTime.Microseconds())/1000)
	}
	if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
}
