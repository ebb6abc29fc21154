package patch

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/imageio"
)

// loadPhoto returns a shipped photograph (../imageio/testdata, with its
// attribution) resized to width w (aspect kept).
func loadPhoto(t testing.TB, name string, w int) *imageio.Image {
	t.Helper()
	img, err := imageio.Load(filepath.Join("..", "imageio", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if w == img.Width {
		return img
	}
	h := int(math.Round(float64(img.Height) * float64(w) / float64(img.Width)))
	r, err := imageio.Resize(img, w, h)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// moments returns the mean and covariance of the pixels of img.
func moments(img *imageio.Image) (mean [3]float64, cov [3][3]float64) {
	n := float64(img.Width * img.Height)
	for p := 0; p < len(img.Pix); p += 3 {
		for c := 0; c < 3; c++ {
			mean[c] += img.Pix[p+c] / n
		}
	}
	for p := 0; p < len(img.Pix); p += 3 {
		for c := 0; c < 3; c++ {
			for e := 0; e < 3; e++ {
				cov[c][e] += (img.Pix[p+c] - mean[c]) * (img.Pix[p+e] - mean[e]) / n
			}
		}
	}
	return mean, cov
}

// momentErrors returns the largest absolute differences of the means and
// of the covariance entries of a and b.
func momentErrors(a, b *imageio.Image) (mean, cov float64) {
	ma, ca := moments(a)
	mb, cb := moments(b)
	for i := range 3 {
		mean = max(mean, math.Abs(ma[i]-mb[i]))
		for j := range 3 {
			cov = max(cov, math.Abs(ca[i][j]-cb[i][j]))
		}
	}
	return mean, cov
}

func meanAbsDiff(a, b *imageio.Image) float64 {
	var s float64
	for i := range a.Pix {
		s += math.Abs(a.Pix[i] - b.Pix[i])
	}
	return s / float64(len(a.Pix))
}

// Transferring an image's colours onto itself is the identity: exactly
// for Sliced (1-D sorted matching of a set with itself), within the
// quantisation and entropic blur for Entropic, within the subsample
// interpolation for Exact. Measured (CPU, china.jpg at 64 x 43):
// sliced 1e-17, entropic 0.011 (RGB, 16 bins) / 0.015 (Lab, 12 bins),
// exact 0.020.
func TestColorSelfTransferIsIdentity(t *testing.T) {
	b := compute.NewCPU(0)
	src := loadPhoto(t, "china.jpg", 64)
	cases := []struct {
		s   ColorSettings
		tol float64
	}{
		{ColorSettings{Method: Sliced}, 1e-9},
		{ColorSettings{Method: Entropic}, 0.015},
		{ColorSettings{Method: Entropic, Space: imageio.Lab, Bins: 12}, 0.02},
		{ColorSettings{Method: Exact, Subsample: 400}, 0.025},
	}
	for _, c := range cases {
		out, res, err := TransferColor(b, src, src, c.s)
		if err != nil {
			t.Fatal(err)
		}
		if d := meanAbsDiff(out, src); d > c.tol {
			t.Errorf("%s/%s self-transfer: mean |T(x) - x| = %.3g, want <= %g", res.Method, res.Space, d, c.tol)
		} else {
			t.Logf("%s/%s self-transfer: mean |T(x) - x| = %.3g (%d x %d points, %v)", res.Method, res.Space, d, res.SourcePoints, res.TargetPoints, res.Time)
		}
	}
}

// Colour transfer moves the colour histogram's mean and covariance to the
// target's. Tolerances (max abs over the 3 means / 9 covariance entries,
// colours in [0, 1]; the source and target means differ by 0.35, the
// covariances by 0.1): Sliced matches the full distribution (measured
// 4e-4 / 3e-4); Entropic is off by the quantisation (16 bins) and the
// entropic map's shrinkage (measured 0.0025 / 0.0038); Exact by the
// 500-point subsample, whose mean has a standard error of
// sqrt(0.12/500) = 0.015 per channel (measured 0.025 / 0.0023): the
// tolerance is three standard errors.
func TestColorTransferMatchesTargetMoments(t *testing.T) {
	b := compute.NewCPU(0)
	src, tgt := loadPhoto(t, "china.jpg", 80), loadPhoto(t, "flower.jpg", 80)
	m0, c0 := momentErrors(src, tgt)
	cases := []struct {
		s               ColorSettings
		meanTol, covTol float64
	}{
		{ColorSettings{Method: Sliced}, 2e-3, 2e-3},
		{ColorSettings{Method: Entropic}, 0.01, 0.008},
		{ColorSettings{Method: Exact, Subsample: 500}, 0.045, 0.008},
	}
	for _, c := range cases {
		out, res, err := TransferColor(b, src, tgt, c.s)
		if err != nil {
			t.Fatal(err)
		}
		me, ce := momentErrors(out, tgt)
		t.Logf("%s: mean error %.3g (was %.3g), covariance error %.3g (was %.3g), cost %.4g, %v", res.Method, me, m0, ce, c0, res.Cost, res.Time)
		if me > c.meanTol || ce > c.covTol {
			t.Errorf("%s: mean error %.3g (tol %g), covariance error %.3g (tol %g)", res.Method, me, c.meanTol, ce, c.covTol)
		}
		if res.Method == Entropic && !res.Converged {
			t.Errorf("entropic: not converged after %d iterations (marginal error %g)", res.Iterations, res.MarginalError)
		}
	}
}

// Partial transport keeps the colours absent from the target: a source
// half red, half blue onto an all-blue target with Mass 0.5 moves the
// blue half and leaves the red half red; balanced transport turns
// everything blue.
func TestColorPartialKeepsAbsentColours(t *testing.T) {
	b := compute.NewCPU(0)
	src, _ := imageio.New(16, 8)
	tgt, _ := imageio.New(16, 8)
	for p := 0; p < 16*8; p++ {
		jitter := float64(p%5) * 0.01
		if p%16 < 8 {
			copy(src.Pix[3*p:], []float64{0.9 - jitter, 0.1, 0.1}) // red
		} else {
			copy(src.Pix[3*p:], []float64{0.1, 0.1, 0.7 + jitter}) // blue
		}
		copy(tgt.Pix[3*p:], []float64{0.1, 0.2 + jitter, 0.9}) // light blue
	}
	for _, mass := range []float64{0.5, 0} {
		out, res, err := TransferColor(b, src, tgt, ColorSettings{Mass: mass, Eps: 0.01})
		if err != nil {
			t.Fatal(err)
		}
		var redStay, blueMove float64
		for p := 0; p < 16*8; p++ {
			if p%16 < 8 {
				redStay = max(redStay, math.Abs(out.Pix[3*p]-src.Pix[3*p]))
			} else {
				blueMove = max(blueMove, math.Abs(out.Pix[3*p+2]-0.9))
			}
		}
		t.Logf("mass %g: red pixels moved by <= %.3g, blue pixels <= %.3g from the target blue (converged %v, marginal error %.2g)", mass, redStay, blueMove, res.Converged, res.MarginalError)
		if blueMove > 0.05 {
			t.Errorf("mass %g: blue pixels end %.3g from the target blue, want <= 0.05", mass, blueMove)
		}
		if mass > 0 && redStay > 0.05 {
			t.Errorf("mass %g: red pixels moved by %.3g, want kept (<= 0.05)", mass, redStay)
		}
		if mass == 0 && redStay < 0.5 {
			t.Errorf("balanced: red pixels moved by only %.3g, want turned blue", redStay)
		}
	}
}

func TestArgsortAndQuantile(t *testing.T) {
	v := make([]float64, 5000)
	for i := range v {
		v[i] = compute.NormalAt(3, uint64(i)) * 1e3
	}
	v[17], v[18] = 0, math.Copysign(0, -1)
	order, tmp := make([]int32, len(v)), make([]int32, len(v))
	keys, kt := make([]uint32, len(v)), make([]uint32, len(v))
	argsortFloat32(v, order, tmp, keys, kt)
	got := make([]float64, len(v))
	for i, j := range order {
		got[i] = v[j]
	}
	want := slices.Clone(v)
	slices.Sort(want)
	for i := range got {
		if float32(got[i]) != float32(want[i]) {
			t.Fatalf("argsort: position %d holds %g, want %g", i, got[i], want[i])
		}
	}
	s := []float64{1, 2, 4, 8}
	for i, w := range s {
		if q := quantile(s, (float64(i)+0.5)/4); q != w {
			t.Errorf("quantile at the %d-th midpoint = %g, want %g", i, q, w)
		}
	}
	if q := quantile(s, 0.5); q != 3 {
		t.Errorf("median of %v = %g, want 3 (interpolated)", s, q)
	}
}

func TestColorBadInput(t *testing.T) {
	b := compute.NewCPU(0)
	img := loadPhoto(t, "china.jpg", 16)
	bad := []ColorSettings{
		{Eps: -1}, {Eps: math.NaN()}, {Mass: 2}, {Mass: -0.5}, {Method: "median"},
		{Method: Sliced, Mass: 0.5}, {Bins: 1}, {Bins: 65}, {Space: "hsv"},
		{Method: Exact, Subsample: 1}, {Method: Exact, Subsample: MaxSubsample + 1}, {MaxIter: -1},
	}
	for _, s := range bad {
		if _, _, err := TransferColor(b, img, img, s); !errors.Is(err, ErrSettings) {
			t.Errorf("settings %+v: error %v, want ErrSettings", s, err)
		}
	}
	if _, _, err := TransferColor(nil, img, img, ColorSettings{}); err == nil {
		t.Error("nil backend: no error")
	}
	for _, im := range []*imageio.Image{nil, {}, {Width: 2, Height: 2, Pix: make([]float64, 5)}} {
		if _, _, err := TransferColor(b, im, img, ColorSettings{}); err == nil {
			t.Errorf("source %+v: no error", im)
		}
		if _, _, err := TransferColor(b, img, im, ColorSettings{}); err == nil {
			t.Errorf("target %+v: no error", im)
		}
	}
	nan := img.Clone()
	nan.Pix[4] = math.Inf(1)
	if _, _, err := TransferColor(b, nan, img, ColorSettings{}); err == nil {
		t.Error("infinite pixel: no error")
	}
}

// The error caused by quantising the colour clouds (Entropic's default,
// 16 bins per channel) instead of solving entropic OT on every pixel:
// both at the same eps on 24 x 16 photographs (384 pixels each, so the
// full plan is 384 x 384; on 36 x 24 it measured the same, 0.0021 mean,
// 0.067 max, but takes 30 s on the CPU). Measured here: mean
// |T_quantised(x) - T_full(x)| = 0.0023 per channel (0.6/255), max 0.028.
func TestQuantisationError(t *testing.T) {
	b := compute.NewCPU(0)
	src, tgt := loadPhoto(t, "china.jpg", 24), loadPhoto(t, "flower.jpg", 24)
	full, rf, err := TransferColor(b, src, tgt, ColorSettings{Bins: -1})
	if err != nil {
		t.Fatal(err)
	}
	quant, rq, err := TransferColor(b, src, tgt, ColorSettings{})
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i := range full.Pix {
		worst = max(worst, math.Abs(full.Pix[i]-quant.Pix[i]))
	}
	mad := meanAbsDiff(full, quant)
	t.Logf("full %d x %d points (%v, %d it) vs quantised %d x %d (%v, %d it): mean |diff| %.3g, max %.3g",
		rf.SourcePoints, rf.TargetPoints, rf.Time, rf.Iterations, rq.SourcePoints, rq.TargetPoints, rq.Time, rq.Iterations, mad, worst)
	if rf.SourcePoints != src.Width*src.Height {
		t.Errorf("Bins -1 used %d points, want every pixel (%d)", rf.SourcePoints, src.Width*src.Height)
	}
	if mad > 0.01 || worst > 0.1 {
		t.Errorf("quantisation changed the result by %.3g on average (max %.3g), want <= 0.01 (0.1)", mad, worst)
	}
}
