package compute

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// everyLoops returns one backend of newCPU (every core) per loop kind
// this build runs on this CPU (availableLoops): pure Go always, the
// archsimd loops in the GOEXPERIMENT=simd build, the assembly where the
// CPU has AVX2 and FMA.
func everyLoops(newCPU func(int) *CPU) []*CPU {
	var bs []*CPU
	for _, k := range availableLoops() {
		b := newCPU(0)
		b.loops = k
		bs = append(bs, b)
	}
	return bs
}

// normals returns n standard normal numbers (NormalAt of seed) plus shift.
func normals(seed uint64, n int, shift float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = NormalAt(seed, uint64(i)) + shift
	}
	return v
}

// The loops in use: the fastest available unless OTPLAY_CPU_LOOPS names
// another available one, named in Info().API; an unknown name changes
// nothing.
func TestLoopsSelection(t *testing.T) {
	ks := availableLoops()
	best := ks[len(ks)-1]
	if runtime.GOARCH == "amd64" && hasAsm && best != loopsAsm {
		t.Errorf("amd64 with AVX2 and FMA: default loops %v, want asm", best)
	}
	if runtime.GOARCH != "amd64" && (hasAsm || simd64) {
		t.Errorf("%s: hasAsm %v simd64 %v, want pure Go", runtime.GOARCH, hasAsm, simd64)
	}
	for _, k := range ks {
		t.Setenv("OTPLAY_CPU_LOOPS", k.String())
		if got := NewCPU(0).loops; got != k {
			t.Errorf("OTPLAY_CPU_LOOPS=%v: loops %v", k, got)
		}
		if api := NewCPUFast(0).Info().API; api != k.describe() {
			t.Errorf("OTPLAY_CPU_LOOPS=%v: cpu32 API %q, want %q", k, api, k.describe())
		}
	}
	t.Setenv("OTPLAY_CPU_LOOPS", "avx1024")
	if got := NewCPU(0).loops; got != best {
		t.Errorf("OTPLAY_CPU_LOOPS=avx1024: loops %v, want the default %v", got, best)
	}
	if api := NewCPURef(0).Info().API; api != "Go" {
		t.Errorf("cpuref API %q, want Go", api)
	}
}

// The assembly exp (expSumAVX2, expShiftAVX2) is within 1 ulp of the
// correctly rounded e^t on [-660, 0] and clamps below at e^-708, as the
// scalar exp64.
func TestExpAsm(t *testing.T) {
	if !hasAsm {
		t.Skip("no AVX2 and FMA on this CPU (or not amd64): the assembly loops do not run")
	}
	var worst int64
	w := make([]float64, 4)
	floor := bigExp(-708)
	for i := 0; i <= 10_000; i++ {
		x := -660 * float64(i) / 10_000
		ex := bigExp(x)
		got := expSumAVX2([]float64{x + 1, math.Inf(-1), math.Inf(-1), math.Inf(-1)}, 1)
		expShiftAVX2(w, []float64{0.5, x + 0.5, -1e300, x - 1}, 0.5)
		worst = max(worst, ulpDiff(got, ex+3*floor), ulpDiff(w[1], ex))
		if worst > 1 {
			t.Fatalf("e^%v: sum %v, lane %v, want %v (%d ulps)", x, got, w[1], ex, worst)
		}
		if w[0] != 1 || ulpDiff(w[2], floor) > 1 || ulpDiff(w[3], exp64(x-1.5)) > 2 {
			t.Fatalf("expShiftAVX2 lanes e^0 = %v, e^-1e300 = %v, e^(x-1.5) = %v, want 1, e^-708 and %v", w[0], w[2], w[3], exp64(x-1.5))
		}
	}
	if got := expSumAVX2(nil, 0); got != 0 {
		t.Errorf("empty sum %v", got)
	}
	t.Logf("assembly exp on [-660, 0]: worst %d ulp", worst)
}

