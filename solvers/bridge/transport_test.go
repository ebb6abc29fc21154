package bridge

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/solvers/ot"
)

// referenceTransport simulates the transports of transport.go on the host
// in float64 from their definitions: E[Y | X_t = x] summed over the whole
// dense bridge mixture (bruteMean, not the factorised SoftMean), the
// covariance by two passes, the normals drawn from the same Philox stream.
func referenceTransport(t *testing.T, br *Bridge, x0 []float64, s SimSettings) ([]float64, float64) {
	t.Helper()
	P, err := br.Static.PlanDense(br.be)
	if err != nil {
		t.Fatal(err)
	}
	d, n := br.D, len(x0)/br.D
	x := append([]float64(nil), x0...)
	v := make([]float64, len(x0))
	h := 1 / float64(s.Steps)
	beta := s.Momentum
	if beta == 0 {
		beta = DefaultMomentum
	}
	c := cpu()
	za, _ := c.Alloc(len(x0))
	defer c.Free(za)
	z := make([]float64, len(x0))
	energy := 0.0
	for k := 0; k < s.Steps; k++ {
		tt := float64(k) * h
		m := make([]float64, len(x0))
		for i := 0; i < n; i++ {
			if tt > 0 {
				copy(m[i*d:(i+1)*d], bruteMean(br, P, x[i*d:(i+1)*d], tt))
			} else {
				copy(m[i*d:(i+1)*d], entropicMapHost(br, x[i*d:(i+1)*d]))
			}
		}
		if k == s.Steps-1 {
			for i := range m {
				energy += (m[i] - x[i]) * (m[i] - x[i]) / (float64(n) * h)
			}
			return m, energy
		}
		u := make([]float64, len(x0))
		for i := range u {
			u[i] = (m[i] - x[i]) / (1 - tt)
		}
		step := u
		switch s.Transport {
		case TransportMomentum:
			for i := range v {
				v[i] = beta*v[i] + (1-beta)*u[i]
			}
			step = v
		case TransportFisher:
			mu := make([]float64, d)
			for i := 0; i < n; i++ {
				for a := 0; a < d; a++ {
					mu[a] += x[i*d+a] / float64(n)
				}
			}
			cov := make([]float64, d*d)
			for i := 0; i < n; i++ {
				for a := 0; a < d; a++ {
					for b := 0; b < d; b++ {
						cov[a*d+b] += (x[i*d+a] - mu[a]) * (x[i*d+b] - mu[b]) / float64(n)
					}
				}
			}
			tr := 0.0
			for a := 0; a < d; a++ {
				tr += cov[a*d+a]
			}
			step = make([]float64, len(x0))
			for i := 0; i < n; i++ {
				for b := 0; b < d; b++ {
					for a := 0; a < d; a++ {
						step[i*d+b] += u[i*d+a] * cov[a*d+b] * float64(d) / tr
					}
				}
			}
		}
		if err := c.Normal(za, s.Seed, uint64(k*len(x0))); err != nil {
			t.Fatal(err)
		}
		if err := c.Read(z, za); err != nil {
			t.Fatal(err)
		}
		for i := range x {
			energy += h * step[i] * step[i] / float64(n)
			x[i] += h*step[i] + br.Sigma*math.Sqrt(h)*z[i]
		}
	}
	return x, energy
}

// entropicMapHost is E[Y | X_0 = x] (where the mixture of bruteMean is
// singular): w_j ∝ b_j exp((G_j - |x - y_j|^2) / eps) in float64.
func entropicMapHost(br *Bridge, x []float64) []float64 {
	d := br.D
	logs := make([]float64, br.M)
	mx := math.Inf(-1)
	for j := range logs {
		q := 0.0
		for c := 0; c < d; c++ {
			q += (x[c] - br.Y[j*d+c]) * (x[c] - br.Y[j*d+c])
		}
		logs[j] = math.Log(br.B[j]) + (br.Static.G[j]-q)/br.Eps
		mx = math.Max(mx, logs[j])
	}
	out := make([]float64, d)
	den := 0.0
	for j, l := range logs {
		w := math.Exp(l - mx)
		den += w
		for c := 0; c < d; c++ {
			out[c] += w * br.Y[j*d+c]
		}
	}
	for c := range out {
		out[c] /= den
	}
	return out
}

