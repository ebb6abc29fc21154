package ui

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/bridge"
)

func TestBridgeSchema(t *testing.T) {
	if err := BridgeSchema.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := BridgeSchema.DecodeQuery("sigma=0&steps=0"); err == nil || !strings.Contains(err.Error(), "sigma") || !strings.Contains(err.Error(), "steps") {
		t.Errorf("bad sigma and steps not reported by name: %v", err)
	}
	st := mustDecodeTestState(t, BridgeSchema, "noise=drift&steps=7&seed=3")
	if s := BridgeSimSettings(st); !s.Deterministic || s.Steps != 7 || s.Seed != 3 {
		t.Errorf("sim settings %+v", s)
	}
}

func TestMeanNearest(t *testing.T) {
	x := []float64{0, 0, 3, 4}
	y := []float64{0, 1, 3, 0, 10, 10}
	if got := meanNearest(x, y); math.Abs(got-(1+4)/2.0) > 1e-15 {
		t.Errorf("meanNearest = %g, want 2.5", got)
	}
}

func runBridgeFrames(t *testing.T, status BackendStatus, st State) []BridgeFrame {
	t.Helper()
	g := newStepGate()
	g.gap = 0
	g.play()
	var frames []BridgeFrame
	runBridgeOn(status, st, g, func(f BridgeFrame) { frames = append(frames, f) })
	if len(frames) == 0 {
		t.Fatal("no frame")
	}
	if f := frames[len(frames)-1]; f.Error != "" {
		t.Fatal(f.Error)
	}
	return frames
}

// The page's run is bridge.New + Simulate of the same data, particles and
// seed, step for step, and the particles end near the target.
func TestRunBridgeCPU(t *testing.T) {
	st := mustDecodeTestState(t, BridgeSchema, "x=gaussian&y=moons&n=60&m=50&particles=40&steps=6&seed=2&backend=cpu")
	cpu := compute.NewCPU(0)
	frames := runBridgeFrames(t, BackendStatus{Backend: cpu, Kind: KindCPU}, st)
	if len(frames) != 7 {
		t.Fatalf("%d frames, want 7", len(frames))
	}
	prob, _ := BridgeProblem(st)
	x0, _ := BridgeParticles(st)
	br, err := bridge.New(cpu, prob, BridgeSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	defer br.Free()
	var xs [][]float64
	set := BridgeSimSettings(st)
	set.Callback = func(step int, tt float64, x []float64) error {
		xs = append(xs, append([]float64(nil), x...))
		return nil
	}
	if _, err := br.Simulate(x0, set); err != nil {
		t.Fatal(err)
	}
	if d := diffusionMaxAbsDiff(frames[0].X, x0); d != 0 || frames[0].T != 0 {
		t.Errorf("frame 0 differs from the particles by %g", d)
	}
	for k, x := range xs {
		if d := diffusionMaxAbsDiff(frames[k+1].X, x); d > 1e-12 || frames[k+1].Step != k+1 {
			t.Errorf("step %d: positions differ by %g", k+1, d)
		}
	}
	last := frames[6]
	t.Logf("nearest-target distance %v; Sinkhorn %d iterations, cost %.5g", last.Nearest, last.Iterations, last.Cost)
	if !last.Finished || last.T != 1 || len(last.Nearest) != 7 || !(last.Nearest[6] < 0.2*last.Nearest[0]) || !last.Converged {
		t.Errorf("last frame: finished %v t %g, nearest %v, converged %v", last.Finished, last.T, last.Nearest, last.Converged)
	}
	if math.Abs(last.Cost-br.Static.Cost) > 1e-12 || math.Abs(last.Eps-0.08) > 1e-15 {
		t.Errorf("cost %g vs %g, eps %g", last.Cost, br.Static.Cost, last.Eps)
	}
	v := frames[3].view
	if len(v.Lines) != 4 || len(v.Points) != 4 || len(v.Lines[0].Segs)+len(v.Lines[1].Segs) != 4*40*(bridgePathTimes-1) {
		t.Errorf("view: %d line sets, %d point sets", len(v.Lines), len(v.Points))
	}
	if err := v.Draw(&Recorder{}); err != nil {
		t.Error(err)
	}
	page := &BridgePage{state: st, frame: &last, run: &bridgeRun{st: st, gate: newStepGate()}}
	html := app.HTMLString(page)
	for _, want := range []string{`data-status="finished"`, `data-step="6"`, "eps = 2 sigma^2 = 0.08", `id="bridge-view"`, "σ √h Z_k"} {
		if !strings.Contains(html, want) {
			t.Errorf("/bridge lacks %q", want)
		}
	}
}

func TestRunBridgeGate(t *testing.T) {
	st := mustDecodeTestState(t, BridgeSchema, "n=30&m=30&particles=20&steps=5&backend=cpu")
	g := newStepGate()
	frames := make(chan BridgeFrame, 16)
	done := make(chan struct{})
	go func() { runBridge(st, g, func(f BridgeFrame) { frames <- f }); close(done) }()
	if f := <-frames; f.Step != 0 || f.Error != "" {
		t.Fatalf("first frame: step %d, %q", f.Step, f.Error)
	}
	select {
	case f := <-frames:
		t.Fatalf("stepped without Step: %d", f.Step)
	case <-time.After(50 * time.Millisecond):
	}
	g.step()
	if f := <-frames; f.Step != 1 {
		t.Fatalf("after Step: step %d", f.Step)
	}
	g.stop()
	<-done
}

func TestRunBridgeGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	st := mustDecodeTestState(t, BridgeSchema, "n=100&m=80&particles=64&steps=10&noise=drift&seed=1")
	c := runBridgeFrames(t, BackendStatus{Backend: compute.NewCPU(0), Kind: KindCPU}, st)
	g := runBridgeFrames(t, BackendStatus{Backend: gpu, Kind: KindWebGPU}, st)
	lc, lg := c[len(c)-1], g[len(g)-1]
	d := diffusionMaxAbsDiff(lc.X, lg.X)
	t.Logf("end positions differ by %.3g; cost CPU %.7g GPU %.7g", d, lc.Cost, lg.Cost)
	if d > 1e-3 || math.Abs(lc.Cost-lg.Cost) > 1e-4*lc.Cost {
		t.Errorf("GPU differs: positions by %g, cost %g vs %g", d, lg.Cost, lc.Cost)
	}
}
