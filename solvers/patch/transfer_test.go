package patch

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/imageio"
)

// densePlan returns P_ij = a_i b_j exp((F_i + G_j - C_ij)/eps) (uniform
// a, b) from the potentials, in float64 on the host.
func densePlan(tr *levelTrace) []float64 {
	p, r := tr.prob, tr.plan
	P := make([]float64, p.N*p.M)
	for i := 0; i < p.N; i++ {
		for j := 0; j < p.M; j++ {
			var c float64
			for k := 0; k < p.D; k++ {
				t := p.X[i*p.D+k] - p.Y[j*p.D+k]
				c += t * t
			}
			P[i*p.M+j] = math.Exp((r.F[i]+r.G[j]-c)/r.Eps) / float64(p.N*p.M)
		}
	}
	return P
}

// The plan between the patch sets has the marginals (uniform a, b) to the
// solver's tolerance, and the transported patch set keeps them: the
// a-weighted mean of the mapped patches equals the b-weighted mean of the
// target patches (sum_i a_i T(x_i) = sum_ij P_ij y_j = sum_j b_j y_j).
// Checked in full dimension (48 values) and with a PCA projection to 12.
func TestPatchPlanMarginals(t *testing.T) {
	b := compute.NewCPU(0)
	src, tgt := loadPhoto(t, "china.jpg", 28), loadPhoto(t, "flower.jpg", 24)
	for _, dim := range []int{48, 12} {
		s, err := Settings{Size: 4, Stride: 2, Levels: 1, ProjectDim: dim, Tol: 1e-6, MaxIter: 2000}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		var tr levelTrace
		out, lr, err := transferLevel(b, src, tgt, s, 0, &tr)
		if err != nil {
			t.Fatal(err)
		}
		if out.Width != src.Width || out.Height != src.Height {
			t.Fatalf("output %d x %d, want the source's %d x %d", out.Width, out.Height, src.Width, src.Height)
		}
		P := densePlan(&tr)
		n, m := tr.prob.N, tr.prob.M
		var rowErr, colErr float64
		for i := 0; i < n; i++ {
			var r float64
			for j := 0; j < m; j++ {
				r += P[i*m+j]
			}
			rowErr += math.Abs(r - 1/float64(n))
		}
		for j := 0; j < m; j++ {
			var c float64
			for i := 0; i < n; i++ {
				c += P[i*m+j]
			}
			colErr += math.Abs(c - 1/float64(m))
		}
		if rowErr+colErr > 1e-5 {
			t.Errorf("dim %d: plan marginal errors %.3g (rows) + %.3g (columns), want <= 1e-5", dim, rowErr, colErr)
		}
		D := 48
		var worst, scale float64
		for k := 0; k < D; k++ {
			var mx, my float64
			for i := 0; i < n; i++ {
				mx += tr.mapped[i*D+k] / float64(n)
			}
			for j := 0; j < m; j++ {
				my += tr.target[j*D+k] / float64(m)
			}
			worst = max(worst, math.Abs(mx-my))
			scale = max(scale, math.Abs(my))
		}
		t.Logf("dim %d (explained %.4f): %d x %d patches, eps %.3g, %d iterations, marginal errors %.2g/%.2g, mapped-vs-target mean %.2g", dim, lr.Explained, n, m, lr.Eps, lr.Iterations, rowErr, colErr, worst)
		if worst > 1e-5*scale {
			t.Errorf("dim %d: mean of the mapped patches differs from the target patches' by %.3g (scale %.3g)", dim, worst, scale)
		}
		if dim < D && !(lr.Explained > 0.5 && lr.Explained < 1) {
			t.Errorf("dim %d: explained variance %g", dim, lr.Explained)
		}
	}
}

