package barycenter

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/otplay/otplay/compute"
)

// potRef is testdata/pot_ref.json, written by testdata/make_ref.py with
// POT 0.8.2 (inputs and outputs of each case).
type potRef struct {
	Histograms []struct {
		Method     string      `json:"method"`
		Eps        float64     `json:"eps"`
		Tol        float64     `json:"tol"`
		MaxIter    int         `json:"max_iter"`
		Weights    []float64   `json:"weights"`
		Hists      [][]float64 `json:"hists"`
		Support    []float64   `json:"support"`
		D          int         `json:"d"`
		Barycenter []float64   `json:"barycenter"`
		Iterations int         `json:"iterations"`
		Err        float64     `json:"err"`
	} `json:"histograms"`
	Convolutional []struct {
		Method     string      `json:"method"`
		Eps        float64     `json:"eps"`
		Tol        float64     `json:"tol"`
		MaxIter    int         `json:"max_iter"`
		Weights    []float64   `json:"weights"`
		H          int         `json:"h"`
		W          int         `json:"w"`
		Images     [][]float64 `json:"images"`
		Barycenter []float64   `json:"barycenter"`
		Iterations int         `json:"iterations"`
		Err        float64     `json:"err"`
	} `json:"convolutional"`
	FreeSupport []struct {
		Method     string      `json:"method"`
		Eps        float64     `json:"eps"`
		Weights    []float64   `json:"weights"`
		Clouds     [][]float64 `json:"clouds"`
		D          int         `json:"d"`
		Init       []float64   `json:"init"`
		Barycenter []float64   `json:"barycenter"`
		Iterations int         `json:"iterations"`
	} `json:"free_support"`
}

func loadRef(t *testing.T) potRef {
	t.Helper()
	b, err := os.ReadFile("testdata/pot_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r potRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func flat(rows [][]float64) []float64 {
	var v []float64
	for _, r := range rows {
		v = append(v, r...)
	}
	return v
}

func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestHistogramsMatchPOT compares Entropic and Debiased with POT's
// barycenter(..., method="sinkhorn_log") and barycenter_debiased on a 1-D
// support given by points and a 2-D one given as a cost matrix: the same
// iteration count and the barycenter within 1e-6 (float64; the measured
// differences are ~1e-15).
func TestHistogramsMatchPOT(t *testing.T) {
	for _, c := range loadRef(t).Histograms {
		p := Histograms{Hists: flat(c.Hists), K: len(c.Hists), N: len(c.Barycenter), Weights: c.Weights}
		if c.D == 1 {
			p.Support, p.D = c.Support, 1
		} else {
			n := p.N
			p.Cost = make([]float64, n*n)
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					for k := 0; k < c.D; k++ {
						d := c.Support[i*c.D+k] - c.Support[j*c.D+k]
						p.Cost[i*n+j] += d * d
					}
				}
			}
		}
		run := Entropic
		if c.Method == "debiased" {
			run = Debiased
		}
		r, err := run(p, Settings{Eps: c.Eps, Tol: c.Tol, MaxIter: c.MaxIter})
		if err != nil {
			t.Fatal(err)
		}
		diff := maxAbsDiff(r.Barycenter, c.Barycenter)
		t.Logf("%s eps=%g d=%d: %d iterations (POT %d), err %.3g (POT %.3g), marginal error %.3g, |b - b_POT| = %.2e",
			c.Method, c.Eps, c.D, r.Iterations, c.Iterations, r.Err, c.Err, r.MarginalError, diff)
		if diff > 1e-6 {
			t.Errorf("%s eps=%g: barycenter differs from POT's by %.3g", c.Method, c.Eps, diff)
		}
		if r.Iterations != c.Iterations {
			t.Errorf("%s eps=%g: %d iterations, POT ran %d", c.Method, c.Eps, r.Iterations, c.Iterations)
		}
		if math.Abs(r.Err-c.Err) > 1e-6*math.Max(1, c.Err) {
			t.Errorf("%s eps=%g: err %g, POT's %g", c.Method, c.Eps, r.Err, c.Err)
		}
		if r.Converged != (r.Err < c.Tol) {
			t.Errorf("Converged = %v with err %g and tol %g", r.Converged, r.Err, c.Tol)
		}
		// The backend path (fused soft-min over the support points) on
		// the float64 CPU backend: the same iterations and barycenter.
		runOn := EntropicOn
		if c.Method == "debiased" {
			runOn = DebiasedOn
		}
		q := p
		q.Cost, q.Support, q.D = nil, c.Support, c.D
		ro, err := runOn(compute.NewCPU(0), q, Settings{Eps: c.Eps, Tol: c.Tol, MaxIter: c.MaxIter})
		if err != nil {
			t.Fatal(err)
		}
		if d := maxAbsDiff(ro.Barycenter, c.Barycenter); d > 1e-6 || ro.Iterations != c.Iterations {
			t.Errorf("%s eps=%g on the CPU backend: %d iterations (POT %d), |b - b_POT| = %.3g", c.Method, c.Eps, ro.Iterations, c.Iterations, d)
		}
	}
}

