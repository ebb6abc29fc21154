package diffusion

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/metrics"
)

// eightGaussians draws m points of the 8-Gaussian ring (radius 2, sd 0.1).
func eightGaussians(m int, seed uint64) []float64 {
	y := make([]float64, 2*m)
	for j := range m {
		a := 2 * math.Pi * float64(j%8) / 8
		y[2*j] = 2*math.Cos(a) + 0.1*compute.NormalAt(seed, uint64(2*j))
		y[2*j+1] = 2*math.Sin(a) + 0.1*compute.NormalAt(seed, uint64(2*j+1))
	}
	return y
}

// TestRFFScoreApproachesEmpirical samples 8gaussians (400 points) with
// DPM-Solver++ 2M from the same initial noise with the exact Empirical
// model and with RFFScoreModel at growing D: the MMD^2 (bandwidth 1)
// between the two sample sets must fall as D grows and be below 0.01 at
// D = 4096, and no sample may leave the ring (radius < 10: without them radii of hundreds; the
// confidence floor and Gaussian fallback of RFFScoreModel at work).
func TestRFFScoreApproachesEmpirical(t *testing.T) {
	b := compute.NewCPU(0)
	const m, n = 400, 300
	y := eightGaussians(m, 1)
	e, err := NewEmpirical(b, y, m, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Free()
	x0 := make([]float64, n*2)
	for i := range x0 {
		x0[i] = compute.NormalAt(7, uint64(i))
	}
	s := Linear(DefaultT)
	set := Settings{Sampler: DPMPP2M, Steps: 25, FinalDenoise: true}
	want, _ := runSampler(t, b, e, s, x0, set)
	var mmds []float64
	for _, D := range []int{64, 512, 4096} {
		r, err := NewRFFScoreModel(b, y, m, 2, D, 3)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := runSampler(t, b, r, s, x0, set)
		for i := range n {
			if rad := math.Hypot(got[2*i], got[2*i+1]); !(rad < 10) {
				t.Fatalf("D = %d: sample %d at radius %g, the data's is about 2 (an unbounded score)", D, i, rad)
			}
		}
		q, err := metrics.MMD(b, got, n, want, n, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		mmds = append(mmds, q.MMD2)
		t.Logf("D = %d: MMD^2 to the exact model's samples %.4g (%d points unreliable)", D, q.MMD2, r.Unreliable)
	}
	if !(mmds[0] > mmds[1] && mmds[1] > mmds[2]) || mmds[2] > 0.01 {
		t.Errorf("MMD^2 %v for D = 64, 512, 4096: want falling and < 0.01 at 4096", mmds)
	}
}

func TestRFFScoreModelBadInput(t *testing.T) {
	b := compute.NewCPU(0)
	y := eightGaussians(8, 1)
	for name, f := range map[string]func() error{
		"features 0": func() error { _, err := NewRFFScoreModel(b, y, 8, 2, 0, 1); return err },
		"short data": func() error { _, err := NewRFFScoreModel(b, y[:3], 8, 2, 16, 1); return err },
		"nan data": func() error {
			z := append([]float64(nil), y...)
			z[0] = math.NaN()
			_, err := NewRFFScoreModel(b, z, 8, 2, 16, 1)
			return err
		},
	} {
		if err := f(); err == nil || (name != "nan data" && !errors.Is(err, ErrBadInput)) {
			t.Errorf("%s: error %v, want ErrBadInput", name, err)
		}
	}
}

// TestRFFScoreMatchesExactScore compares the RFF score at alpha = 0.8,
// sigma = 0.6 with the exact score of the diffused data set, (alpha
// E[x_0|x] - x) / sigma^2 from the Empirical model: the median over 200
// points of the relative error |s_rff - s| / |s| must fall with D and be
// below 5% at D = 65536. (The median, not the RMS: the score is a ratio
// of two feature estimates, heavy-tailed where the density estimate is
// near 0; a numpy reimplementation gives medians 0.46, 0.13, 0.02 at
// D = 256, 4096, 65536 and RMS errors dominated by a few points.)
func TestRFFScoreMatchesExactScore(t *testing.T) {
	b := compute.NewCPU(0)
	const m, n = 400, 200
	y := eightGaussians(m, 1)
	e, err := NewEmpirical(b, y, m, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Free()
	at := Time{T: 0.5, Alpha: 0.8, Sigma: 0.6}
	xs := make([]float64, n*2)
	for i := range xs {
		xs[i] = at.Alpha*y[i%(2*m)] + at.Sigma*compute.NormalAt(11, uint64(i))
	}
	x, _ := b.Upload(xs)
	dst, _ := b.Alloc(n * 2)
	if err := e.Predict(dst, x, n, at); err != nil {
		t.Fatal(err)
	}
	den := make([]float64, n*2)
	b.Read(den, dst)
	exact := make([]float64, n*2)
	for i := range exact {
		exact[i] = (at.Alpha*den[i] - xs[i]) / (at.Sigma * at.Sigma)
	}
	var errs []float64
	for _, D := range []int{256, 4096, 65536} {
		r, err := NewRFFScoreModel(b, y, m, 2, D, 5)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Predict(dst, x, n, at); err != nil {
			t.Fatal(err)
		}
		got := make([]float64, n*2)
		b.Read(got, dst)
		rel := make([]float64, n)
		for i := range n {
			dx, dy := got[2*i]-exact[2*i], got[2*i+1]-exact[2*i+1]
			rel[i] = math.Hypot(dx, dy) / math.Hypot(exact[2*i], exact[2*i+1])
		}
		slices.Sort(rel)
		errs = append(errs, rel[n/2])
		t.Logf("D = %d: median relative score error %.4f (%d points unreliable)", D, rel[n/2], r.Unreliable)
	}
	if !(errs[0] > errs[1] && errs[1] > errs[2]) || errs[2] > 0.05 {
		t.Errorf("median relative score errors %v at D = 256, 4096, 65536: want falling and < 0.05", errs)
	}
}