// TestTransportMatchesReference runs the momentum and Fisher transports
// (and the default drift) with noise on the small weighted problem and
// compares the end points and the path energy with referenceTransport:
// float64 agreement to 1e-9 (measured ~1e-15).
func TestTransportMatchesReference(t *testing.T) {
	br := newTiny(t, 0.5)
	x0 := []float64{0, 0, 0.3, 0.7, -1.2, 2.5, 1, 1, 3, -2, 0.5, -0.5}
	for _, s := range []SimSettings{
		{Steps: 12, Seed: 4, Transport: TransportDrift},
		{Steps: 12, Seed: 4, Transport: TransportMomentum},
		{Steps: 12, Seed: 4, Transport: TransportMomentum, Momentum: 0.5},
		{Steps: 12, Seed: 4, Transport: TransportFisher},
	} {
		s.PathEnergy = true
		r, err := br.Simulate(x0, s)
		if err != nil {
			t.Fatal(err)
		}
		want, energy := referenceTransport(t, br, x0, s)
		if !(math.Abs(r.PathEnergy-energy) <= 1e-9*energy) {
			t.Errorf("%s: path energy %.15g, reference %.15g", s.Transport, r.PathEnergy, energy)
		}
		worst := 0.0
		for i := range want {
			worst = math.Max(worst, math.Abs(r.X[i]-want[i]))
		}
		t.Logf("%s (momentum %g): max |Simulate - reference| = %.2g", s.Transport, s.Momentum, worst)
		if !(worst <= 1e-9) {
			t.Errorf("%s: end points differ from the reference by %g", s.Transport, worst)
		}
	}
}

// TestTransportLimits checks two limits that must hold exactly: the Fisher
// preconditioner of a one-dimensional cloud is 1 (S = Sigma / Sigma), and
// momentum with beta -> 0 is the plain drift step; each against the
// default transport with the same noise (agreement to 1e-12). And the
// transports differ from the default otherwise (the test could fail).
func TestTransportLimits(t *testing.T) {
	src := toy(t, "gaussian", 100, 1)
	tgt := toy(t, "moons", 100, 2)
	x1, y1 := make([]float64, 100), make([]float64, 100)
	for i := range x1 {
		x1[i], y1[i] = src[2*i], tgt[2*i]
	}
	br1, err := New(cpu(), ot.Problem{X: x1, Y: y1, N: 100, M: 100, D: 1}, Settings{Sigma: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	defer br1.Free()
	br2, err := New(cpu(), ot.Problem{X: src, Y: tgt, N: 100, M: 100, D: 2}, Settings{Sigma: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	defer br2.Free()
	maxDiff := func(br *Bridge, x0 []float64, s SimSettings) float64 {
		base, err := br.Simulate(x0, SimSettings{Steps: s.Steps, Seed: s.Seed})
		if err != nil {
			t.Fatal(err)
		}
		r, err := br.Simulate(x0, s)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := range r.X {
			worst = math.Max(worst, math.Abs(r.X[i]-base.X[i]))
		}
		return worst
	}
	if d := maxDiff(br1, x1, SimSettings{Steps: 20, Seed: 2, Transport: TransportFisher}); !(d <= 1e-12) {
		t.Errorf("fisher in 1-D differs from drift by %g", d)
	}
	if d := maxDiff(br2, src, SimSettings{Steps: 20, Seed: 2, Transport: TransportMomentum, Momentum: math.SmallestNonzeroFloat64}); !(d <= 1e-12) {
		t.Errorf("momentum with beta -> 0 differs from drift by %g", d)
	}
	for _, tr := range []Transport{TransportFisher, TransportMomentum} {
		if d := maxDiff(br2, src, SimSettings{Steps: 20, Seed: 2, Transport: tr}); d < 1e-3 {
			t.Errorf("%s in 2-D equals drift (max difference %g)", tr, d)
		}
	}
}

func TestTransportBadInput(t *testing.T) {
	br := newTiny(t, 0.5)
	x0 := []float64{0, 0}
	for _, s := range []SimSettings{
		{Transport: "heavy"},
		{Transport: TransportMomentum, Momentum: 1},
		{Transport: TransportMomentum, Momentum: -0.1},
		{Transport: TransportMomentum, Momentum: math.NaN()},
	} {
		_, err := br.Simulate(x0, s)
		if !errors.Is(err, ErrBadInput) {
			t.Errorf("%+v: err = %v, want ErrBadInput", s, err)
		}
	}
	if tr, err := ParseTransport(""); err != nil || tr != TransportDrift {
		t.Errorf(`ParseTransport("") = %q, %v`, tr, err)
	}
}