// TestConvolutionalMatchesPOT compares Convolutional and
// ConvolutionalDebiased on the float64 CPU backend with POT's
// convolutional_barycenter2d(..., method="sinkhorn_log") and its
// debiased twin on three 12 x 15 images (a non-square grid checks the
// axes' spacings).
func TestConvolutionalMatchesPOT(t *testing.T) {
	be := compute.NewCPU(0)
	for _, c := range loadRef(t).Convolutional {
		p := Images{Images: flat(c.Images), K: len(c.Images), H: c.H, W: c.W, Weights: c.Weights}
		run := Convolutional
		if c.Method == "debiased" {
			run = ConvolutionalDebiased
		}
		r, err := run(be, p, Settings{Eps: c.Eps, Tol: c.Tol, MaxIter: c.MaxIter})
		if err != nil {
			t.Fatal(err)
		}
		diff := maxAbsDiff(r.Barycenter, c.Barycenter)
		t.Logf("%s: %d iterations (POT %d), err %.3g (POT %.3g), marginal error %.3g, |b - b_POT| = %.2e, %v",
			c.Method, r.Iterations, c.Iterations, r.Err, c.Err, r.MarginalError, diff, r.Time)
		if diff > 1e-6 {
			t.Errorf("%s: barycenter differs from POT's by %.3g", c.Method, diff)
		}
		if r.Iterations != c.Iterations {
			t.Errorf("%s: %d iterations, POT ran %d", c.Method, r.Iterations, c.Iterations)
		}
	}
}

// TestFreeSupportMatchesPOT compares FreeSupport with POT's
// ot.lp.free_support_barycenter and FreeSupportEntropic with the same
// fixed point over POT's sinkhorn_log plans (make_ref.py).
func TestFreeSupportMatchesPOT(t *testing.T) {
	for _, c := range loadRef(t).FreeSupport {
		p := Clouds{Clouds: c.Clouds, D: c.D, Weights: c.Weights, Init: c.Init}
		var r *Result
		var err error
		if c.Method == "exact" {
			r, err = FreeSupport(p, Settings{Tol: 1e-12})
		} else {
			r, err = FreeSupportEntropic(compute.NewCPU(0), p, Settings{Eps: c.Eps, Tol: 1e-12, InnerTol: 1e-11, InnerMaxIter: 100000})
		}
		if err != nil {
			t.Fatal(err)
		}
		diff := maxAbsDiff(r.Barycenter, c.Barycenter)
		t.Logf("%s: %d iterations (POT %d), displacement %.3g, objective %.6g, |X - X_POT| = %.2e",
			c.Method, r.Iterations, c.Iterations, r.Err, r.Objective, diff)
		if diff > 1e-6 {
			t.Errorf("%s: support differs from POT's by %.3g", c.Method, diff)
		}
		if c.Method == "exact" && r.Iterations != c.Iterations {
			t.Errorf("exact: %d iterations, POT ran %d", r.Iterations, c.Iterations)
		}
	}
}

func gauss1D(n int, m, s float64) []float64 {
	h := make([]float64, n)
	t := 0.0
	for i := range h {
		x := float64(i) / float64(n-1)
		h[i] = math.Exp(-(x - m) * (x - m) / (2 * s * s))
		t += h[i]
	}
	for i := range h {
		h[i] /= t
	}
	return h
}