// Transporting an image's patches onto its own is near the identity: the
// plan concentrates on the diagonal as eps -> 0; with eps = 1e-3 x the
// mean cost the fold of the barycentric patches is within 0.01 of the
// image (measured 0.0006 at 32 x 21, single-scale and with two levels).
func TestPatchSelfTransfer(t *testing.T) {
	b := compute.NewCPU(0)
	src := loadPhoto(t, "china.jpg", 32)
	for _, levels := range []int{1, 2} {
		s := Settings{Size: 4, Stride: 2, Levels: levels, Eps: 0}
		// eps relative to this image's patch cost: one run to read it.
		_, res, err := Transfer(b, src, src, Settings{Size: 4, Stride: 2, Levels: 1, MaxIter: 1})
		if err != nil {
			t.Fatal(err)
		}
		s.Eps = 1e-3 * res.Levels[0].MeanCost
		out, res, err := Transfer(b, src, src, s)
		if err != nil {
			t.Fatal(err)
		}
		d := meanAbsDiff(out, src)
		t.Logf("levels %d: mean |out - src| = %.3g (%v)", levels, d, res.Time)
		if d > 0.01 {
			t.Errorf("levels %d: self transfer moved pixels by %.3g on average, want <= 0.01", levels, d)
		}
	}
}