// The one-pass soft-min (softMin4x2, d = 2) gives the two-pass result to
// rounding for a shift well below the rows' maxima, and hands the rows
// back (onePass false, nothing written) when the shift is so far below
// that a term may have reached the cap, and for a row with no finite
// bound.
func TestOnePassSoftMin(t *testing.T) {
	if !hasAsm {
		t.Skip("no AVX2 and FMA on this CPU (or not amd64): the assembly loops do not run")
	}
	const n, m, eps = 4, 300, 0.05
	xs, ys, h := normals(1, 2*n, 0), normals(2, 2*m, 0.5), normals(3, m, -math.Log(m))
	cb := newColumnBlocks(ys, h, 2)
	nb := len(cb.start) - 1
	rb := &rowBlock{ub: make([]float64, 4*nb+4), buf: make([]float64, 4*len(cb.h)), n: 4, rows: [4]int{0, 1, 2, 3},
		cb: cb, x: xs, inv: 1 / eps, loops: loopsAsm}
	rb.kept, rb.low = cb.bound(rb.ub, nil, xs, rb.rows, 1/eps, grade64.gap, loopsAsm)
	rb.fillLogits()
	want := make([]float64, n)
	for r := range n {
		var s float64
		for _, b := range rb.kept {
			s += sumExp(rb.buf[r*len(cb.h)+cb.start[b]:r*len(cb.h)+cb.start[b+1]], rb.mx[r], -746)
		}
		want[r] = -eps * (rb.mx[r] + math.Log(s))
		if rb.low[r] > rb.mx[r] || rb.low[r] < rb.mx[r]-20 {
			t.Fatalf("row %d: bound's lower bound %v of the maximum %v", r, rb.low[r], rb.mx[r])
		}
	}
	out := make([]float64, n)
	low := rb.low
	for _, below := range []float64{0, 30, 500} {
		for r := range rb.low {
			rb.low[r] = low[r] - below
		}
		if !rb.onePass(out, eps) {
			t.Fatalf("shift %v below the bound: onePass handed the rows back", below)
		}
		for r := range n {
			if e := math.Abs(out[r]-want[r]) / (math.Abs(want[r]) + 1); !(e < 4e-15) {
				t.Errorf("shift %v below: row %d one-pass %.17g, two-pass %.17g (rel %.3g)", below, r, out[r], want[r], e)
			}
		}
	}
	clear(out)
	for _, low2 := range []float64{low[2] - 650, -math.MaxFloat64, math.NaN()} {
		rb.low = low
		rb.low[2] = low2
		if rb.onePass(out, eps) {
			t.Errorf("row 2 shifted to %v: onePass kept the rows", low2)
		}
		for r, v := range out {
			if v != 0 {
				t.Errorf("row 2 shifted to %v: onePass wrote row %d = %v", low2, r, v)
			}
		}
	}
}

// The package and its tests build and vet for a CPU without the assembly
// (arm64: pure Go loops), and the package builds for amd64 without
// GOEXPERIMENT=simd (the plain `go build` / `go install`, which make test
// also runs ./compute's tests in).
func TestBuildsForOtherTargets(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		t.Skipf("no go command at %s to build with", gobin)
	}
	for _, run := range []struct{ args, env []string }{
		{[]string{"vet", "."}, []string{"GOARCH=arm64"}},
		{[]string{"build", "."}, []string{"GOARCH=amd64"}},
	} {
		cmd := exec.Command(gobin, run.args...)
		cmd.Env = append(os.Environ(), append(run.env, "GOEXPERIMENT=", "CGO_ENABLED=0")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s go %s: %v\n%s", strings.Join(run.env, " "), strings.Join(run.args, " "), err, out)
		}
	}
}

