package diffusion

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// The GPU backend computes in float32. Tolerances below are absolute on
// quantities of order 1 and were chosen from the float32 error analysis
// of each quantity: a SoftMean weight exp(-|x - alpha y|^2 / (2 sigma^2))
// carries a relative error of about 1e-7 |x|^2 / sigma^2, so the denoiser
// may lose a digit per halving of sigma below ~0.3; a sampler run
// accumulates these over its steps (and the state's own rounding).
// Measured on lavapipe: denoiser 3e-6 at sigma = 0.17, 4e-7 at sigma =
// 1; whole sampler runs 1e-6 .. 1e-5; 20 training steps agree in loss to
// 6 digits. The bounds leave a factor 10 or more.

func relClose(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(a[i]-b[i])/math.Max(1, math.Abs(b[i])))
	}
	return m
}

func upload(t *testing.T, b compute.Backend, v []float64) compute.Array {
	t.Helper()
	a, err := b.Upload(v)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func read(t *testing.T, b compute.Backend, a compute.Array) []float64 {
	t.Helper()
	v := make([]float64, a.Len())
	if err := b.Read(v, a); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestGPUEmpiricalDenoiser(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	const m, d, n = 500, 2, 300
	data, x := make([]float64, m*d), make([]float64, n*d)
	for i := range data {
		data[i] = compute.NormalAt(1, uint64(i))
	}
	for i := range x {
		x[i] = compute.NormalAt(2, uint64(i))
	}
	s := Linear(1000)
	for _, tt := range []float64{0.05, 0.2, 0.6, 1} {
		at := At(s, tt)
		var outs [2][]float64
		for k, b := range []compute.Backend{c, g} {
			e, err := NewEmpirical(b, data, m, d, nil)
			if err != nil {
				t.Fatal(err)
			}
			dst, _ := b.Alloc(n * d)
			if err := e.Predict(dst, upload(t, b, x), n, at); err != nil {
				t.Fatal(err)
			}
			outs[k] = read(t, b, dst)
			e.Free()
		}
		tol := 5e-5
		if at.Sigma < 0.3 {
			tol = 2e-4
		}
		err := relClose(outs[1], outs[0])
		t.Logf("t = %g (sigma = %.3f): max |gpu - cpu| = %.2g", tt, at.Sigma, err)
		if err > tol {
			t.Errorf("t = %g: GPU denoiser differs from CPU by %g (tol %g)", tt, err, tol)
		}
	}
}

// TestGPUSamplers runs deterministic and stochastic samplers on both
// backends from the same noise (the Philox stream is shared) with the
// equal-spread mixture denoiser (SoftMean path).
func TestGPUSamplers(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	const n = 256
	x0 := make([]float64, n*2)
	for i := range x0 {
		x0[i] = compute.NormalAt(3, uint64(i))
	}
	s := Cosine(1000)
	for _, set := range []Settings{
		{Sampler: DDIM, Steps: 10, FinalDenoise: true},
		{Sampler: DPMPP2M, Steps: 10, FinalDenoise: true},
		{Sampler: DPMPP3M, Steps: 10},
		{Sampler: Heun, Steps: 8},
		{Sampler: DDPM, Steps: 20, Seed: 5, FinalDenoise: true},
		{Sampler: EulerMaruyama, Steps: 20, Seed: 5},
		{Sampler: ODEAdaptive, Steps: 10, RTol: 1e-3, ATol: 1e-3},
	} {
		var outs [2][]float64
		var nfe [2]int
		for k, b := range []compute.Backend{c, g} {
			mix, err := NewGMM(b, []float64{1, 2, 1}, []float64{-1, 0, 0, 1, 1, 0}, []float64{0.25, 0.25, 0.25}, 2)
			if err != nil {
				t.Fatal(err)
			}
			x := upload(t, b, x0)
			res, err := Sample(b, mix, s, x, n, set)
			if err != nil {
				t.Fatalf("%v on %s: %v", set.Sampler, b.Info().Name, err)
			}
			outs[k], nfe[k] = read(t, b, x), res.NFE
			mix.Free()
		}
		err := relClose(outs[1], outs[0])
		t.Logf("%-15v max |gpu - cpu| = %.2g (NFE %d / %d)", set.Sampler, err, nfe[0], nfe[1])
		if err > 2e-4 {
			t.Errorf("%v: GPU run differs from CPU by %g", set.Sampler, err)
		}
		if set.Sampler != ODEAdaptive && nfe[0] != nfe[1] {
			t.Errorf("%v: NFE %d on CPU, %d on GPU", set.Sampler, nfe[0], nfe[1])
		}
	}
}

func TestGPUForward(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	x0 := make([]float64, 1000)
	for i := range x0 {
		x0[i] = float64(i%7) - 3
	}
	at := At(Linear(1000), 0.5)
	var outs [2][]float64
	for k, b := range []compute.Backend{c, g} {
		dst, _ := b.Alloc(1000)
		noise, _ := b.Alloc(1000)
		if err := Forward(b, dst, upload(t, b, x0), noise, at, 11, 5); err != nil {
			t.Fatal(err)
		}
		outs[k] = read(t, b, dst)
	}
	if err := relClose(outs[1], outs[0]); err > 1e-5 {
		t.Errorf("forward process: GPU differs from CPU by %g", err)
	}
}

// TestGPUTrainAndMLP trains a few steps on both backends from the same
// initial weights and batches: the trained networks agree to float32
// accuracy, and the loaded model's predictions agree.
func TestGPUTrainAndMLP(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	mix, _ := NewGMM(nil, []float64{1, 1}, []float64{-1, 0, 1, 0}, []float64{0.2, 0.2}, 2)
	data := mix.Sample(300, 1)
	s := Linear(1000)
	var preds [2][]float64
	var losses [2][]float64
	x := make([]float64, 40)
	for i := range x {
		x[i] = compute.NormalAt(4, uint64(i))
	}
	for k, b := range []compute.Backend{c, g} {
		m, res, err := Train(b, s, data, 300, 2, TrainSettings{Hidden: []int{32, 32}, Steps: 20, Batch: 64, Seed: 2, LogEvery: 5})
		if err != nil {
			t.Fatal(err)
		}
		losses[k] = res.Losses
		model, err := NewMLP(b, m)
		if err != nil {
			t.Fatal(err)
		}
		dst, _ := b.Alloc(40)
		if err := model.Predict(dst, upload(t, b, x), 20, At(s, 0.4)); err != nil {
			t.Fatal(err)
		}
		preds[k] = read(t, b, dst)
	}
	t.Logf("losses cpu %.5f, gpu %.5f", losses[0], losses[1])
	for i := range losses[0] {
		if math.Abs(losses[0][i]-losses[1][i]) > 1e-4*losses[0][i] {
			t.Errorf("loss %d: cpu %g, gpu %g", i, losses[0][i], losses[1][i])
		}
	}
	if err := relClose(preds[1], preds[0]); err > 1e-4 {
		t.Errorf("trained MLP predictions differ by %g", err)
	}
}
