package webgpu_test

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// tinyEpsCloud returns the inputs of the hierarchical sampler's last step
// on 8gaussians (the failing `otplay sample --data 8gaussians:2000
// --sampler ddim --steps 50 --n 500 --hierarchical` on the GPU): n points
// around the 8 centres 2 (cos, sin)(k pi/4), spread 0.02, the batch
// against itself (X = Y), log-weights in [-1, 1], eps = 2 sigma^2 at
// sigma = 1e-4.
func tinyEpsCloud(n int) (x, logw []float64, eps float64) {
	x = make([]float64, 2*n)
	logw = make([]float64, n)
	for i := range n {
		a := float64(i%8) * math.Pi / 4
		x[2*i] = 2*math.Cos(a) + 0.02*compute.NormalAt(71, uint64(2*i))
		x[2*i+1] = 2*math.Sin(a) + 0.02*compute.NormalAt(71, uint64(2*i+1))
		logw[i] = 2*compute.UniformAt(72, uint64(i)) - 1
	}
	return x, logw, 2e-8
}

// softMinExponentError runs SoftMin with cost c on g and on the float64
// CPU backend and returns max_i |f_gpu,i - f_cpu,i| / eps, the error of
// the log-kernel log (K w)_i = -f_i / eps in nats, with its row.
func softMinExponentError(t *testing.T, g compute.Backend, c compute.Cost, x, logw []float64, eps float64) (float64, int) {
	t.Helper()
	n := len(logw)
	var got, want []float64
	for _, b := range []compute.Backend{g, compute.NewCPU(0)} {
		xa, wa, dst := put(t, b, x), put(t, b, logw), put(t, b, make([]float64, n))
		p := compute.Pairs{X: xa, Y: xa, N: n, M: n, D: 2, LogW: wa, Eps: eps, Cost: c}
		if err := b.SoftMin(dst, p); err != nil {
			t.Fatal(err)
		}
		out := make([]float64, n)
		if err := b.Read(out, dst); err != nil {
			t.Fatal(err)
		}
		if got == nil {
			got = out
		} else {
			want = out
		}
		b.Free(xa)
		b.Free(wa)
		b.Free(dst)
	}
	worst, at := 0.0, -1
	for i := range got {
		e := math.Abs(got[i]-want[i]) / eps
		if !(e <= worst) {
			worst, at = e, i
		}
	}
	return worst, at
}

func put(t *testing.T, b compute.Backend, v []float64) compute.Array {
	t.Helper()
	a, err := b.Alloc(len(v))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Write(a, v); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSoftMinTinyEps: at eps = 2e-8 on points of spread 4 (the float32
// floor Epsilon max C / eps is ~200) the fused squared Euclidean soft-min
// on the GPU parts from the float64 one by tens of nats in the exponent
// (89.6 on lavapipe), at the rows farthest from the centring point Y[0]:
// the expanded cost |x'|^2 - 2 x'.y' + |y'|^2, scaled by log2(e)/eps, is
// ~1e9 there and its float32 rounding is ~100. That is what failed the
// hierarchical sampler at sigma = 1e-4. The cost summed from coordinate
// differences (compute.Cost.Differences) rounds relative to C_ij itself:
// exact on the diagonal (off-diagonal costs here are >= ~1e3 eps, so only
// the diagonal survives, in float32 as in float64: error <= 1e-3 nats),
// and near pairs 1e-4 apart keep their exponent to 1e-2 nats.
func TestSoftMinTinyEps(t *testing.T) {
	g := gputest.Backend(t)
	x, logw, eps := tinyEpsCloud(500)
	e, i := softMinExponentError(t, g, compute.Cost{}, x, logw, eps)
	t.Logf("expanded |x - y|^2: max exponent error %.3g nats at row %d (x = %.3f, %.3f); float32 floor %.3g",
		e, i, x[2*i], x[2*i+1], compute.Float32.Floor(compute.SquaredDiameter(x, x, 2), eps))
	e, i = softMinExponentError(t, g, compute.Cost{Differences: true}, x, logw, eps)
	if !(e <= 1e-3) {
		t.Errorf("differences: max exponent error %.3g nats at row %d, want <= 1e-3", e, i)
	}
	t.Logf("differences: max exponent error %.3g nats", e)
	// Near pairs that matter: rows duplicated at distance ~sigma, so the
	// off-diagonal weight is e^-1/2 and the soft-min mixes two terms. The
	// coordinates (~2) are stored in float32, which moves a 1e-4 gap by up
	// to ~2.4e-7 (1.2e-3 of the cost 0.5 eps' gap after squaring twice
	// that): ~1e-3 nats, under the 1e-2 asked (the marginal limit of the
	// hierarchical sampler, HierarchicalMarginalLimit).
	for k := 0; k < len(x)/2; k += 2 {
		x[2*k+2] = x[2*k] + 1e-4
		x[2*k+3] = x[2*k+1]
	}
	e, i = softMinExponentError(t, g, compute.Cost{Differences: true}, x, logw, eps)
	if !(e <= 1e-2) {
		t.Errorf("differences, pairs 1e-4 apart: max exponent error %.3g nats at row %d, want <= 1e-2", e, i)
	}
	t.Logf("differences, pairs 1e-4 apart: max exponent error %.3g nats", e)
}
