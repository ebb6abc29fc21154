package compute

import (
	"math"
	"math/big"
	"slices"
	"testing"
)

// ln2Big is ln 2 to 100 digits (OEIS A002162).
const ln2Big = "0.6931471805599453094172321214581765680755001343602552541206800094933936219696947156058633269964186875"

// bigExp returns e^x correctly rounded to float64 (round to nearest, also
// for subnormal results): e^x = 2^k e^r with r = x - k ln 2 in 256-bit
// arithmetic and e^r by its Taylor series to 2^-200.
func bigExp(x float64) float64 {
	switch {
	case x > 710: // e^710 > MaxFloat64
		return math.Inf(1)
	case x < -746: // e^-746 < 2^-1075, half the least subnormal
		return 0
	}
	const prec = 256
	ln2, _, _ := big.ParseFloat(ln2Big, 10, prec, big.ToNearestEven)
	k := math.Round(x / math.Ln2)
	r := new(big.Float).SetPrec(prec).SetFloat64(x)
	r.Sub(r, new(big.Float).SetPrec(prec).Mul(ln2, big.NewFloat(k)))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := int64(1); i < 45; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(i))
		sum.Add(sum, term)
	}
	sum.SetMantExp(sum, int(k))
	f, _ := sum.Float64()
	return f
}

// ulpDiff returns how many float64 values lie between a and b (both of
// one sign or zero); 0 when equal, MaxInt64 when one is NaN and the other
// is not.
func ulpDiff(a, b float64) int64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		if math.IsNaN(a) && math.IsNaN(b) {
			return 0
		}
		return math.MaxInt64
	}
	d := int64(math.Float64bits(a)) - int64(math.Float64bits(b))
	if d < 0 {
		d = -d
	}
	return d
}

// TestExp64 compares exp64 with the correctly rounded e^x (bigExp) over
// the whole float64 range: a sweep of [-750, 712], which crosses the
// subnormal results (x < -708.4), the underflow to 0 (x < -745.13) and the
// overflow to +Inf (x > 709.78), a finer sweep near 0, and the edges
// themselves with their neighbours; then the special values. (math.Exp is
// no reference here: on amd64 it overflows to +Inf from x = 709.44.)
func TestExp64(t *testing.T) {
	var worstNormal, worstSub int64
	var worstAt float64
	check := func(x float64) {
		got, want := exp64(x), bigExp(x)
		d := ulpDiff(got, want)
		if want != 0 && want < 0x1p-1022 {
			worstSub = max(worstSub, d)
			if d > 1 {
				t.Fatalf("exp64(%v) = %v, want %v (subnormal, %d ulps)", x, got, want, d)
			}
			return
		}
		if d > worstNormal {
			worstNormal, worstAt = d, x
		}
		if d > 1 {
			t.Fatalf("exp64(%v) = %v, want %v (%d ulps)", x, got, want, d)
		}
	}
	const steps = 40_000
	for i := 0; i <= steps; i++ {
		check(-750 + 1462*float64(i)/steps + 1e-7*NormalAt(9, uint64(i)))
	}
	for i := 0; i <= 4_000; i++ { // near 0, where e^x ~ 1 + x
		check(1e-3 * (float64(i)/2_000 - 1))
	}
	edges := []float64{0, math.Copysign(0, -1), 1, -1, 0x1p-60, -0x1p-60, math.Ln2, -math.Ln2, math.Ln2 / 2, -math.Ln2 / 2,
		709.782712893384, 709.7827128933841, 709.79, 710, 1000, math.MaxFloat64,
		-708.3964185322641, -708.4, -744.44007192138, -745.1332191019411, -745.1332191019412,
		-745.14, -746, -1e300, -math.MaxFloat64}
	for _, x := range edges {
		check(x)
		check(math.Nextafter(x, math.Inf(1)))
		check(math.Nextafter(x, math.Inf(-1)))
	}
	if got := exp64(math.NaN()); !math.IsNaN(got) {
		t.Errorf("exp64(NaN) = %v, want NaN", got)
	}
	if got := exp64(math.Inf(-1)); got != 0 {
		t.Errorf("exp64(-Inf) = %v, want 0", got)
	}
	if got := exp64(math.Inf(1)); !math.IsInf(got, 1) {
		t.Errorf("exp64(+Inf) = %v, want +Inf", got)
	}
	t.Logf("exp64 against the correctly rounded e^x: worst %d ulp on normal results (at x = %v), %d on subnormal ones", worstNormal, worstAt, worstSub)
}

