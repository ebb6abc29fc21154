package play

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
)

func bridgeOf(t *testing.T, query string) Bridge {
	t.Helper()
	return typed(t, BridgeSchema, ParseBridge, query)
}

func TestBridgeSchema(t *testing.T) {
	if _, err := BridgeSchema.DecodeQuery("sigma=0&steps=0"); err == nil || !strings.Contains(err.Error(), "sigma") || !strings.Contains(err.Error(), "steps") {
		t.Errorf("bad sigma and steps not reported by name: %v", err)
	}
	if s := bridgeOf(t, "noise=drift&steps=7&seed=3").SimSettings(); !s.Deterministic || s.Steps != 7 || s.Seed != 3 {
		t.Errorf("sim settings %+v", s)
	}
	q := "noise=drift&particles=40&sigma=0.3&trail=0"
	if st, err := bridgeOf(t, q).State(); err != nil || st.Encode() != q {
		t.Errorf("State() = %q, %v; want %q", st.Encode(), err, q)
	}
}

func TestMeanNearest(t *testing.T) {
	x := []float64{0, 0, 3, 4}
	y := []float64{0, 1, 3, 0, 10, 10}
	if got := meanNearest(x, y); math.Abs(got-(1+4)/2.0) > 1e-15 {
		t.Errorf("meanNearest = %g, want 2.5", got)
	}
}

