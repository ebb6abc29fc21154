package ot

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// benchSizes is the size ladder of BenchmarkSinkhornIteration: N = M =
// 1000 and 4000 (POT's sinkhorn_log is timed at the same sizes by
// bench/pot/sinkhorn_pot.py); OTPLAY_BENCH_LARGE=1 adds 1e5.
// benchSizes is 1000 and 4000 (plus 1e5 with OTPLAY_BENCH_LARGE=1), or
// the comma-separated list in OTPLAY_BENCH_SIZES (e.g. "10000,40000,100000"
// on the accelerator).
func benchSizes() []int {
	if v := os.Getenv("OTPLAY_BENCH_SIZES"); v != "" {
		var s []int
		for _, f := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
				s = append(s, n)
			}
		}
		return s
	}
	s := []int{1000, 4000}
	if os.Getenv("OTPLAY_BENCH_LARGE") == "1" {
		s = append(s, 100000)
	}
	return s
}

// benchIteration times one balanced Sinkhorn iteration (two soft-mins
// over N x N pairs) on b: 2-D standard normal clouds (Philox seeds 1 and
// 2, the second shifted by 1), eps = 0.05, no residual checks.
func benchIteration(b *testing.B, be compute.Backend, n int) {
	p := Problem{X: cloud(n, 2, 1, 1, 0), Y: cloud(n, 2, 2, 1, 1), N: n, M: n, D: 2}
	sv, err := NewSolver(be, p, Settings{Eps: 0.05, CheckEvery: 1 << 30, MaxIter: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer sv.Close()
	if err := sv.Step(1); err != nil { // warm-up (pipelines, first dispatch)
		b.Fatal(err)
	}
	if _, _, err := sv.Potentials(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := sv.Step(b.N); err != nil {
		b.Fatal(err)
	}
	if _, _, err := sv.Potentials(); err != nil { // wait for queued work
		b.Fatal(err)
	}
	b.ReportMetric(float64(2*n*n)*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkSinkhornIteration: CPU reference backend (float64).
func BenchmarkSinkhornIteration(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("cpu/n=%d", n), func(b *testing.B) { benchIteration(b, compute.NewCPU(0), n) })
		b.Run(fmt.Sprintf("cpu32/n=%d", n), func(b *testing.B) { benchIteration(b, compute.NewCPUFast(0), n) })
	}
}

// BenchmarkSinkhornIterationGPU: the WebGPU backend (skipped without one).
func BenchmarkSinkhornIterationGPU(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("gpu/n=%d", n), func(b *testing.B) { benchIteration(b, gputest.Backend(b), n) })
	}
}
