package nn

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
)

func testMLP(t *testing.T, act Activation, cond int) *MLP {
	t.Helper()
	m, err := New(Config{In: 3, Cond: cond, Hidden: []int{5, 4}, Out: 2, Activation: act}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// non-zero biases so that their gradients are exercised
	for l := range m.Layers {
		for j := range m.Layers[l].B {
			m.Layers[l].B[j] = 0.1 * compute.NormalAt(99, uint64(l*100+j))
		}
	}
	return m
}

func normals(n int, seed uint64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = compute.NormalAt(seed, uint64(i))
	}
	return v
}

func closeRel(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// TestForwardMatchesHost checks the backend forward pass against the
// float64 host loop, for both activations, per-row and shared cond.
func TestForwardMatchesHost(t *testing.T) {
	b := compute.NewCPU(1)
	for _, act := range []Activation{SiLU, ReLU} {
		for _, sharedCond := range []bool{false, true} {
			m := testMLP(t, act, 2)
			n := 7
			x := normals(n*3, 2)
			cond := normals(n*2, 3)
			if sharedCond {
				cond = cond[:2]
			}
			want := make([]float64, n*2)
			if err := m.ForwardHost(want, x, cond, n); err != nil {
				t.Fatal(err)
			}
			nt, err := NewNet(b, m)
			if err != nil {
				t.Fatal(err)
			}
			xa, _ := b.Upload(x)
			ca, _ := b.Upload(cond)
			out, _ := b.Alloc(n * 2)
			if err := nt.Forward(out, xa, ca, n); err != nil {
				t.Fatal(err)
			}
			got := make([]float64, n*2)
			b.Read(got, out)
			for i := range got {
				if !closeRel(got[i], want[i], 1e-13) {
					t.Fatalf("%v shared=%v: out[%d] = %v, want %v", act, sharedCond, i, got[i], want[i])
				}
			}
		}
	}
}

// TestGradientFiniteDifference checks Backward against central
// differences of the host forward pass for the loss
// L = sum_i r_i . out_i (r fixed), every parameter.
func TestGradientFiniteDifference(t *testing.T) {
	b := compute.NewCPU(1)
	for _, act := range []Activation{SiLU, ReLU} {
		for _, sharedCond := range []bool{false, true} {
			m := testMLP(t, act, 2)
			n := 6
			x := normals(n*3, 4)
			cond := normals(n*2, 5)
			if sharedCond {
				cond = cond[:2]
			}
			r := normals(n*2, 6)
			loss := func(m *MLP) float64 {
				out := make([]float64, n*2)
				if err := m.ForwardHost(out, x, cond, n); err != nil {
					t.Fatal(err)
				}
				s := 0.0
				for i := range out {
					s += r[i] * out[i]
				}
				return s
			}
			nt, _ := NewNet(b, m)
			xa, _ := b.Upload(x)
			ca, _ := b.Upload(cond)
			out, _ := b.Alloc(n * 2)
			if err := nt.Forward(out, xa, ca, n); err != nil {
				t.Fatal(err)
			}
			ra, _ := b.Upload(r)
			if err := nt.Backward(ra); err != nil {
				t.Fatal(err)
			}
			grads, err := nt.Gradients()
			if err != nil {
				t.Fatal(err)
			}
			const h = 1e-6
			worst := 0.0
			for l := range m.Layers {
				for _, which := range []string{"w", "b"} {
					vals, g := m.Layers[l].W, grads[l].W
					if which == "b" {
						vals, g = m.Layers[l].B, grads[l].B
					}
					for i := range vals {
						old := vals[i]
						vals[i] = old + h
						lp := loss(m)
						vals[i] = old - h
						lm := loss(m)
						vals[i] = old
						fd := (lp - lm) / (2 * h)
						worst = max(worst, math.Abs(fd-g[i]))
						if !closeRel(g[i], fd, 1e-6) {
							t.Errorf("%v shared=%v: layer %d %s[%d] gradient %v, finite difference %v", act, sharedCond, l, which, i, g[i], fd)
						}
					}
				}
			}
			t.Logf("%v shared cond=%v: max |grad - finite difference| = %.2g", act, sharedCond, worst)
		}
	}
}

// TestAdamMatchesHost runs three Adam steps on the backend and on a host
// transcription of Kingma and Ba's Alg. 1.
func TestAdamMatchesHost(t *testing.T) {
	b := compute.NewCPU(1)
	m := testMLP(t, SiLU, 2)
	n := 5
	x, cond, r := normals(n*3, 7), normals(n*2, 8), normals(n*2, 9)
	nt, _ := NewNet(b, m)
	xa, _ := b.Upload(x)
	ca, _ := b.Upload(cond)
	ra, _ := b.Upload(r)
	out, _ := b.Alloc(n * 2)
	opt := Adam{LR: 0.01}
	host := testMLP(t, SiLU, 2)
	var mm, vv [][]float64
	for step := 1; step <= 3; step++ {
		// the same gradient evaluated at the current parameters
		if err := nt.Forward(out, xa, ca, n); err != nil {
			t.Fatal(err)
		}
		if err := nt.Backward(ra); err != nil {
			t.Fatal(err)
		}
		grads, _ := nt.Gradients()
		if err := nt.Step(opt, 0); err != nil {
			t.Fatal(err)
		}
		k := 0
		for l := range host.Layers {
			for _, pair := range [][2][]float64{{host.Layers[l].W, grads[l].W}, {host.Layers[l].B, grads[l].B}} {
				p, g := pair[0], pair[1]
				if len(mm) <= k {
					mm = append(mm, make([]float64, len(p)))
					vv = append(vv, make([]float64, len(p)))
				}
				for i := range p {
					mm[k][i] = 0.9*mm[k][i] + 0.1*g[i]
					vv[k][i] = 0.999*vv[k][i] + 0.001*g[i]*g[i]
					mh := mm[k][i] / (1 - math.Pow(0.9, float64(step)))
					vh := vv[k][i] / (1 - math.Pow(0.999, float64(step)))
					p[i] -= 0.01 * mh / (math.Sqrt(vh) + 1e-8)
				}
				k++
			}
		}
	}
	got, err := nt.MLP()
	if err != nil {
		t.Fatal(err)
	}
	for l := range got.Layers {
		for i := range got.Layers[l].W {
			if !closeRel(got.Layers[l].W[i], host.Layers[l].W[i], 1e-12) {
				t.Fatalf("layer %d W[%d] = %v, host Adam %v", l, i, got.Layers[l].W[i], host.Layers[l].W[i])
			}
		}
		for i := range got.Layers[l].B {
			if !closeRel(got.Layers[l].B[i], host.Layers[l].B[i], 1e-12) {
				t.Fatalf("layer %d B[%d] = %v, host Adam %v", l, i, got.Layers[l].B[i], host.Layers[l].B[i])
			}
		}
	}
}

// TestFit trains a 1-D regression y = sin(3x) with Adam on the backend
// (loss mean squared error) and requires the loss to drop below 1e-2.
func TestFit(t *testing.T) {
	b := compute.NewCPU(1)
	m, _ := New(Config{In: 1, Hidden: []int{32, 32}, Out: 1, Activation: SiLU}, 3)
	nt, _ := NewNet(b, m)
	n := 64
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = -1 + 2*float64(i)/float64(n-1)
		y[i] = math.Sin(3 * x[i])
	}
	xa, _ := b.Upload(x)
	ya, _ := b.Upload(y)
	out, _ := b.Alloc(n)
	d, _ := b.Alloc(n)
	var loss float64
	for it := 0; it < 1500; it++ {
		if err := nt.Forward(out, xa, nil, n); err != nil {
			t.Fatal(err)
		}
		b.Map(d, compute.MapArgs{Op: compute.OpAxpby, X: out, Y: ya, A: 2 / float64(n), B: -2 / float64(n)})
		if err := nt.Backward(d); err != nil {
			t.Fatal(err)
		}
		if err := nt.Step(Adam{LR: 1e-2}, 0); err != nil {
			t.Fatal(err)
		}
	}
	nt.Forward(out, xa, nil, n)
	o := make([]float64, n)
	b.Read(o, out)
	for i := range o {
		loss += (o[i] - y[i]) * (o[i] - y[i]) / float64(n)
	}
	t.Logf("mse after 1500 Adam steps: %.3g", loss)
	if loss > 1e-2 {
		t.Errorf("mse %g, want < 1e-2", loss)
	}
}

