package barycenter

import (
	"errors"
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// shapes returns K = 3 normalised 24 x 24 images: a disc, a square and a
// ring.
func shapes(h, w int) []float64 {
	img := make([]float64, 3*h*w)
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			y, x := float64(i)/float64(h-1)-0.5, float64(j)/float64(w-1)-0.5
			r := math.Hypot(x, y)
			if math.Hypot(x+0.15, y+0.15) < 0.2 {
				img[i*w+j] = 1
			}
			if math.Abs(x-0.15) < 0.15 && math.Abs(y-0.1) < 0.2 {
				img[h*w+i*w+j] = 1
			}
			if r > 0.25 && r < 0.4 {
				img[2*h*w+i*w+j] = 1
			}
		}
	}
	for k := 0; k < 3; k++ {
		s := 0.0
		for _, v := range img[k*h*w : (k+1)*h*w] {
			s += v
		}
		for i := k * h * w; i < (k+1)*h*w; i++ {
			img[i] /= s
		}
	}
	return img
}

// TestConvolutionalGPUAgreesWithCPU runs both convolutional barycenters
// for 60 iterations on the GPU backend (float32; lavapipe natively) and
// on the float64 CPU backend, and compares. The float32 floor: each
// log-domain convolution carries ~1e-7 relative error, accumulated over
// the iterations. Measured on lavapipe (2-core VM): max |b_gpu - b_cpu|
// is 5e-7 of the largest entry (entropic) and 5e-6 (debiased, 10 more
// convolutions per iteration); the test requires 1e-4.
func TestConvolutionalGPUAgreesWithCPU(t *testing.T) {
	gpu := gputest.Backend(t)
	cpu := compute.NewCPU(0)
	h, w := 24, 24
	p := Images{Images: shapes(h, w), K: 3, H: h, W: w, Weights: []float64{0.5, 0.3, 0.2}}
	for _, c := range []struct {
		name string
		run  func(compute.Backend, Images, Settings) (*Result, error)
	}{{"convolutional", Convolutional}, {"debiased", ConvolutionalDebiased}} {
		s := Settings{Eps: 0.02, Tol: 1e-300, MaxIter: 60}
		rc, err := c.run(cpu, p, s)
		if err != nil {
			t.Fatal(err)
		}
		rg, err := c.run(gpu, p, s)
		if err != nil {
			t.Fatalf("%s on the GPU: %v", c.name, err)
		}
		top := 0.0
		for _, v := range rc.Barycenter {
			top = math.Max(top, v)
		}
		rel := maxAbsDiff(rg.Barycenter, rc.Barycenter) / top
		t.Logf("%s: GPU (%s) vs CPU float64: max |db| / max b = %.2e; err %.3g vs %.3g; marginal error %.3g vs %.3g; %v vs %v",
			c.name, rg.Precision, rel, rg.Err, rc.Err, rg.MarginalError, rc.MarginalError, rg.Time, rc.Time)
		if rel > 1e-4 {
			t.Errorf("%s: GPU barycenter differs from the CPU's by %.3g of its largest entry", c.name, rel)
		}
		if rg.Iterations != 60 || rg.Precision != "float32" {
			t.Errorf("%s: GPU ran %d iterations in %s", c.name, rg.Iterations, rg.Precision)
		}
	}
	// eps below float32's resolution is refused on the GPU, accepted on
	// the CPU.
	s := Settings{Eps: 1e-7, MaxIter: 1}
	if _, err := Convolutional(gpu, p, s); !errors.Is(err, ErrPrecision) {
		t.Errorf("eps = 1e-7 on the GPU: err = %v, want ErrPrecision", err)
	}
	if _, err := Convolutional(cpu, p, s); err != nil {
		t.Errorf("eps = 1e-7 on the float64 CPU: %v", err)
	}
}

// TestFreeSupportEntropicGPU runs 3 iterations of the entropic
// free-support barycenter on the GPU and on the float64 CPU: the supports
// agree to 1e-3 (float32 Sinkhorn plans to inner tolerance 1e-5; measured
// 5.6e-7 on lavapipe at eps = 0.5).
func TestFreeSupportEntropicGPU(t *testing.T) {
	gpu := gputest.Backend(t)
	c := loadRef(t).FreeSupport[1]
	p := Clouds{Clouds: c.Clouds, D: c.D, Weights: c.Weights, Init: c.Init}
	s := Settings{Eps: c.Eps, Tol: 1e-300, MaxIter: 3, InnerTol: 1e-5}
	rg, err := FreeSupportEntropic(gpu, p, s)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := FreeSupportEntropic(compute.NewCPU(0), p, s)
	if err != nil {
		t.Fatal(err)
	}
	d := maxAbsDiff(rg.Barycenter, rc.Barycenter)
	t.Logf("GPU: %d iterations, |X_gpu - X_cpu| = %.2e, inner marginal error %.2e (%s)", rg.Iterations, d, rg.MarginalError, rg.Status)
	if d > 1e-3 {
		t.Errorf("GPU free-support barycenter differs from the reference by %.3g", d)
	}
}

// TestHistogramsGPU runs EntropicOn and DebiasedOn on the GPU for the
// 1-D POT case (40 points, eps = 0.01, 52 / 500 iterations) and compares
// with POT's float64 barycenter: within 1e-4 of its largest entry
// (float32 floor: machine epsilon x max cost / eps = 1.2e-5 per kernel
// entry).
func TestHistogramsGPU(t *testing.T) {
	gpu := gputest.Backend(t)
	for _, c := range loadRef(t).Histograms[:2] {
		p := Histograms{Hists: flat(c.Hists), K: len(c.Hists), N: len(c.Barycenter), Support: c.Support, D: c.D, Weights: c.Weights}
		run := EntropicOn
		if c.Method == "debiased" {
			run = DebiasedOn
		}
		r, err := run(gpu, p, Settings{Eps: c.Eps, Tol: c.Tol, MaxIter: c.MaxIter})
		if err != nil {
			t.Fatal(err)
		}
		top := 0.0
		for _, v := range c.Barycenter {
			top = math.Max(top, v)
		}
		rel := maxAbsDiff(r.Barycenter, c.Barycenter) / top
		t.Logf("%s on the GPU: %d iterations (POT %d), |b - b_POT| / max = %.2e, marginal error %.3g, %v", c.Method, r.Iterations, c.Iterations, rel, r.MarginalError, r.Time)
		if rel > 1e-4 {
			t.Errorf("%s: GPU barycenter differs from POT's by %.3g of its largest entry", c.Method, rel)
		}
	}
}
