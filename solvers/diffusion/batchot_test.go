package diffusion

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/sliced"
)

// TestBatchOTEps checks the seed's rule eps = 5e-3 (1 + 9 (1 - abar_t0))
// at its ends and in the middle of the linear schedule (abar from the
// schedule's own LogAlpha).
func TestBatchOTEps(t *testing.T) {
	s := Linear(DefaultT)
	if got := BatchOTEps(s, 0, DefaultBatchOTEpsMin); math.Abs(got-5e-3) > 1e-15 {
		t.Errorf("eps at t0 = 0: %g, want 5e-3 (abar = 1)", got)
	}
	// abar_1 of the linear DDPM schedule is 4.0e-5 (Ho et al. 2020's betas).
	if got := BatchOTEps(s, 1, DefaultBatchOTEpsMin); math.Abs(got-0.05) > 1e-5 {
		t.Errorf("eps at t0 = 1: %g, want 0.05 - 9 x 5e-3 x 4e-5", got)
	}
	abar := math.Exp(2 * s.LogAlpha(0.3))
	if got, want := BatchOTEps(s, 0.3, 0.01), 0.01*(1+9*(1-abar)); math.Abs(got-want) > 1e-15 {
		t.Errorf("eps at t0 = 0.3, eps min 0.01: %g, want %g", got, want)
	}
}