func TestFileRoundTrip(t *testing.T) {
	m := testMLP(t, ReLU, 4)
	m.TimeEmbedding = &TimeEmbedding{Frequencies: 2}
	m.Meta = map[string]string{"schedule": "linear"}
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Activation != ReLU || got.Meta["schedule"] != "linear" || got.TimeEmbedding.Dim() != 4 {
		t.Fatalf("round trip lost fields: %+v", got.Config)
	}
	for l := range m.Layers {
		for i, v := range m.Layers[l].W {
			if got.Layers[l].W[i] != v {
				t.Fatalf("layer %d W[%d] = %v after round trip, want %v bit for bit", l, i, got.Layers[l].W[i], v)
			}
		}
	}
}

func TestReadRejects(t *testing.T) {
	m := testMLP(t, SiLU, 0)
	var buf bytes.Buffer
	m.Write(&buf)
	good := buf.String()
	cases := map[string]string{
		"not json":      "hello",
		"empty":         "",
		"format":        strings.Replace(good, `"otplay-mlp"`, `"keras"`, 1),
		"version":       strings.Replace(good, `"version":1`, `"version":7`, 1),
		"activation":    strings.Replace(good, `"silu"`, `"tanh"`, 1),
		"truncated":     good[:len(good)/2],
		"shape":         strings.Replace(good, `"hidden":[5,4]`, `"hidden":[5,3]`, 1),
		"unknown field": strings.Replace(good, `"format"`, `"colour":1,"format"`, 1),
		"nan":           strings.Replace(good, `"b":[`, `"b":["NaN",`, 1),
	}
	for name, text := range cases {
		_, err := Read(strings.NewReader(text))
		if err == nil {
			t.Errorf("%s: Read accepted a bad file", name)
			continue
		}
		if !errors.Is(err, ErrBadModel) {
			t.Errorf("%s: error %v does not wrap ErrBadModel", name, err)
		}
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{{In: 0, Out: 1}, {In: 1, Out: 0}, {In: 1, Out: 1, Hidden: []int{0}}, {In: 1, Out: 1, Cond: -1}, {In: 1, Out: 1, Activation: 9}} {
		if _, err := New(c, 0); !errors.Is(err, ErrBadModel) {
			t.Errorf("New(%+v) error %v, want ErrBadModel", c, err)
		}
	}
}

// TestEMA checks the moving average against its recurrence on the host
// over three Adam steps.
func TestEMA(t *testing.T) {
	b := compute.NewCPU(1)
	m := testMLP(t, ReLU, 0)
	nt, _ := NewNet(b, m)
	n := 4
	xa, _ := b.Upload(normals(n*3, 1))
	ra, _ := b.Upload(normals(n*2, 2))
	out, _ := b.Alloc(n * 2)
	if _, err := nt.EMAMLP(); err == nil {
		t.Error("EMAMLP before UpdateEMA accepted")
	}
	const decay = 0.7
	want := testMLP(t, ReLU, 0) // ema starts at the initial weights
	for step := 0; step < 3; step++ {
		if step == 0 {
			if err := nt.UpdateEMA(decay); err != nil {
				t.Fatal(err)
			}
		}
		nt.Forward(out, xa, nil, n)
		nt.Backward(ra)
		nt.Step(Adam{}, 0)
		if err := nt.UpdateEMA(decay); err != nil {
			t.Fatal(err)
		}
		cur, _ := nt.MLP()
		for l := range want.Layers {
			for i := range want.Layers[l].W {
				want.Layers[l].W[i] = decay*want.Layers[l].W[i] + (1-decay)*cur.Layers[l].W[i]
			}
			for i := range want.Layers[l].B {
				want.Layers[l].B[i] = decay*want.Layers[l].B[i] + (1-decay)*cur.Layers[l].B[i]
			}
		}
	}
	got, err := nt.EMAMLP()
	if err != nil {
		t.Fatal(err)
	}
	for l := range want.Layers {
		for i := range want.Layers[l].W {
			if !closeRel(got.Layers[l].W[i], want.Layers[l].W[i], 1e-14) {
				t.Fatalf("ema layer %d W[%d] = %v, want %v", l, i, got.Layers[l].W[i], want.Layers[l].W[i])
			}
		}
	}
	if err := nt.UpdateEMA(1); err == nil {
		t.Error("decay 1 accepted")
	}
}