func moments(h []float64) (mean, sd float64) {
	n := len(h)
	for i, v := range h {
		mean += v * float64(i) / float64(n-1)
	}
	for i, v := range h {
		d := float64(i)/float64(n-1) - mean
		sd += v * d * d
	}
	return mean, math.Sqrt(sd)
}

// TestTranslatedGaussians: the W2 barycenter of N(m1, s^2) and N(m2, s^2)
// with weights (t, 1-t) is N(t m1 + (1-t) m2, s^2) (McCann's
// interpolation). The debiased barycenter keeps the width within 2% at
// eps = 1e-3; the entropic one is wider (blur ~ eps), and both means are
// right to 1e-3 (grid discretisation).
func TestTranslatedGaussians(t *testing.T) {
	n := 200
	support := make([]float64, n)
	for i := range support {
		support[i] = float64(i) / float64(n-1)
	}
	a, b := gauss1D(n, 0.25, 0.04), gauss1D(n, 0.7, 0.04)
	p := Histograms{Hists: append(append([]float64(nil), a...), b...), K: 2, N: n, Support: support, D: 1, Weights: []float64{0.3, 0.7}}
	want := 0.3*0.25 + 0.7*0.7
	var sdEntropic float64
	for _, run := range []struct {
		name string
		f    func(Histograms, Settings) (*Result, error)
	}{{"entropic", Entropic}, {"debiased", Debiased}} {
		r, err := run.f(p, Settings{Eps: 1e-3, Tol: 1e-9, MaxIter: 3000})
		if err != nil {
			t.Fatal(err)
		}
		m, sd := moments(r.Barycenter)
		t.Logf("%s: mean %.5f (want %.5f), sd %.5f (want 0.04), %s", run.name, m, want, sd, r.Status)
		if math.Abs(m-want) > 1e-3 {
			t.Errorf("%s: mean %.5f, want %.5f", run.name, m, want)
		}
		if run.name == "entropic" {
			sdEntropic = sd
			if sd <= 0.04 {
				t.Errorf("entropic sd %.5f should exceed 0.04 (entropic blur)", sd)
			}
		} else if math.Abs(sd-0.04) > 0.02*0.04 || sd >= sdEntropic {
			t.Errorf("debiased sd %.5f, want 0.04 within 2%% and below the entropic %.5f", sd, sdEntropic)
		}
	}
}