func TestBatchOTTimes(t *testing.T) {
	got, err := BatchOTTimes([]float64{0.5, 1, 0.5 + 1e-12, 0.2, 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{1, 0.5 + 1e-12, 0.2}; !slices.Equal(got, want) {
		t.Errorf("BatchOTTimes = %v, want %v (sorted decreasing, near-duplicates dropped)", got, want)
	}
	for _, c := range []struct {
		ts   []float64
		want string
	}{
		{[]float64{1}, "at least 2"},
		{[]float64{1.5, 0.5}, "within [0, 1]"},
		{[]float64{0.5, -0.1}, "within [0, 1]"},
		{[]float64{0.5, 0.5}, "duplicates"},
		{[]float64{0.5, math.NaN()}, "NaN"},
	} {
		if _, err := BatchOTTimes(c.ts); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("BatchOTTimes(%v): err = %v, want ErrBadInput mentioning %q", c.ts, err, c.want)
		}
	}
}

// TestTransportBatchFullAgainstDenseSinkhorn checks the full map against a
// dense float64 log-domain Sinkhorn written here (uniform weights, cost
// |x - y|^2, 3000 alternating iterations), followed by the barycentric
// projection sum_j P_ij y_j / sum_j P_ij: the seed's _full_ot, converged.
func TestTransportBatchFullAgainstDenseSinkhorn(t *testing.T) {
	b := compute.NewCPU(0)
	const n, d = 40, 2
	xs, _ := data.Generate("gaussian", n, data.Options{Seed: 1})
	ys, _ := data.Generate("moons", n, data.Options{Seed: 2})
	s := Linear(DefaultT)
	x, err := b.Upload(xs.Points)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(x)
	rep, err := TransportBatch(b, x, n, d, ys.Points, s, 1, BatchOTSettings{Method: BatchOTFull, SinkhornIters: 3000})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.SinkhornConverged {
		t.Fatalf("Sinkhorn did not converge in 3000 iterations: %+v", rep)
	}
	got := make([]float64, n*d)
	if err := b.Read(got, x); err != nil {
		t.Fatal(err)
	}
	eps := rep.Eps
	C := make([]float64, n*n)
	for i := range n {
		for j := range n {
			dx, dy := xs.Points[2*i]-ys.Points[2*j], xs.Points[2*i+1]-ys.Points[2*j+1]
			C[i*n+j] = dx*dx + dy*dy
		}
	}
	f, g := make([]float64, n), make([]float64, n)
	lse := func(v []float64) float64 {
		m := slices.Max(v)
		var s float64
		for _, w := range v {
			s += math.Exp(w - m)
		}
		return m + math.Log(s)
	}
	row := make([]float64, n)
	logw := -math.Log(n)
	for it := 0; it < 3000; it++ {
		for i := range n {
			for j := range n {
				row[j] = logw + (g[j]-C[i*n+j])/eps
			}
			f[i] = -eps * lse(row)
		}
		for j := range n {
			for i := range n {
				row[i] = logw + (f[i]-C[i*n+j])/eps
			}
			g[j] = -eps * lse(row)
		}
	}
	for i := range n {
		var w, m0, m1 float64
		for j := range n {
			p := math.Exp((f[i] + g[j] - C[i*n+j]) / eps)
			w += p
			m0 += p * ys.Points[2*j]
			m1 += p * ys.Points[2*j+1]
		}
		if math.Abs(got[2*i]-m0/w) > 1e-5 || math.Abs(got[2*i+1]-m1/w) > 1e-5 {
			t.Fatalf("point %d: full map (%.8g, %.8g), dense Sinkhorn (%.8g, %.8g)", i, got[2*i], got[2*i+1], m0/w, m1/w)
		}
	}
	t.Logf("eps %.4g, %d iterations, marginal error %.2g", rep.Eps, rep.SinkhornIterations, rep.MarginalError)
}

// TestSampleBatchOT runs the whole entry on 8gaussians with the exact
// model: the sliced map of the initial noise towards the pushed target
// lowers its SW_2 to that target, the target's noise is not the initial
// noise, the report holds the seed's eps at t0 = 1, the sampler starts from
// the moved batch (its first data prediction differs from the plain run's)
// and the sample is finite.
func TestSampleBatchOT(t *testing.T) {
	b := compute.NewCPU(0)
	const n = 300
	set, _ := data.Generate("8gaussians", 500, data.Options{Seed: 3})
	held, _ := data.Generate("8gaussians", n, data.Options{Seed: 4})
	m, err := NewEmpirical(b, set.Points, set.N, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	s := Linear(DefaultT)
	target, err := BatchOTTarget(b, held.Points, s, 1, 9)
	if err != nil {
		t.Fatal(err)
	}
	x, err := b.Alloc(n * 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(x)
	if err := InitialNoise(b, x, 9); err != nil {
		t.Fatal(err)
	}
	noise := make([]float64, n*2)
	if err := b.Read(noise, x); err != nil {
		t.Fatal(err)
	}
	for i := range noise {
		if noise[i] == target[i] {
			t.Fatalf("the target's noise is the initial noise (coordinate %d)", i)
		}
	}
	moved, err := sliced.TransportMap(b, sliced.Measure{Points: noise, N: n, D: 2}, sliced.Measure{Points: target, N: n, D: 2}, DefaultBatchOTProjections, 9)
	if err != nil {
		t.Fatal(err)
	}
	sw := func(p []float64) float64 {
		r, err := sliced.Distance(b, sliced.Measure{Points: p, N: n, D: 2}, sliced.Measure{Points: target, N: n, D: 2}, sliced.Settings{Projections: 400, Seed: 77})
		if err != nil {
			t.Fatal(err)
		}
		return r.SW
	}
	if before, after := sw(noise), sw(moved); !(after < before) {
		t.Errorf("SW_2 to the target: noise %.4f, moved %.4f; want a drop", before, after)
	}
	var first []float64
	res, rep, err := SampleBatchOT(b, m, s, x, n, target, BatchOTSettings{Seed: 9},
		Settings{Sampler: DPMPP2M, Steps: 10, FinalDenoise: true, Callback: func(st Step) error {
			if st.Index == 0 {
				first = st.Denoised
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Method != "sliced" || rep.T0 != 1 || math.Abs(rep.Eps-0.05) > 1e-5 {
		t.Errorf("report %+v: want sliced at t0 = 1 with eps 0.05", rep)
	}
	out := make([]float64, n*2)
	if err := b.Read(out, x); err != nil {
		t.Fatal(err)
	}
	if err := compute.CheckFinite("sample", out); err != nil {
		t.Fatal(err)
	}
	if res.NFE != 11 || first == nil {
		t.Errorf("NFE = %d, want 10 steps + the final denoise", res.NFE)
	}
	// The first step's data prediction was made at the moved batch: it
	// differs from the prediction at the plain noise.
	plain, err := b.Upload(noise)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free(plain)
	var firstPlain []float64
	if _, err := Sample(b, m, s, plain, n, Settings{Sampler: DPMPP2M, Steps: 10, Callback: func(st Step) error {
		if st.Index == 0 {
			firstPlain = st.Denoised
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if slices.Equal(first, firstPlain) {
		t.Error("the batch OT run's first data prediction equals the plain run's: the move did not reach the sampler")
	}
}

func TestTransportBatchErrors(t *testing.T) {
	b := compute.NewCPU(0)
	s := Linear(DefaultT)
	x, _ := b.Upload([]float64{0, 1, 2, 3})
	defer b.Free(x)
	for _, c := range []struct {
		name   string
		target []float64
		set    BatchOTSettings
		t0     float64
		want   string
	}{
		{"mismatched sizes", []float64{0, 1, 2, 3, 4, 5}, BatchOTSettings{}, 1, "same shape"},
		{"NaN target", []float64{0, math.NaN(), 2, 3}, BatchOTSettings{}, 1, "NaN"},
		{"P < 0", []float64{0, 1, 2, 3}, BatchOTSettings{Projections: -1}, 1, "projections = -1"},
		{"method", []float64{0, 1, 2, 3}, BatchOTSettings{Method: 7}, 1, "unknown method"},
		{"t0", []float64{0, 1, 2, 3}, BatchOTSettings{}, 1.5, "t0 = 1.5"},
	} {
		if _, err := TransportBatch(b, x, 2, 2, c.target, s, c.t0, c.set); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want ErrBadInput mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := ParseBatchOTMethod("exact"); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "sliced or full") {
		t.Errorf("ParseBatchOTMethod(exact): %v", err)
	}
}
