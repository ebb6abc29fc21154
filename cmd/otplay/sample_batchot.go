package main

import (
	"flag"

	"github.com/otplay/otplay/batch"
)

// sampleBatchOTHelp is the part of otplay sample's help about --batch-ot.
const sampleBatchOTHelp = `Batch OT sampling (--batch-ot sliced|full), FastSB-OT's sample_batch_ot:
before the first step the initial noise batch x is moved towards a target
batch y of the same size (--batch-ot-target FILE.npy|SET; default: a
held-out draw of --data, pushed to the first time t0 of the grid as
y = alpha_t0 y + sigma_t0 z with noise of its own; --batch-ot-as-state
takes the target as a state at t0 unchanged, the seed's literal argument):
  sliced  x + (1/P) sum_p theta_p (sort(y.theta_p)[rank of x.theta_p] - x.theta_p)
          over --projections P random directions (default 100, the seed's;
          Rabin et al. 2011, Bonneel et al. 2015): exact monotone OT in 1-D
  full    sum_j P_ij y_j / sum_j P_ij, the entropic plan's barycentric
          projection, eps = 5e-3 (1 + 9 (1 - abar_t0)) (the seed's rule;
          0.05 in pure noise), at most the seed's 50 Sinkhorn iterations
Then the sampler runs from the moved batch. --json adds batch_ot_eps,
batch_ot_ms and, for full, the Sinkhorn iterations and marginal error.
Measured in solvers/diffusion/RESULTS.md ("Batch OT sampling").`

// registerSampleBatchOT adds --batch-ot and its settings to fs.
func registerSampleBatchOT(fs *flag.FlagSet, o *batch.SampleBatchOT) {
	fs.StringVar(&o.BatchOT, "batch-ot", "", "move the initial noise towards a target batch first: sliced or full (FastSB-OT's batch OT sampling)")
	fs.StringVar(&o.BatchOTTarget, "batch-ot-target", "", "with --batch-ot: the target batch, a point file or data spec of --n points (default: a held-out draw of --data)")
	fs.BoolVar(&o.BatchOTAsState, "batch-ot-as-state", false, "with --batch-ot: the target is a state at the first time already (default: data, pushed there)")
	fs.IntVar(&o.BatchOTProjections, "projections", 0, "with --batch-ot sliced: number of directions P (0: the seed's 100)")
}