// TestOneMeasure: with weights (1, 0) the debiased barycenter of two
// Gaussians is the first one (Janati et al. 2020: the debiased barycenter
// of one measure is itself; measured 7e-9 in L1 at eps = 2e-3), the
// entropic one is blurred (0.16).
func TestOneMeasure(t *testing.T) {
	n := 200
	support := make([]float64, n)
	for i := range support {
		support[i] = float64(i) / float64(n-1)
	}
	a := gauss1D(n, 0.3, 0.05)
	p := Histograms{Hists: append(append([]float64(nil), a...), gauss1D(n, 0.7, 0.05)...), K: 2, N: n, Support: support, D: 1, Weights: []float64{1, 0}}
	l1 := func(b []float64) float64 {
		s := 0.0
		for i := range b {
			s += math.Abs(b[i] - a[i])
		}
		return s
	}
	re, err := Entropic(p, Settings{Eps: 2e-3, Tol: 1e-9, MaxIter: 3000})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Debiased(p, Settings{Eps: 2e-3, Tol: 1e-9, MaxIter: 3000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("|b - a|_1: entropic %.3g, debiased %.3g (%s)", l1(re.Barycenter), l1(rd.Barycenter), rd.Status)
	if l1(rd.Barycenter) > 1e-6 || l1(re.Barycenter) < 0.05 {
		t.Errorf("weights (1, 0): debiased %.3g from the input (want <= 1e-6), entropic %.3g (want a visible blur)", l1(rd.Barycenter), l1(re.Barycenter))
	}
}

// TestFreeSupportClosedForms: the barycenter of translated copies of a
// cloud is the cloud translated by the weighted mean shift; weights (1, 0)
// return the first cloud (up to order); Diracs give their weighted mean.
func TestFreeSupportClosedForms(t *testing.T) {
	base := []float64{0, 0, 1, 0.2, -0.5, 1, 0.3, -0.7, 2, 2, -1, -1.5}
	shift := func(dx, dy float64) []float64 {
		c := append([]float64(nil), base...)
		for i := 0; i < len(c); i += 2 {
			c[i] += dx
			c[i+1] += dy
		}
		return c
	}
	p := Clouds{Clouds: [][]float64{shift(0, 0), shift(4, -2), shift(-1, 3)}, D: 2, Weights: []float64{0.5, 0.25, 0.25}, N: 6}
	r, err := FreeSupport(p, Settings{Tol: 1e-14})
	if err != nil {
		t.Fatal(err)
	}
	want := shift(0.5*0+0.25*4+0.25*-1, 0.5*0+0.25*-2+0.25*3)
	if d := sortedDiff(r.Barycenter, want, 2); d > 1e-12 {
		t.Errorf("translated clouds: barycenter off by %g (%v)", d, r.Barycenter)
	}
	p.Weights = []float64{1, 0, 0}
	if r, err = FreeSupport(p, Settings{}); err != nil {
		t.Fatal(err)
	}
	if d := sortedDiff(r.Barycenter, base, 2); d > 1e-12 || !r.Converged {
		t.Errorf("weights (1, 0, 0): barycenter off the input by %g", d)
	}
	dirac := Clouds{Clouds: [][]float64{{1, 2}, {3, -2}}, D: 2, Weights: []float64{0.25, 0.75}, N: 1}
	if r, err = FreeSupport(dirac, Settings{}); err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Barycenter[0]-2.5) > 1e-15 || math.Abs(r.Barycenter[1]+1) > 1e-15 {
		t.Errorf("Diracs: barycenter %v, want [2.5 -1]", r.Barycenter)
	}
}

// sortedDiff is the largest coordinate difference after matching each
// point of a to its nearest in b.
func sortedDiff(a, b []float64, d int) float64 {
	worst := 0.0
	for i := 0; i < len(a); i += d {
		best := math.Inf(1)
		for j := 0; j < len(b); j += d {
			m := 0.0
			for k := 0; k < d; k++ {
				m = math.Max(m, math.Abs(a[i+k]-b[j+k]))
			}
			best = math.Min(best, m)
		}
		worst = math.Max(worst, best)
	}
	return worst
}

// TestDebiasedOneMeasure: with weights (1, 0) the debiased convolutional
// barycenter is (close to) the first image, the entropic one is blurred.
func TestDebiasedOneMeasure(t *testing.T) {
	h, w := 16, 16
	img := make([]float64, 2*h*w)
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			if (i-6)*(i-6)+(j-8)*(j-8) <= 12 {
				img[i*w+j] = 1
			}
			if i >= 10 && j >= 2 && j < 14 {
				img[h*w+i*w+j] = 1
			}
		}
	}
	norm := func(v []float64) {
		s := 0.0
		for _, x := range v {
			s += x
		}
		for i := range v {
			v[i] /= s
		}
	}
	norm(img[:h*w])
	norm(img[h*w:])
	p := Images{Images: img, K: 2, H: h, W: w, Weights: []float64{1, 0}}
	be := compute.NewCPU(0)
	re, err := Convolutional(be, p, Settings{Eps: 0.005})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := ConvolutionalDebiased(be, p, Settings{Eps: 0.005})
	if err != nil {
		t.Fatal(err)
	}
	l1 := func(a []float64) float64 {
		s := 0.0
		for i := range a {
			s += math.Abs(a[i] - img[i])
		}
		return s
	}
	t.Logf("|b - a_1|_1: entropic %.3g, debiased %.3g (%s)", l1(re.Barycenter), l1(rd.Barycenter), rd.Status)
	if l1(rd.Barycenter) > 0.05 || l1(rd.Barycenter) > l1(re.Barycenter)/4 {
		t.Errorf("debiased barycenter of one image is %.3g from it (entropic %.3g)", l1(rd.Barycenter), l1(re.Barycenter))
	}
}