// Between two photographs the output keeps the source's size, lies in
// [0, 1], and its colour statistics move toward the target's; a partial
// transport with a small mass stays closer to the source than the
// balanced one.
func TestPatchTransferPhotographs(t *testing.T) {
	b := compute.NewCPU(0)
	src, tgt := loadPhoto(t, "china.jpg", 40), loadPhoto(t, "flower.jpg", 40)
	out, res, err := Transfer(b, src, tgt, Settings{Size: 4, Stride: 2, Levels: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Levels) != 2 || res.Levels[0].Width != 20 || res.Levels[1].Width != 40 {
		t.Errorf("levels %+v, want widths 20 then 40", res.Levels)
	}
	for i, v := range out.Pix {
		if !(v >= 0 && v <= 1) {
			t.Fatalf("Pix[%d] = %g outside [0, 1]", i, v)
		}
	}
	m0, _ := momentErrors(src, tgt)
	m1, _ := momentErrors(out, tgt)
	t.Logf("mean colour error to target: source %.3g, transported %.3g; levels %+v", m0, m1, res.Levels)
	if m1 > 0.3*m0 {
		t.Errorf("transported mean colour error %.3g, want <= 0.3 x the source's %.3g", m1, m0)
	}
	src, tgt = loadPhoto(t, "china.jpg", 28), loadPhoto(t, "flower.jpg", 28)
	part, pres, err := Transfer(b, src, tgt, Settings{Size: 4, Stride: 2, Levels: 1, Mass: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	full, _, err := Transfer(b, src, tgt, Settings{Size: 4, Stride: 2, Levels: 1})
	if err != nil {
		t.Fatal(err)
	}
	dp, df := meanAbsDiff(part, src), meanAbsDiff(full, src)
	t.Logf("mass 0.2: mean change %.3g (balanced %.3g), marginal error %.2g", dp, df, pres.Levels[0].MarginalError)
	if dp >= 0.6*df {
		t.Errorf("partial (mass 0.2) changed the source by %.3g, balanced by %.3g: want partial < 0.6 x balanced", dp, df)
	}
}

// 3 x 16 x 16 = 768-value patches go through the PCA projection (the
// Backend's SoftMin takes at most 256 dimensions) and the blocked
// SoftMean of the full patches.
func TestPatchLargestPatches(t *testing.T) {
	b := compute.NewCPU(0)
	src, tgt := loadPhoto(t, "china.jpg", 40), loadPhoto(t, "flower.jpg", 40)
	out, res, err := Transfer(b, src, tgt, Settings{Size: 16, Stride: 8, Levels: 1, ProjectDim: 32})
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Levels[0]; l.Dim != 32 || l.SourcePatches != 12 || !(l.Explained > 0.5) {
		t.Errorf("level %+v: want 32-D costs, 4 x 3 = 12 source patches", l)
	}
	if out.Width != 40 || out.Height != 27 {
		t.Errorf("output %d x %d", out.Width, out.Height)
	}
	// softMeanWide against the plain loop.
	n, m, d, dv := 5, 7, 3, 600
	x, y, v := randomImage(n*d, 1), randomImage(m*d, 2), randomImage(m*dv, 3)
	a := &arena{b: b}
	defer a.free()
	xa, ya, va, dst := a.upload(x), a.upload(y), a.upload(v), a.alloc(n*dv)
	if err := softMeanWide(a, dst, compute.Pairs{X: xa, Y: ya, N: n, M: m, D: d, Eps: 0.3}, va, dv); err != nil {
		t.Fatal(err)
	}
	got := a.read(dst)
	for i := 0; i < n; i++ {
		var ws float64
		w := make([]float64, m)
		for j := range w {
			var c float64
			for k := 0; k < d; k++ {
				c += (x[i*d+k] - y[j*d+k]) * (x[i*d+k] - y[j*d+k])
			}
			w[j] = math.Exp(-c / 0.3)
			ws += w[j]
		}
		for e := 0; e < dv; e++ {
			var want float64
			for j := range w {
				want += w[j] / ws * v[j*dv+e]
			}
			if math.Abs(got[i*dv+e]-want) > 1e-12 {
				t.Fatalf("softMeanWide[%d,%d] = %g, want %g", i, e, got[i*dv+e], want)
			}
		}
	}
}

func TestPatchBadInput(t *testing.T) {
	b := compute.NewCPU(0)
	img := loadPhoto(t, "china.jpg", 20)
	geometry := []Settings{
		{Size: 21}, {Size: 17}, {Size: -1}, {Size: 4, Stride: -1}, {Size: 4, Stride: 5},
	}
	for _, s := range geometry {
		if _, _, err := Transfer(b, img, img, s); !errors.Is(err, ErrGeometry) {
			t.Errorf("settings %+v: error %v, want ErrGeometry", s, err)
		}
	}
	small := loadPhoto(t, "flower.jpg", 6)
	if _, _, err := Transfer(b, img, small, Settings{Size: 8}); !errors.Is(err, ErrGeometry) {
		t.Errorf("patch larger than the target: %v", err)
	}
	if _, _, err := Transfer(b, img, img, Settings{Size: 8, Levels: 3}); !errors.Is(err, ErrGeometry) {
		t.Errorf("patch larger than the coarsest level: %v", err)
	}
	bad := []Settings{
		{Eps: -1}, {Eps: math.Inf(1)}, {Mass: 1.5}, {Levels: -1}, {MaxPatches: 1},
		{ProjectDim: 1000}, {ProjectDim: -3}, {MaxIter: -1}, {Tier: "grid"}, {Tier: "fast"}, {Tier: "full", Mass: 0.5},
	}
	for _, s := range bad {
		if _, _, err := Transfer(b, img, img, s); !errors.Is(err, ErrSettings) {
			t.Errorf("settings %+v: error %v, want ErrSettings", s, err)
		}
	}
	if _, _, err := Transfer(nil, img, img, Settings{}); err == nil {
		t.Error("nil backend: no error")
	}
	if _, _, err := Transfer(b, &imageio.Image{}, img, Settings{}); !errors.Is(err, imageio.ErrEmpty) {
		t.Errorf("empty source: %v", err)
	}
}

// The randomized principal components agree with the full
// eigensolver's: same explained variance, same subspace.
func TestPrincipalComponents(t *testing.T) {
	d, dp := 120, 8
	// A covariance with a decaying spectrum: sum_k 0.7^k u_k u_k^T.
	a := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, compute.NormalAt(5, uint64(i*d+j)))
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var u mat.Dense
	qr.QTo(&u)
	cov := mat.NewSymDense(d, nil)
	for k := 0; k < d; k++ {
		lam := math.Pow(0.7, float64(k))
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				cov.SetSym(i, j, cov.At(i, j)+lam*u.At(i, k)*u.At(j, k))
			}
		}
	}
	fast, ef, err := principalComponents(cov, dp) // randomized: 4 dp < d
	if err != nil {
		t.Fatal(err)
	}
	full, ee, err := principalComponents(cov, d/4) // full eigensolver
	if err != nil {
		t.Fatal(err)
	}
	var want float64
	for k := 0; k < dp; k++ {
		want += math.Pow(0.7, float64(k))
	}
	want /= (1 - math.Pow(0.7, float64(d))) / 0.3
	if math.Abs(ef-want) > 1e-8 {
		t.Errorf("randomized explained variance %.12g, want %.12g", ef, want)
	}
	if ee <= ef {
		t.Errorf("full solver with %d components explains %g <= %g", d/4, ee, ef)
	}
	// Each randomized component is +-1 times the full one.
	for r := 0; r < dp; r++ {
		var dot float64
		for i := 0; i < d; i++ {
			dot += fast[i*dp+r] * full[i*(d/4)+r]
		}
		if math.Abs(math.Abs(dot)-1) > 1e-6 {
			t.Errorf("component %d: |<randomized, full>| = %g, want 1", r, math.Abs(dot))
		}
	}
}