// softMinCase runs SoftMin on b over two seeded clouds (n rows, m columns,
// dimension d), with a column of zero weight and a nonzero potential.
func softMinCase(t *testing.T, b *CPU, n, m, d int, eps float64) []float64 {
	t.Helper()
	xs := make([]float64, n*d)
	ys := make([]float64, m*d)
	for i := range xs {
		xs[i] = NormalAt(1, uint64(i))
	}
	for i := range ys {
		ys[i] = NormalAt(2, uint64(i)) + 1
	}
	lw := make([]float64, m)
	g := make([]float64, m)
	for j := range lw {
		lw[j] = -math.Log(float64(m))
		g[j] = 0.3 * NormalAt(3, uint64(j))
	}
	lw[m/2] = math.Inf(-1)
	x, _ := b.Upload(xs)
	y, _ := b.Upload(ys)
	w, _ := b.Upload(lw)
	gg, _ := b.Upload(g)
	dst, _ := b.Alloc(n)
	if err := b.SoftMin(dst, Pairs{X: x, Y: y, N: n, M: m, D: d, LogW: w, G: gg, Eps: eps}); err != nil {
		t.Fatal(err)
	}
	return Data(dst)
}

// The float64 fast soft-min (NewCPU, vector and scalar loops) equals the
// plain loop (NewCPURef) to a few ulps of the terms' scale, on blocks of 1
// to 4 rows (n = 1 .. 9) and many column blocks (n = 1000, where most
// blocks are skipped at small eps), d = 1, 2, 3, 5 and 64, eps from 1e-3 to
// 10.
func TestSoftMin64MatchesReference(t *testing.T) {
	fast, ref := NewCPU(0), NewCPURef(0)
	if fast.Info().Name != "cpu" || ref.Info().Name != "cpuref" {
		t.Fatalf("names %q and %q, want cpu and cpuref", fast.Info().Name, ref.Info().Name)
	}
	t.Logf("loops: %v", availableLoops())
	var worst float64
	for _, d := range []int{1, 2, 3, 5, 64} {
		for _, n := range []int{1, 2, 3, 4, 5, 9, 130, 1000} {
			for _, eps := range []float64{1e-3, 0.05, 10} {
				m := n + 3
				want := softMinCase(t, ref, n, m, d, eps)
				for _, b := range everyLoops(NewCPU) {
					got := softMinCase(t, b, n, m, d, eps)
					for i := range want {
						// The scale of the terms: the logits reach |g|/eps + C/eps.
						scale := math.Abs(want[i]) + 2*float64(d) + 1
						e := math.Abs(got[i]-want[i]) / scale
						worst = max(worst, e)
						if !(e <= 2e-14) {
							t.Fatalf("d=%d n=%d eps=%g row %d (loops %v): fast %.17g, reference %.17g (rel %.3g)", d, n, eps, i, b.loops, got[i], want[i], e)
						}
					}
				}
			}
		}
	}
	t.Logf("worst difference, relative to the terms' scale: %.3g", worst)
}

// A row with no column of nonzero weight gives +Inf, as in the reference.
func TestSoftMin64NoWeight(t *testing.T) {
	for _, b := range []*CPU{NewCPU(1), NewCPURef(1)} {
		x, _ := b.Upload([]float64{0, 0, 1, 1})
		y, _ := b.Upload([]float64{0.5, 0.5, 2, 2, 3, 3})
		w, _ := b.Upload([]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)})
		dst, _ := b.Alloc(2)
		if err := b.SoftMin(dst, Pairs{X: x, Y: y, N: 2, M: 3, D: 2, LogW: w, Eps: 0.1}); err != nil {
			t.Fatal(err)
		}
		for i, v := range Data(dst) {
			if !math.IsInf(v, 1) {
				t.Errorf("%s: row %d = %v, want +Inf", b.Info().Name, i, v)
			}
		}
	}
}