// TestBadInput: every malformed input is refused with ErrBadInput (or
// ErrPrecision) before any work, and the caller's slices are unchanged.
func TestBadInput(t *testing.T) {
	h := []float64{0.5, 0.5, 0, 0.2, 0.3, 0.5}
	sup := []float64{0, 1, 2}
	ok := Histograms{Hists: h, K: 2, N: 3, Support: sup, D: 1}
	if _, err := Entropic(ok, Settings{Eps: 0.1}); err != nil {
		t.Fatalf("valid input refused: %v", err)
	}
	nan := append([]float64(nil), h...)
	nan[1] = math.NaN()
	neg := append([]float64(nil), h...)
	neg[0], neg[1] = -0.5, 1.5
	mass := append([]float64(nil), h...)
	mass[5] = 0.6
	for _, c := range []struct {
		name string
		p    Histograms
		s    Settings
		want error
	}{
		{"NaN mass", Histograms{Hists: nan, K: 2, N: 3, Support: sup, D: 1}, Settings{Eps: 0.1}, ErrBadInput},
		{"negative mass", Histograms{Hists: neg, K: 2, N: 3, Support: sup, D: 1}, Settings{Eps: 0.1}, ErrBadInput},
		{"unequal masses", Histograms{Hists: mass, K: 2, N: 3, Support: sup, D: 1}, Settings{Eps: 0.1}, ErrBadInput},
		{"support of 2 points", Histograms{Hists: h, K: 2, N: 3, Support: sup[:2], D: 1}, Settings{Eps: 0.1}, ErrBadInput},
		{"cost 2 x 2", Histograms{Hists: h, K: 2, N: 3, Cost: []float64{0, 1, 1, 0}}, Settings{Eps: 0.1}, ErrBadInput},
		{"no cost", Histograms{Hists: h, K: 2, N: 3}, Settings{Eps: 0.1}, ErrBadInput},
		{"weights sum 0.9", Histograms{Hists: h, K: 2, N: 3, Support: sup, D: 1, Weights: []float64{0.4, 0.5}}, Settings{Eps: 0.1}, ErrBadInput},
		{"negative weight", Histograms{Hists: h, K: 2, N: 3, Support: sup, D: 1, Weights: []float64{1.5, -0.5}}, Settings{Eps: 0.1}, ErrBadInput},
		{"3 weights", Histograms{Hists: h, K: 2, N: 3, Support: sup, D: 1, Weights: []float64{0.2, 0.3, 0.5}}, Settings{Eps: 0.1}, ErrBadInput},
		{"eps 0", ok, Settings{}, ErrBadInput},
		{"eps NaN", ok, Settings{Eps: math.NaN()}, ErrBadInput},
		{"eps below float64", ok, Settings{Eps: 1e-17}, ErrPrecision},
	} {
		before := append([]float64(nil), c.p.Hists...)
		_, err := Entropic(c.p, c.s)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
		if maxAbsDiff(before, c.p.Hists) > 0 && !math.IsNaN(before[1]) {
			t.Errorf("%s: input changed", c.name)
		}
	}
	be := compute.NewCPU(0)
	if _, err := Convolutional(be, Images{Images: make([]float64, 8), K: 2, H: 2, W: 2}, Settings{Eps: 0.1}); !errors.Is(err, ErrBadInput) {
		t.Errorf("empty images: %v", err)
	}
	if _, err := Convolutional(be, Images{Images: []float64{1, 0, 0, 1}, K: 1, H: 1, W: 4}, Settings{Eps: 0.1}); !errors.Is(err, ErrBadInput) {
		t.Errorf("1 x 4 grid: %v", err)
	}
	if _, err := FreeSupport(Clouds{Clouds: [][]float64{{0, 0, 1}}, D: 2, N: 1}, Settings{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("ragged cloud: %v", err)
	}
	if _, err := FreeSupport(Clouds{Clouds: [][]float64{{0, 0, 1, 1}}, D: 2, N: 3}, Settings{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("N > m without init: %v", err)
	}
	if _, err := FreeSupportEntropic(be, Clouds{Clouds: [][]float64{{0, 0, 1, 1}}, D: 2, N: 1}, Settings{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("entropic without eps: %v", err)
	}
}
