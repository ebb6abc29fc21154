package sliced

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
)

// TestGPUAgreesWithCPU runs every path of Distance on the GPU backend
// (float32) and on the CPU reference (float64). Tolerance: relative 1e-4
// on each W_2^2 (float32 projections of O(1) values carry ~1e-7 relative
// error; the sums over n = 700 points and the sort keep it well inside
// 1e-4), and the same on SW.
func TestGPUAgreesWithCPU(t *testing.T) {
	gpu := gputest.Backend(t)
	cpu := compute.NewCPU(0)
	x, _ := data.Generate("moons", 700, data.Options{Seed: 1})
	y, _ := data.Generate("8gaussians", 700, data.Options{Seed: 2})
	z, _ := data.Generate("circles", 333, data.Options{Seed: 3})
	X := Measure{Points: x.Points, N: 700, D: 2}
	Y := Measure{Points: y.Points, N: 700, D: 2}
	Z := Measure{Points: z.Points, N: 333, D: 2}
	W := Z
	W.Weights = make([]float64, 333)
	for i := range W.Weights {
		W.Weights[i] = 1 + float64(i%7)
	}
	for _, c := range []struct {
		name string
		x, y Measure
	}{{"700 vs 700", X, Y}, {"700 vs 333", X, Z}, {"weighted", X, W}} {
		s := Settings{Projections: 64, Seed: 9}
		rc, err := Distance(cpu, c.x, c.y, s)
		if err != nil {
			t.Fatal(err)
		}
		rg, err := Distance(gpu, c.x, c.y, s)
		if err != nil {
			t.Fatalf("%s on the GPU: %v", c.name, err)
		}
		worst := 0.0
		for l := range rc.PerDirection {
			worst = math.Max(worst, math.Abs(rg.PerDirection[l]-rc.PerDirection[l])/rc.PerDirection[l])
		}
		if worst > 1e-4 || math.Abs(rg.SW-rc.SW) > 1e-4*rc.SW {
			t.Errorf("%s: GPU SW %.7g vs CPU %.7g, worst per-direction relative error %.2g (limit 1e-4)", c.name, rg.SW, rc.SW, worst)
		}
		t.Logf("%s (%s): SW cpu %.9g gpu %.9g, worst per-direction rel err %.2g", c.name, rg.Path, rc.SW, rg.SW, worst)
	}
}
