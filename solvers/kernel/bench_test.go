package kernel

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
)

// BenchmarkTiers: time and error of each tier against the full solution,
// moons vs 8gaussians (2-D, unit scale), eps = 1, tolerance 1e-4, CPU
// backend, n = m = 1000, 4000, 16000. Metrics: cost-relerr and
// obj-relerr against the full tier (computed once per size), kerr (the
// tier's own kernel error estimate), iters. Run sparingly:
//
//	go test -run '^$' -bench Tiers -benchtime 1x ./solvers/kernel
func BenchmarkTiers(b *testing.B) {
	be := compute.NewCPU(0)
	var mu sync.Mutex
	refs := map[int]Result{}
	for _, n := range []int{1000, 4000, 16000} {
		x, _ := data.Generate("moons", n, data.Options{Seed: 1})
		y, _ := data.Generate("8gaussians", n, data.Options{Seed: 2})
		p := Problem{X: x.Points, Y: y.Points, N: n, M: n, D: 2, Eps: 1}
		for _, tier := range []Tier{Full, RFF, Nystrom} {
			b.Run(fmt.Sprintf("n=%d/%v", n, tier), func(b *testing.B) {
				var r Result
				for b.Loop() {
					var err error
					r, err = Solve(be, p, Settings{Tier: tier, Tol: 1e-4})
					if err != nil {
						b.Fatal(err)
					}
				}
				mu.Lock()
				defer mu.Unlock()
				if tier == Full {
					refs[n] = r
				}
				if ref, ok := refs[n]; ok {
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
