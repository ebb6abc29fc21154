package truncate

import (
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
)

type progressCall struct {
	phase       string
	done, total int
}

// TestFitPriorProgress: Settings.Progress reports each prior's phase in
// order: the sliced prior every max(1, steps/100) steps up to SlicedSteps,
// the entropic prior's Sinkhorn iterations up to MaxIter (the caller's
// own Sinkhorn.Progress still called), nothing for the Gaussian prior.
func TestFitPriorProgress(t *testing.T) {
	b := compute.NewCPU(1)
	tr := toy(t, "moons", 200, 1)
	fit := func(p Prior, s Settings) []progressCall {
		t.Helper()
		var calls []progressCall
		s.TTrunc, s.Prior, s.Seed = 200, p, 3
		s.Progress = func(phase string, done, total int) { calls = append(calls, progressCall{phase, done, total}) }
		f, err := FitPrior(b, tr, 200, 2, s)
		if err != nil {
			t.Fatal(err)
		}
		f.Free()
		return calls
	}
	check := func(name string, calls []progressCall, phase string, total int, strict bool) {
		t.Helper()
		if len(calls) == 0 {
			t.Fatalf("%s: no progress calls", name)
		}
		prev := 0
		for i, c := range calls {
			if c.phase != phase || c.total != total || c.done < prev || (strict && c.done == prev) || c.done > total {
				t.Fatalf("%s: call %d = %+v after done %d, want phase %q, total %d, done rising", name, i, c, prev, phase, total)
			}
			prev = c.done
		}
		if last := calls[len(calls)-1]; last.done != total {
			t.Errorf("%s: last call %+v, want done == total", name, last)
		}
	}

	sl := fit(Sliced, Settings{SlicedSteps: 250, SlicedBatch: 64, SlicedProjections: 8})
	check("sliced", sl, PhaseSliced, 250, true)
	if len(sl) != 125 { // every 2 steps (250/100)
		t.Errorf("sliced: %d calls, want 125", len(sl))
	}

	own := 0
	en := fit(Entropic, Settings{FitSamples: 150, Sinkhorn: ot.Settings{MaxIter: 400, Progress: func(int, int, float64) { own++ }}})
	check("entropic", en, PhaseSinkhorn, 400, false)
	if own == 0 || len(en) < 2 {
		t.Errorf("entropic: the caller's Sinkhorn.Progress ran %d times, FitPrior's %d times", own, len(en))
	}

	if g := fit(Gaussian, Settings{}); len(g) != 0 {
		t.Errorf("gaussian: progress calls %v, want none", g)
	}
}
