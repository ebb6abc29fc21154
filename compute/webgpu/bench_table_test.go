package webgpu_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// speedTableRow is one GPU row of the README's speed section: a kernel
// ("softmin", "softmean" or "sinkhorn": one balanced log-domain Sinkhorn
// iteration, two soft-mins), the dimension and the nominal size.
type speedTableRow struct {
	kernel string
	d      int
	size   string
}

// speedTableSizes are the nominal sizes of the README's tables.
var speedTableSizes = map[string]int{"1e4": 10000, "3e4": 30000, "1e5": 100000}

// speedTableRows lists the rows of bench/gpu/all.sh (its function rows,
// less the solver's iteration, which BenchmarkSinkhornIterationGPU of
// solvers/ot times): d = 2 and 3 at 1e4 and 1e5, the soft-min and the
// soft-mean at d = 4 to 192 at 1e4, 3e4 and 1e5.
func speedTableRows() []speedTableRow {
	rows := []speedTableRow{}
	for _, s := range []string{"1e4", "1e5"} {
		rows = append(rows, speedTableRow{"softmin", 2, s}, speedTableRow{"softmean", 2, s}, speedTableRow{"sinkhorn", 2, s}, speedTableRow{"softmin", 3, s})
	}
	for _, d := range []int{4, 8, 16, 32, 64, 128, 192} {
		for _, s := range []string{"1e4", "3e4", "1e5"} {
			rows = append(rows, speedTableRow{"softmin", d, s}, speedTableRow{"softmean", d, s})
		}
	}
	return rows
}

// BenchmarkSpeedTable times every GPU row of the README's speed section
// with the shipped kernels, one sub-benchmark per row, named as
// bench/gpu/all.sh names its rows (softmin/d=64/n=3e4): N = M points
// uniform in [0, 1]^d, eps = 0.05 d / 2, waiting for the GPU in each
// iteration (so at 1e4 the figures include a submission and a wait per
// call, which `otplay bench --batch 50` amortises). Only the rows of at
// most 1e4 x 1e4 x 3 pair-coordinates (d <= 3 at 1e4) run unless
// OTPLAY_BENCH_LARGE=1: the others are meant for a real GPU (on lavapipe a
// soft-mean at d = 64 and 1e4 takes seconds a call, at 1e5 minutes), and
// `make bench` runs every benchmark. The README's figures come from
// bench/gpu/all.sh on the H100, not from here; this is the same
// measurement from `go test`:
//
//	OTPLAY_BENCH_LARGE=1 go test ./compute/webgpu -run '^$' -bench SpeedTable -benchtime 10x
func BenchmarkSpeedTable(b *testing.B) {
	large := os.Getenv("OTPLAY_BENCH_LARGE") == "1"
	for _, r := range speedTableRows() {
		n := speedTableSizes[r.size]
		b.Run(fmt.Sprintf("%s/d=%d/n=%s", r.kernel, r.d, r.size), func(b *testing.B) {
			if float64(n)*float64(n)*float64(max(r.d, 2)) > 3e8 && !large {
				b.Skipf("N = %d, d = %d: set OTPLAY_BENCH_LARGE=1 (meant for a real GPU)", n, r.d)
			}
			be := gputest.Raw(b)
			if r.kernel == "sinkhorn" {
				benchSinkhornIteration(b, be, n, r.d)
				return
			}
			benchHighDim(b, be, r.kernel, n, r.d)
		})
	}
}

// benchSinkhornIteration times one balanced log-domain Sinkhorn iteration
// on the backend's kernels, as `otplay bench --kernel sinkhorn` does: f
// from (log b, g), then g from (log a, f), uniform weights, waiting for
// the GPU after each iteration; it reports pairs per second (2 N^2 a
// call) and the share of the H100's exp bound (4.18e12 exp/s).
func benchSinkhornIteration(b *testing.B, be *webgpu.Backend, n, d int) {
	arrays := make([]compute.Array, 4)
	for i, size := range []int{n * d, n * d, n, n} {
		a, err := be.Alloc(size)
		if err != nil {
			b.Fatal(err)
		}
		defer be.Free(a)
		arrays[i] = a
	}
	x, y, f, g := arrays[0], arrays[1], arrays[2], arrays[3]
	if err := be.Uniform(x, 1, 0); err != nil {
		b.Fatal(err)
	}
	if err := be.Uniform(y, 2, 0); err != nil {
		b.Fatal(err)
	}
	logw, err := be.Upload(slices.Repeat([]float64{-math.Log(float64(n))}, n))
	if err != nil {
		b.Fatal(err)
	}
	defer be.Free(logw)
	p := compute.Pairs{X: x, Y: y, N: n, M: n, D: d, LogW: logw, G: g, Eps: 0.05 * float64(d) / 2}
	iterate := func() {
		if err := be.SoftMin(f, p); err != nil {
			b.Fatal(err)
		}
		if err := be.SoftMin(g, p.Swap(logw, f)); err != nil {
			b.Fatal(err)
		}
		if err := be.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	iterate()
	b.ResetTimer()
	for range b.N {
		iterate()
	}
	pairs := 2 * float64(n) * float64(n) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(pairs, "pairs/s")
	b.ReportMetric(100*pairs/4.18e12, "%H100-exp-bound")
}

// TestSpeedTableCoversAllSh checks that BenchmarkSpeedTable has a
// sub-benchmark for every kernel row of bench/gpu/all.sh (its function
// groups, run by bash), and no other.
func TestSpeedTableCoversAllSh(t *testing.T) {
	script, err := os.ReadFile("../../bench/gpu/all.sh")
	if err != nil {
		t.Fatal(err)
	}
	src := string(script)
	begin := strings.Index(src, "\ngroups() {")
	end := strings.Index(src[max(begin, 0):], "\n}\n")
	if begin < 0 || end < 0 {
		t.Fatal("bench/gpu/all.sh: no function groups()")
	}
	out, err := exec.Command("bash", "-c", src[begin:begin+end+3]+"HAS_SOLVER=1 groups").Output()
	if err != nil {
		t.Fatalf("bash groups: %v", err)
	}
	var want []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("all.sh groups: %q is not KERNELS D SIZE", line)
		}
		for _, k := range strings.Split(f[0], ",") {
			if k != "solver" { // BenchmarkSinkhornIterationGPU of solvers/ot
				want = append(want, fmt.Sprintf("%s/d=%s/n=%s", k, f[1], f[2]))
			}
		}
	}
	var got []string
	for _, r := range speedTableRows() {
		got = append(got, fmt.Sprintf("%s/d=%d/n=%s", r.kernel, r.d, r.size))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("BenchmarkSpeedTable rows\n%v\nall.sh rows\n%v", got, want)
	}
}