// The float64 fast soft-mean (NewCPU, vector and scalar logits) equals the
// plain loop (NewCPURef) to (1e-13 + 1e-15 max C / eps) of max|V|, over
// the sizes, dimensions and eps of TestSoftMin64MatchesReference, value
// dimensions 1 and 3, a column of zero weight and a nonzero potential. A
// logit C/eps carries a rounding error of a few ulps of its size (the
// vector loops sum (x - y)^2 in another order), which moves each weight
// by as much relative: at d = 64 and eps = 1e-3 that is 1e-10.
func TestSoftMean64MatchesReference(t *testing.T) {
	ref := NewCPURef(0)
	var worst float64
	for _, d := range []int{1, 2, 3, 64} {
		for _, n := range []int{1, 5, 130, 1000} {
			for _, eps := range []float64{1e-3, 0.05, 10} {
				for _, dv := range []int{1, 3} {
					m := n + 3
					var maxC float64
					run := func(b *CPU) []float64 {
						xs, ys, vs := make([]float64, n*d), make([]float64, m*d), make([]float64, m*dv)
						for i := range xs {
							xs[i] = NormalAt(1, uint64(i))
						}
						for i := range ys {
							ys[i] = NormalAt(2, uint64(i)) + 1
						}
						for i := range vs {
							vs[i] = NormalAt(4, uint64(i))
						}
						lw, g := make([]float64, m), make([]float64, m)
						for j := range lw {
							lw[j], g[j] = -math.Log(float64(m)), 0.3*NormalAt(3, uint64(j))
						}
						lw[m/2] = math.Inf(-1)
						if maxC == 0 { // once per case
							for i := range n {
								for j := range m {
									var c float64
									for k := range d {
										c += (xs[i*d+k] - ys[j*d+k]) * (xs[i*d+k] - ys[j*d+k])
									}
									maxC = max(maxC, c)
								}
							}
						}
						x, _ := b.Upload(xs)
						y, _ := b.Upload(ys)
						w, _ := b.Upload(lw)
						gg, _ := b.Upload(g)
						v, _ := b.Upload(vs)
						dst, _ := b.Alloc(n * dv)
						if err := b.SoftMean(dst, Pairs{X: x, Y: y, N: n, M: m, D: d, LogW: w, G: gg, Eps: eps}, v, dv); err != nil {
							t.Fatal(err)
						}
						return Data(dst)
					}
					want := run(ref)
					for _, b := range everyLoops(NewCPU) {
						got := run(b)
						for i := range want {
							// max|V| of 3e3 normals is below 5.
							e := math.Abs(got[i]-want[i]) / 5 / (1e-13 + 1e-15*maxC/eps)
							worst = max(worst, e)
							if !(e <= 1) {
								t.Fatalf("d=%d n=%d eps=%g dv=%d entry %d (loops %v): fast %.17g, reference %.17g", d, n, eps, dv, i, b.loops, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
	t.Logf("worst difference, in units of the tolerance: %.3g", worst)
}

// nthElement leaves the point of rank k at k, none larger before it and
// none smaller after, with ties (a coordinate of few values) and in two
// dimensions; with NaN coordinates it ends and keeps a permutation.
func TestNthElement(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 64, 1001} {
		for _, levels := range []float64{0, 3} { // 0: continuous; 3: three values
			y := make([]float64, 2*n)
			for i := range y {
				y[i] = NormalAt(uint64(n), uint64(i))
				if levels > 0 {
					y[i] = math.Round(y[i]) // mostly -1, 0, 1
				}
			}
			for _, k := range []int{0, n / 2, n - 1} {
				perm := identity(n)
				nthElement(y, 2, 1, perm, k)
				sorted := slices.Clone(perm)
				slices.Sort(sorted)
				if !slices.Equal(sorted, identity(n)) {
					t.Fatalf("n=%d: not a permutation", n)
				}
				pk := y[2*perm[k]+1]
				for i, j := range perm {
					if v := y[2*j+1]; (i < k && v > pk) || (i > k && v < pk) {
						t.Fatalf("n=%d levels=%v k=%d: position %d holds %v against %v at k", n, levels, k, i, v, pk)
					}
				}
			}
		}
	}
	y := []float64{3, math.NaN(), 1, math.NaN(), 2, 0, math.NaN()}
	perm := identity(len(y))
	nthElement(y, 1, 0, perm, 3)
	sorted := slices.Clone(perm)
	slices.Sort(sorted)
	if !slices.Equal(sorted, identity(len(y))) {
		t.Errorf("with NaN: %v is not a permutation", perm)
	}
}
