//go:build !js

package batch

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/bridge"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
)

// SampleCorrection is otplay sample's Schrodinger-bridge correction
// (embedded in SampleRequest): bridge.SampleCorrected, which after every
// Every sampler steps moves the batch part of the way (Relax) along the
// barycentric projection of a short Sinkhorn plan towards the --data
// points pushed through the forward process to the current time.
type SampleCorrection struct {
	// Correct turns the correction on (--correct).
	Correct bool `json:"correct,omitempty"`
	// CorrectEvery is the number of sampler steps between corrections
	// (--correct-every; 0: bridge's default, every step).
	CorrectEvery int `json:"correct_every,omitempty"`
	// CorrectRelax is the relaxation lambda in (0, 1] (--correct-relax;
	// 0: bridge.DefaultRelax).
	CorrectRelax float64 `json:"correct_relax,omitempty"`
	// MMDSteps replaces the time grid by bridge.MMDTimes (--mmd-steps):
	// steps spaced evenly in the MMD between consecutive forward marginals
	// of the --data points (SBDS's MMD-adaptive steps).
	MMDSteps bool `json:"mmd_steps,omitempty"`
}

// SampleCorrectionResult reports the correction (embedded in
// SampleResult).
type SampleCorrectionResult struct {
	// Corrections is the number of corrections applied.
	Corrections int `json:"corrections,omitempty"`
	// CorrectMS is the time they took (part of time_ms).
	CorrectMS float64 `json:"correct_ms,omitempty"`
}

func (c SampleCorrection) check(sampler diffusion.Sampler, spacing string) error {
	switch {
	case c.MMDSteps && sampler == diffusion.ODEAdaptive:
		return usage("--mmd-steps: the adaptive sampler picks its own steps; pick a fixed-step sampler")
	case c.MMDSteps && spacing != "" && spacing != "default":
		return usage("--mmd-steps replaces the time grid; drop --spacing %s", spacing)
	case !c.Correct && (c.CorrectEvery != 0 || c.CorrectRelax != 0):
		return usage("--correct-every/--correct-relax: turn the correction on with --correct")
	case c.CorrectEvery < 0:
		return usage("--correct-every %d: want >= 1 (0: every step)", c.CorrectEvery)
	case math.IsNaN(c.CorrectRelax) || c.CorrectRelax < 0 || c.CorrectRelax > 1:
		return usage("--correct-relax %g: want lambda in (0, 1] (0: the default %g)", c.CorrectRelax, bridge.DefaultRelax)
	case c.Correct && sampler == diffusion.ODEAdaptive:
		return usage("--correct: the adaptive sampler has no fixed steps to correct between; pick a fixed-step sampler")
	}
	return nil
}

// sample runs the sampler, corrected towards ref when Correct is set.
func (c SampleCorrection) sample(b compute.Backend, model diffusion.Model, sched diffusion.Schedule, x compute.Array, n int, ref data.Set, s diffusion.Settings, rep *SampleCorrectionResult) (diffusion.Result, error) {
	if c.MMDSteps {
		ts, err := bridge.MMDTimes(sched, ref.Points, ref.N, ref.D, s.Steps, 1, sched.DefaultTEnd(), s.Seed+5)
		if err != nil {
			return diffusion.Result{}, fmt.Errorf("--mmd-steps: %w", err)
		}
		s.Times = ts
	}
	if !c.Correct {
		return diffusion.Sample(b, model, sched, x, n, s)
	}
	r, err := bridge.SampleCorrected(b, model, sched, x, n, ref.Points, ref.N, bridge.CorrectSettings{
		Sampler: s, Every: c.CorrectEvery, Relax: c.CorrectRelax, Seed: s.Seed + 3})
	if err != nil {
		return diffusion.Result{}, fmt.Errorf("--correct: %w", err)
	}
	rep.Corrections, rep.CorrectMS = r.Corrections, float64(r.CorrectTime.Microseconds())/1000
	return r.Result, nil
}
