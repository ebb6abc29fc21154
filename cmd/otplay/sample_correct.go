package main

import (
	"flag"

	"github.com/otplay/otplay/batch"
)

// sampleCorrectHelp is the part of otplay sample's help about --correct.
const sampleCorrectHelp = `Schrodinger-bridge correction (--correct): after every --correct-every
sampler steps (default 1) the batch is compared with the --data points
pushed through the forward process to the current time (fresh noise) by
a short Sinkhorn solve (20 iterations, eps = 0.01 x the reference's total
variance) and moved a fraction --correct-relax (default 0.5) of the way
along the plan's barycentric projection (solvers/bridge SampleCorrected).
It costs no NFE but O(n m d) work per correction. It helps a misspecified
model most (gmm on moons, see solvers/bridge/RESULTS.md) and can hurt a
multistep sampler at few steps (its history restarts at each
correction); it pulls the samples towards the --data points themselves.
--json adds corrections and correct_ms.

--mmd-steps replaces the time grid by one whose steps are spaced evenly
in the MMD between consecutive forward marginals of the --data points
(SBDS's MMD-adaptive steps; solvers/bridge MMDTimes): steps gather where
the marginals change fastest.`

// registerSampleCorrection adds --correct, --correct-every and
// --correct-relax to fs.
func registerSampleCorrection(fs *flag.FlagSet, c *batch.SampleCorrection) {
	fs.BoolVar(&c.Correct, "correct", false, "Schrodinger-bridge (Sinkhorn) correction towards the forward-diffused --data between steps")
	fs.IntVar(&c.CorrectEvery, "correct-every", 0, "with --correct: sampler steps between corrections (0: every step)")
	fs.BoolVar(&c.MMDSteps, "mmd-steps", false, "time steps spaced evenly in MMD between consecutive forward marginals of --data")
	fs.Float64Var(&c.CorrectRelax, "correct-relax", 0, "with --correct: relaxation lambda in (0, 1] (0: the default 0.5)")
}