// The assembly bound at d = 2 (bound2AVX2) gives the pure Go bound's
// numbers to rounding and keeps the same blocks, at eps where most blocks
// are skipped and where none is.
func TestBound2Asm(t *testing.T) {
	if !hasAsm {
		t.Skip("no AVX2 and FMA on this CPU (or not amd64): the assembly loops do not run")
	}
	const n, m = 9, 1000
	xs, ys, h := normals(1, 2*n, 0), normals(2, 2*m, 0.5), normals(3, m, 0)
	h[17] = math.Inf(-1)
	cb := newColumnBlocks(ys, h, 2)
	nb := len(cb.start) - 1
	for _, eps := range []float64{1e-3, 0.05, 100} {
		ubG, ubA := make([]float64, 4*nb+4), make([]float64, 4*nb+4)
		rows := [4]int{2, 7, 8, 0}
		keptG, lowG := cb.bound(ubG, nil, xs, rows, 1/eps, grade64.gap, loopsGo)
		keptA, lowA := cb.bound(ubA, nil, xs, rows, 1/eps, grade64.gap, loopsAsm)
		if !slices.Equal(keptG, keptA) {
			t.Errorf("eps %g: kept blocks %v (Go), %v (asm)", eps, keptG, keptA)
		}
		for k := range 4 * nb {
			if e := math.Abs(ubA[k] - ubG[k]); !(e <= 1e-14*(math.Abs(ubG[k])+1)) {
				t.Fatalf("eps %g: bound %d = %v (asm), %v (Go)", eps, k, ubA[k], ubG[k])
			}
		}
		for r := range 4 {
			if e := math.Abs(lowA[r] - lowG[r]); !(e <= 1e-14*(math.Abs(lowG[r])+1)) {
				t.Errorf("eps %g row %d: lower bound %v (asm), %v (Go)", eps, r, lowA[r], lowG[r])
			}
		}
		t.Logf("eps %g: %d of %d blocks kept", eps, len(keptA), nb)
	}
}

// The assembly direct-form logits (logits4SoA, d = 1 and 3 .. 15) equal
// the scalar ones (logits4) to a few ulps of the logits' scale, maxima
// included, and the padding's -Inf stays -Inf.
func TestLogitsSoAAsm(t *testing.T) {
	if !hasAsm {
		t.Skip("no AVX2 and FMA on this CPU (or not amd64): the assembly loops do not run")
	}
	const n, m, inv = 9, 70, 7.0
	for _, d := range []int{1, 3, 5, 8, 15} {
		xs, ys, h := normals(1, n*d, 0), normals(2, m*d, 0.5), normals(3, m, 0)
		cb := newColumnBlocks(ys, h, d)
		cb.soa()
		rows := [4]int{3, 0, 8, 5}
		mc, kept := len(cb.h), identity(len(cb.start)-1)
		bufA, bufG := make([]float64, 4*mc), make([]float64, 4*mc)
		mxA := cb.logits(bufA, kept, xs, nil, rows, inv, loopsAsm)
		cb.ys = nil
		mxG := cb.logits(bufG, kept, xs, nil, rows, inv, loopsGo)
		for j := range bufA {
			if math.IsInf(bufG[j], -1) != math.IsInf(bufA[j], -1) || math.Abs(bufA[j]-bufG[j]) > 1e-14*(math.Abs(bufG[j])+1) {
				t.Fatalf("d=%d logit %d: asm %v, Go %v", d, j, bufA[j], bufG[j])
			}
		}
		for r := range 4 {
			if math.Abs(mxA[r]-mxG[r]) > 1e-14*(math.Abs(mxG[r])+1) {
				t.Errorf("d=%d row %d maximum: asm %v, Go %v", d, r, mxA[r], mxG[r])
			}
		}
	}
}

// A NaN column bias (g) makes every row of a d = 2 soft-min NaN on every
// loop kind, as in the reference, and a NaN point its own row only: the
// one-pass kernel keeps NaN exponents NaN and hands such rows to the
// two-pass loops.
func TestSoftMinNaN(t *testing.T) {
	for _, nanG := range []bool{false, true} {
		xs, ys, g := normals(1, 2*9, 0), normals(2, 2*40, 0), normals(3, 40, 0)
		xs[7] = math.NaN() // row 3
		if nanG {
			g[5] = math.NaN()
		}
		for _, b := range append([]*CPU{NewCPURef(0)}, everyLoops(NewCPU)...) {
			x, _ := b.Upload(xs)
			y, _ := b.Upload(ys)
			gg, _ := b.Upload(g)
			dst, _ := b.Alloc(9)
			if err := b.SoftMin(dst, Pairs{X: x, Y: y, N: 9, M: 40, D: 2, G: gg, Eps: 0.1}); err != nil {
				t.Fatal(err)
			}
			for i, v := range Data(dst) {
				if math.IsNaN(v) != (nanG || i == 3) {
					t.Errorf("NaN g %v, %s loops %v: row %d = %v", nanG, b.Info().Name, b.loops, i, v)
				}
			}
		}
	}
}
