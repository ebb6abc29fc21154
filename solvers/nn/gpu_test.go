package nn

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestGPUMatchesCPU runs forward, backward and two Adam steps on the GPU
// (float32) and the CPU (float64) from the same weights. Measured on
// lavapipe: ~1e-7 relative; bounds 1e-5 (outputs, gradients) and 1e-4
// (weights after Adam, whose first steps move every weight by ~lr
// regardless of the gradient's size, amplifying float32 rounding of tiny
// gradients).
func TestGPUMatchesCPU(t *testing.T) {
	g := gputest.Backend(t)
	c := compute.NewCPU(0)
	for _, act := range []Activation{SiLU, ReLU} {
		m := testMLP(t, act, 2)
		n := 33
		x, cond, r := normals(n*3, 2), normals(n*2, 3), normals(n*2, 4)
		type outcome struct {
			out   []float64
			grads []Layer
			after *MLP
		}
		var res [2]outcome
		for k, b := range []compute.Backend{c, g} {
			nt, err := NewNet(b, m)
			if err != nil {
				t.Fatal(err)
			}
			xa, _ := b.Upload(x)
			ca, _ := b.Upload(cond)
			ra, _ := b.Upload(r)
			out, _ := b.Alloc(n * 2)
			for step := 0; step < 2; step++ {
				if err := nt.Forward(out, xa, ca, n); err != nil {
					t.Fatal(err)
				}
				if step == 0 {
					res[k].out = make([]float64, n*2)
					b.Read(res[k].out, out)
				}
				if err := nt.Backward(ra); err != nil {
					t.Fatal(err)
				}
				if step == 0 {
					res[k].grads, _ = nt.Gradients()
				}
				if err := nt.Step(Adam{LR: 1e-3}, 0); err != nil {
					t.Fatal(err)
				}
			}
			res[k].after, _ = nt.MLP()
			nt.Free()
		}
		worst := func(a, b []float64) float64 {
			w := 0.0
			for i := range a {
				w = max(w, math.Abs(a[i]-b[i])/math.Max(1, math.Abs(a[i])))
			}
			return w
		}
		if e := worst(res[0].out, res[1].out); e > 1e-5 {
			t.Errorf("%v: forward differs by %g", act, e)
		}
		var eg, ew float64
		for l := range m.Layers {
			eg = max(eg, worst(res[0].grads[l].W, res[1].grads[l].W), worst(res[0].grads[l].B, res[1].grads[l].B))
			ew = max(ew, worst(res[0].after.Layers[l].W, res[1].after.Layers[l].W), worst(res[0].after.Layers[l].B, res[1].after.Layers[l].B))
		}
		t.Logf("%v: gradients differ by %.2g, weights after 2 Adam steps by %.2g", act, eg, ew)
		if eg > 1e-5 || ew > 1e-4 {
			t.Errorf("%v: gradients differ by %g, weights by %g", act, eg, ew)
		}
	}
}
