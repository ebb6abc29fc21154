//go:build !js

package batch

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
)

func mustSet(t *testing.T, spec string) *data.Set {
	t.Helper()
	s, err := data.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return &s
}

// TestSolveInlineMatchesSpec: points given inline give the same plan,
// bit for bit, as the same points named by their spec.
func TestSolveInlineMatchesSpec(t *testing.T) {
	byName := NewSolveRequest()
	byName.X, byName.Y, byName.Eps, byName.Backend, byName.Plan, byName.Potentials = "moons:40:seed=1", "8gaussians:30:seed=2", 0.1, "cpu", true, true
	inline := byName
	inline.X, inline.Y = "", ""
	inline.XSet, inline.YSet = mustSet(t, byName.X), mustSet(t, byName.Y)
	r1, err := Solve(byName, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Solve(inline, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Cost != r2.Cost || len(r1.Plan) != 40*30 || len(r2.Plan) != 40*30 || len(r2.F) != 40 || len(r2.G) != 30 {
		t.Fatalf("inline cost %g (plan %d, F %d, G %d), by spec %g (plan %d)", r2.Cost, len(r2.Plan), len(r2.F), len(r2.G), r1.Cost, len(r1.Plan))
	}
	for k := range r1.Plan {
		if r1.Plan[k] != r2.Plan[k] {
			t.Fatalf("plan[%d] = %g inline, %g by spec", k, r2.Plan[k], r1.Plan[k])
		}
	}
	// The plan's row sums are the uniform source weights.
	for i := 0; i < 40; i++ {
		s := 0.0
		for j := 0; j < 30; j++ {
			s += r2.Plan[i*30+j]
		}
		if math.Abs(s-1.0/40) > 1e-6 {
			t.Fatalf("row %d of the plan sums to %g, want 1/40", i, s)
		}
	}
}

// TestRefusedBeforeBackend: bad requests are UsageErrors naming the flag
// (and the index of a bad value), and no backend is opened for them.
func TestRefusedBeforeBackend(t *testing.T) {
	nan := &data.Set{Points: []float64{0, 0, 1, math.NaN()}, N: 2, D: 2}
	good := mustSet(t, "moons:10")
	opened := false
	opt := Options{Open: func(string) (compute.Backend, string, error) {
		opened = true
		return compute.NewCPU(0), "", nil
	}}
	solve := func(mod func(*SolveRequest)) error {
		r := NewSolveRequest()
		r.XSet, r.YSet = good, good
		mod(&r)
		_, err := Solve(r, opt)
		return err
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{solve(func(r *SolveRequest) { r.XSet = nan }), "--x: value 3 [1, 1] is NaN (not finite)"},
		{solve(func(r *SolveRequest) { r.Eps = -1 }), "--eps -1: must be positive"},
		{solve(func(r *SolveRequest) { r.AWeights = make([]float64, 10) }), "--a: weights sum to 0"},
		{solve(func(r *SolveRequest) { r.BWeights = []float64{1, 2} }), "--b: 2 weights for 10 points"},
		{solve(func(r *SolveRequest) { r.YSet = &data.Set{Points: []float64{1, 2, 3}, N: 1, D: 3} }), "--x has dimension 2 and --y dimension 3"},
	} {
		var ue UsageError
		if !errors.As(c.err, &ue) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v (%T), want a UsageError with %q", c.err, c.err, c.want)
		}
	}
	sr := NewSampleRequest()
	sr.Steps = 0
	if _, err := Sample(sr, opt); err == nil || !strings.Contains(err.Error(), "--steps = 0") {
		t.Errorf("sample with 0 steps: %v", err)
	}
	br := NewBridgeRequest()
	br.Times = []float64{0, 2}
	if _, err := Bridge(br, opt); err == nil || !strings.Contains(err.Error(), "--times: 2 is outside [0, 1]") {
		t.Errorf("bridge at t = 2: %v", err)
	}
	br = NewBridgeRequest()
	br.Source, br.Target, br.N = "gaussian:10:d=64", "gaussian:10:d=64", data.MaxPoints
	if _, err := Bridge(br, opt); err == nil || !strings.Contains(err.Error(), "points of dimension 64 exceed the limit") {
		t.Errorf("bridge with 2^22 points in 64-D: %v", err)
	}
	if opened {
		t.Error("a backend was opened for a refused request")
	}
}

// TestCancel: a context cancelled during a run stops it at the backend's
// next operation with the context's error.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := NewSolveRequest()
	r.X, r.Y, r.Eps, r.Tol, r.Iters, r.Backend, r.Tier = "moons:50", "circles:50", 1e-4, -1, 1000000, "cpu", "full"
	calls := 0
	_, err := Solve(r, Options{Context: ctx, Progress: func(iter, maxIter int, residual float64) {
		calls++
		cancel()
	}})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("cancelled solve: error %v after %d progress calls; want context.Canceled after 1", err, calls)
	}
}

