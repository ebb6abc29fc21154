package kernel

import (
	"fmt"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/data"
)

// benchBackends are the backends the benchmarks climb: the CPU reference,
// and the GPU when OTPLAY_BENCH_GPU=1 (on lavapipe the GPU figures say
// nothing about real hardware, so they are opt-in).
func benchBackends() []string {
	if os.Getenv("OTPLAY_BENCH_GPU") == "1" {
		return []string{"cpu", "gpu"}
	}
	return []string{"cpu"}
}

func benchBackend(b *testing.B, name string) compute.Backend {
	if name == "gpu" {
		return gputest.Backend(b)
	}
	return compute.NewCPU(0)
}

// BenchmarkTiers: time and error of each tier against the full solution,
// moons vs 8gaussians (2-D, unit scale), eps = 1, tolerance 1e-4, default
// ranks (1000 features, 500 landmarks), n = m = 1000, 4000, 16000.
// Metrics: cost-relerr and obj-relerr against the full tier of the same
// backend (computed first, once per size), kerr (the tier's own kernel
// error estimate), iters, ms/solve. Run sparingly:
//
//	go test -run '^$' -bench Tiers -benchtime 1x ./solvers/kernel
func BenchmarkTiers(b *testing.B) {
	var mu sync.Mutex
	refs := map[string]Result{}
	for _, bk := range benchBackends() {
		for _, n := range []int{1000, 4000, 16000} {
			x, _ := data.Generate("moons", n, data.Options{Seed: 1})
			y, _ := data.Generate("8gaussians", n, data.Options{Seed: 2})
			p := Problem{X: x.Points, Y: y.Points, N: n, M: n, D: 2, Eps: 1}
			for _, tier := range []Tier{Full, RFF, Nystrom} {
				b.Run(fmt.Sprintf("%s/n=%d/%v", bk, n, tier), func(b *testing.B) {
					be := benchBackend(b, bk)
					var r Result
					for b.Loop() {
						var err error
						r, err = Solve(be, p, Settings{Tier: tier, Tol: 1e-4})
						if err != nil {
							b.Fatal(err)
						}
					}
					key := fmt.Sprintf("%s/%d", bk, n)
					mu.Lock()
					defer mu.Unlock()
					if tier == Full {
						refs[key] = r
					}
					if ref, ok := refs[key]; ok {
						b.ReportMetric(relErr(r.Cost, ref.Cost), "cost-relerr")
						b.ReportMetric(relErr(r.Objective, ref.Objective), "obj-relerr")
					}
					b.ReportMetric(r.ErrorEstimate, "kerr")
					b.ReportMetric(float64(r.Iterations), "iters")
					b.ReportMetric(float64(r.Time)/float64(time.Millisecond), "ms/solve")
				})
			}
		}
	}
}

// BenchmarkGrid: the grid tier on H x H grids (two Gaussian blobs, eps =
// 0.05 on the unit square, tolerance 1e-4) against the full tier on the
// pixel positions where that is affordable (H <= 64).
func BenchmarkGrid(b *testing.B) {
	for _, bk := range benchBackends() {
		for _, h := range []int{32, 64, 128, 256} {
			a, c := make([]float64, h*h), make([]float64, h*h)
			pts := make([]float64, 0, 2*h*h)
			for i := 0; i < h; i++ {
				for j := 0; j < h; j++ {
					u, v := float64(i)/float64(h), float64(j)/float64(h)
					a[i*h+j] = math.Exp(-(math.Pow(u-0.3, 2)+math.Pow(v-0.3, 2))/0.02) + 1e-6
					c[i*h+j] = math.Exp(-(math.Pow(u-0.7, 2)+math.Pow(v-0.6, 2))/0.03) + 1e-6
					pts = append(pts, u, v)
				}
			}
			var ref *Result
			for _, tier := range []Tier{Full, Grid} {
				if tier == Full && h > 64 {
					continue
				}
				b.Run(fmt.Sprintf("%s/H=%d/%v", bk, h, tier), func(b *testing.B) {
					be := benchBackend(b, bk)
					var r Result
					for b.Loop() {
						var err error
						if tier == Full {
							r, err = Solve(be, Problem{X: pts, Y: pts, N: h * h, M: h * h, D: 2, A: a, B: c, Eps: 0.05}, Settings{Tier: Full, Tol: 1e-4})
						} else {
							r, err = SolveGrid(be, GridProblem{A: a, B: c, H: h, W: h, Eps: 0.05}, Settings{Tol: 1e-4})
						}
						if err != nil {
							b.Fatal(err)
						}
					}
					if tier == Full {
						ref = &r
					} else if ref != nil {
						b.ReportMetric(relErr(r.Cost, ref.Cost), "cost-relerr")
					}
					b.ReportMetric(float64(r.Iterations), "iters")
					b.ReportMetric(float64(r.Time)/float64(time.Millisecond), "ms/solve")
				})
			}
		}
	}
}