// bridgeFrames runs s on b to the end, one step a frame.
func bridgeFrames(t *testing.T, s Bridge, b compute.Backend) []BridgeFrame {
	t.Helper()
	run, err := s.Start(context.Background(), b, func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 0, false)
	frames := []BridgeFrame{f}
	for err == nil && !f.Finished() {
		if f, err = run.Step(context.Background(), 1, true); err == nil {
			frames = append(frames, f)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// The page's run is bridge.New + Simulate of the same data, particles and
// seed, step for step, and the particles end near the target.
func TestBridgeRunCPU(t *testing.T) {
	s := bridgeOf(t, "x=gaussian&y=moons&n=60&m=50&particles=40&steps=6&seed=2&backend=cpu")
	cpu := compute.NewCPU(0)
	frames := bridgeFrames(t, s, cpu)
	if len(frames) != 7 {
		t.Fatalf("%d frames, want 7", len(frames))
	}
	prob, _ := s.Problem()
	x0, _ := s.ParticlesAt0()
	br, err := bridge.New(cpu, prob, s.Settings())
	if err != nil {
		t.Fatal(err)
	}
	defer br.Free()
	var xs [][]float64
	set := s.SimSettings()
	set.Callback = func(step int, tt float64, x []float64) error {
		xs = append(xs, append([]float64(nil), x...))
		return nil
	}
	if _, err := br.Simulate(x0, set); err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(frames[0].X, x0); d != 0 || frames[0].T != 0 {
		t.Errorf("frame 0 differs from the particles by %g", d)
	}
	for k, x := range xs {
		if d := maxAbsDiff(frames[k+1].X, x); d > 1e-12 || frames[k+1].Step != k+1 {
			t.Errorf("step %d: positions differ by %g", k+1, d)
		}
	}
	last := frames[6]
	t.Logf("nearest-target distance %v; Sinkhorn %d iterations, cost %.5g", last.Nearest, last.Iterations, last.Cost)
	if !last.Finished() || last.T != 1 || len(last.Nearest) != 7 || !(last.Nearest[6] < 0.2*last.Nearest[0]) || !last.Converged {
		t.Errorf("last frame: finished %v t %g, nearest %v, converged %v", last.Finished(), last.T, last.Nearest, last.Converged)
	}
	if math.Abs(last.Cost-br.Static.Cost) > 1e-12 || math.Abs(last.Eps-0.08) > 1e-15 {
		t.Errorf("cost %g vs %g, eps %g", last.Cost, br.Static.Cost, last.Eps)
	}
	v := frames[3].View
	if len(v.Lines) != 4 || len(v.Points) != 4 || len(v.Lines[0].Segs)+len(v.Lines[1].Segs) != 4*40*(bridgePathTimes-1) {
		t.Errorf("view: %d line sets, %d point sets", len(v.Lines), len(v.Points))
	}
	if err := v.Draw(&figure.Recorder{}); err != nil {
		t.Error(err)
	}
	if csv := last.ParticlesCSV(); strings.Count(csv, "\n") != 41 {
		t.Errorf("particles CSV has %d lines, want a header and 40", strings.Count(csv, "\n"))
	}
}

// Steps of several at once land where single steps do, and closing a run
// in the middle of the simulation ends it.
func TestBridgeStepsAndClose(t *testing.T) {
	s := bridgeOf(t, "n=30&m=30&particles=20&steps=5&backend=cpu")
	one := bridgeFrames(t, s, compute.NewCPU(0))
	run, err := s.Start(context.Background(), compute.NewCPU(0), func(Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	f, err := run.Step(context.Background(), 3, false)
	if err != nil || f.Step != 3 || maxAbsDiff(f.X, one[3].X) != 0 || len(f.Nearest) != 4 {
		t.Fatalf("3 steps at once: step %d, %v, differs by %g", f.Step, err, maxAbsDiff(f.X, one[3].X))
	}
	run.Close() // parked in the callback: must return
	run2, _ := s.Start(context.Background(), compute.NewCPU(0), func(Progress) {})
	if f, err := run2.Step(context.Background(), 100, false); err != nil || f.Step != 5 || !f.Finished() {
		t.Errorf("100 steps of 5: step %d, %v", f.Step, err)
	}
	run2.Close()
}

// An uploaded source: the problem takes its points, the particles are
// drawn from them; without the file the error says what to do.
func TestBridgeUpload(t *testing.T) {
	s := bridgeOf(t, "x=upload&n=10&particles=7&steps=2&backend=cpu")
	if _, err := s.Start(context.Background(), compute.NewCPU(0), func(Progress) {}); err == nil || !strings.Contains(err.Error(), "x = upload") {
		t.Errorf("missing upload: %v", err)
	}
	s.Uploads[0] = &data.Set{Name: "tri.csv", Points: []float64{0, 0, 1, 0, 0, 1}, N: 3, D: 2}
	p, err := s.Problem()
	if err != nil || p.N != 3 {
		t.Fatalf("problem: %v, n %d", err, p.N)
	}
	x0, _ := s.ParticlesAt0()
	for i := 0; i < len(x0); i += 2 {
		if !(x0[i] == 0 && x0[i+1] == 0) && !(x0[i] == 1 && x0[i+1] == 0) && !(x0[i] == 0 && x0[i+1] == 1) {
			t.Errorf("particle %d at (%g, %g): not a point of the upload", i/2, x0[i], x0[i+1])
		}
	}
}

// The run on lavapipe agrees with the CPU's.
func TestBridgeRunGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	s := bridgeOf(t, "n=100&m=80&particles=64&steps=10&noise=drift&seed=1")
	c := bridgeFrames(t, s, compute.NewCPU(0))
	g := bridgeFrames(t, s, gpu)
	lc, lg := c[len(c)-1], g[len(g)-1]
	d := maxAbsDiff(lc.X, lg.X)
	t.Logf("end positions differ by %.3g; cost CPU %.7g GPU %.7g", d, lc.Cost, lg.Cost)
	if d > 1e-3 || math.Abs(lc.Cost-lg.Cost) > 1e-4*lc.Cost {
		t.Errorf("GPU differs: positions by %g, cost %g vs %g", d, lg.Cost, lc.Cost)
	}
}

// transport=momentum: the page's run is bridge.Simulate with the momentum
// transport and the same beta, step for step, and its path energy at t =
// 1 is Simulate's; the drift diagnostic ignores the transport; a beta
// outside (0, 1) is refused by name.
func TestBridgeMomentumRun(t *testing.T) {
	s := bridgeOf(t, "x=gaussian&y=8gaussians&n=60&m=60&particles=30&steps=6&seed=4&transport=momentum&momentum=0.7&backend=cpu")
	cpu := compute.NewCPU(0)
	frames := bridgeFrames(t, s, cpu)
	prob, _ := s.Problem()
	x0, _ := s.ParticlesAt0()
	br, err := bridge.New(cpu, prob, bridge.Settings{Sigma: s.Sigma})
	if err != nil {
		t.Fatal(err)
	}
	defer br.Free()
	var xs [][]float64
	set := bridge.SimSettings{Steps: 6, Seed: 4, Transport: bridge.TransportMomentum, Momentum: 0.7, PathEnergy: true,
		Callback: func(step int, tt float64, x []float64) error { xs = append(xs, x); return nil }}
	res, err := br.Simulate(x0, set)
	if err != nil {
		t.Fatal(err)
	}
	for k, x := range xs {
		if d := maxAbsDiff(frames[k+1].X, x); d > 1e-12 {
			t.Errorf("step %d: positions differ from bridge.Simulate by %g", k+1, d)
		}
	}
	last := frames[len(frames)-1]
	if last.PathEnergy == nil || *last.PathEnergy != res.PathEnergy || !(res.PathEnergy > 0) {
		t.Errorf("path energy %v, Simulate's %g", last.PathEnergy, res.PathEnergy)
	}
	if frames[3].PathEnergy != nil || last.Transport != "momentum" || last.Momentum != 0.7 {
		t.Errorf("frame 3 path energy %v; transport %q beta %g", frames[3].PathEnergy, last.Transport, last.Momentum)
	}
	// The drift (plain Euler) run differs: the setting reaches Simulate.
	plain := bridgeFrames(t, bridgeOf(t, "x=gaussian&y=8gaussians&n=60&m=60&particles=30&steps=6&seed=4&backend=cpu"), cpu)
	if d := maxAbsDiff(plain[6].X, last.X); !(d > 1e-6) || plain[6].Transport != "drift" {
		t.Errorf("momentum and drift runs differ by %g (transport %q)", d, plain[6].Transport)
	}
	t.Logf("path energy: momentum %.4g, drift %.4g", *last.PathEnergy, *plain[6].PathEnergy)
	if set := bridgeOf(t, "noise=drift&transport=momentum").SimSettings(); set.Transport != "" || !set.Deterministic {
		t.Errorf("drift diagnostic settings %+v", set)
	}
	for _, q := range []string{"momentum=1", "momentum=0", "transport=heavy"} {
		if _, err := BridgeSchema.DecodeQuery(q); err == nil || !strings.Contains(err.Error(), strings.Split(q, "=")[0]) {
			t.Errorf("%s: error %v", q, err)
		}
	}
}

// multiscale=K: the static bridge is solved coarse-to-fine (the coarse
// stage is reported) and its cost equals the single-scale one to 1e-4
// relative, the agreement solvers/bridge/RESULTS.md measures at the
// default tolerance.
func TestBridgeMultiscaleRun(t *testing.T) {
	q := "x=gaussian&y=moons&n=400&m=400&sigma=0.1&particles=10&steps=1&backend=cpu"
	single := bridgeFrames(t, bridgeOf(t, q), compute.NewCPU(0))[0]
	multi := bridgeFrames(t, bridgeOf(t, q+"&multiscale=50"), compute.NewCPU(0))[0]
	t.Logf("single: %d iterations, cost %.8g; multiscale 50: coarse %dx%d %d iterations, fine %d, cost %.8g",
		single.Iterations, single.Cost, multi.CoarseN, multi.CoarseM, multi.CoarseIterations, multi.Iterations, multi.Cost)
	if single.CoarseN != 0 || multi.CoarseN != 50 || multi.CoarseM != 50 || multi.CoarseIterations < 1 || !multi.Converged {
		t.Errorf("coarse stage: single %d, multi %dx%d %d iterations, converged %v", single.CoarseN, multi.CoarseN, multi.CoarseM, multi.CoarseIterations, multi.Converged)
	}
	if rel := math.Abs(multi.Cost-single.Cost) / single.Cost; !(rel <= 1e-4) {
		t.Errorf("cost %.10g vs single-scale %.10g (relative %.2g)", multi.Cost, single.Cost, rel)
	}
}