// TestSlicedDirections: the directions a seeded run reports give the
// same distance when passed back (the way the Python client compares
// with POT), and the value is the mean of the per-direction values.
func TestSlicedDirections(t *testing.T) {
	r := NewSlicedRequest()
	r.X, r.Y, r.Projections, r.Seed, r.Backend = "moons:70:seed=1", "gaussian:50:seed=2", 30, 5, "cpu"
	first, err := Sliced(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Directions, r.Projections, r.Seed = first.Directions, 1, 99
	again, err := Sliced(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mean := 0.0
	for _, v := range first.PerDirection {
		mean += v / float64(len(first.PerDirection))
	}
	if again.Projections != 30 || math.Abs(again.Value-first.Value) > 1e-12*first.Value || math.Abs(first.Cost-mean) > 1e-12*mean {
		t.Errorf("SW %g with the returned directions (L = %d), %g drawn; SW^2 %g, mean per direction %g", again.Value, again.Projections, first.Value, first.Cost, mean)
	}
	r.Directions = []float64{1, 0, 0}
	if _, err := Sliced(r, Options{}); err == nil || !strings.Contains(err.Error(), "--directions: 3 values are not L x 2") {
		t.Errorf("ragged directions: %v", err)
	}
}

// leakCheck is the CPU reference counting its live arrays; after ops
// operations it cancels a context (a client going away mid-run).
type leakCheck struct {
	compute.Backend
	live   int
	ops    int
	after  int
	cancel context.CancelFunc
}

func (l *leakCheck) op() {
	l.ops++
	if l.ops == l.after {
		l.cancel()
	}
}

func (l *leakCheck) Alloc(n int) (compute.Array, error) {
	a, err := l.Backend.Alloc(n)
	if err == nil {
		l.live++
	}
	return a, err
}

func (l *leakCheck) Upload(src []float64) (compute.Array, error) {
	a, err := l.Backend.Upload(src)
	if err == nil {
		l.live++
	}
	return a, err
}

func (l *leakCheck) Free(a compute.Array) {
	if a != nil {
		l.live--
	}
	l.Backend.Free(a)
}

func (l *leakCheck) SoftMin(dst compute.Array, p compute.Pairs) error {
	l.op()
	return l.Backend.SoftMin(dst, p)
}

func (l *leakCheck) SoftMean(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	l.op()
	return l.Backend.SoftMean(dst, p, v, dv)
}

func (l *leakCheck) SoftMeanY(dst compute.Array, p compute.Pairs, c float64) error {
	l.op()
	return l.Backend.SoftMeanY(dst, p, c)
}

func (l *leakCheck) Map(dst compute.Array, a compute.MapArgs) error {
	l.op()
	return l.Backend.Map(dst, a)
}

// TestCancelFreesArrays: a run cancelled in the middle returns the
// context's error and leaves no array allocated on the backend (which the
// server shares between requests), for every kind of run.
func TestCancelFreesArrays(t *testing.T) {
	runs := map[string]func(Options) error{
		"solve": func(o Options) error {
			r := NewSolveRequest()
			r.X, r.Y, r.Eps, r.Tol, r.Iters, r.Tier = "moons:60", "circles:50", 1e-3, -1, 100000, "full"
			_, err := Solve(r, o)
			return err
		},
		"divergence": func(o Options) error {
			r := NewSolveRequest()
			r.X, r.Y, r.Method, r.Eps, r.Tol, r.Iters = "moons:60", "circles:50", "divergence", 1e-3, -1, 100000
			_, err := Solve(r, o)
			return err
		},
		"sample": func(o Options) error {
			r := NewSampleRequest()
			r.Data, r.N, r.Steps, r.Quality = "moons:100", 50, 200, false
			_, err := Sample(r, o)
			return err
		},
		"bridge": func(o Options) error {
			r := NewBridgeRequest()
			r.Source, r.Target, r.N, r.Mode, r.Steps = "gaussian:60", "moons:60", 40, "sde", 500
			_, err := Bridge(r, o)
			return err
		},
	}
	for name, run := range runs {
		ctx, cancel := context.WithCancel(context.Background())
		be := &leakCheck{Backend: compute.NewCPU(0), after: 40, cancel: cancel}
		err := run(Options{Context: ctx, Open: func(string) (compute.Backend, string, error) { return be, "", nil }})
		cancel()
		if !errors.Is(err, context.Canceled) || be.ops < 40 {
			t.Errorf("%s: cancelled after %d operations: error %v, want context.Canceled", name, be.ops, err)
		}
		if be.live != 0 {
			t.Errorf("%s: %d arrays left allocated after the cancelled run", name, be.live)
		}
	}
}
