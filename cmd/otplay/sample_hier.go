package main

import (
	"flag"

	"github.com/otplay/otplay/batch"
)

// sampleHierHelp is the part of otplay sample's help about --hierarchical.
const sampleHierHelp = `ATLAS hierarchical sampler (--hierarchical): after every sampler step the
batch is smoothed by the seed's Schrodinger-bridge step (ATLAS
hierarchical_sampler.py / schrodinger_bridge.py solve_once): a symmetric
Sinkhorn solve on the batch with the Gaussian kernel of bandwidth
sigma(t) = eps sqrt(1 - abar_t) (--hierarchical-eps, default the seed's
0.01; at most 20 iterations), then x_i <- sum_j k_ij w_j y_j / sum_j k_ij w_j
over the predicted points y, w_j = f_j g_j (--hierarchical-barycentric: g_j,
the plan's barycentric projection). The seed's predictor is the
probability-flow Euler step: --sampler euler-maruyama --deterministic.
--hierarchical-scales 0.5,1,2 averages kernels of bandwidth sigma/s (the
seed's multi-scale kernel, its default above 1000 points). It costs no NFE
but up to 40 O(n^2 d) passes per step; a run whose marginal error stays
above 0.01 stops with an error, as the seed's does (at eps = 0.1 on
unit-scale 2-D data it always did in RESULTS.md). --hierarchical-averaged
solves the same problem by the averaged symmetric iteration, u <- sqrt(u /
K u), one pass per iteration, which meets the check there. --json adds
hierarchical_iterations. Measured in solvers/diffusion/RESULTS.md, it does
not help: at the seed's defaults it changes nothing measurable, and at eps
0.1-0.3 it blurs the batch (sliced W2 worse on every 2-D set).`

// registerSampleHierarchical adds --hierarchical and its settings to fs.
func registerSampleHierarchical(fs *flag.FlagSet, h *batch.SampleHierarchical) {
	fs.BoolVar(&h.Hierarchical, "hierarchical", false, "ATLAS hierarchical sampler: Schrodinger-bridge smoothing of the batch after every step")
	fs.Float64Var(&h.HierarchicalEps, "hierarchical-eps", 0, "with --hierarchical: kernel bandwidth eps (0: the seed's 0.01)")
	fs.StringVar(&h.HierarchicalScales, "hierarchical-scales", "", "with --hierarchical: kernel scale factors, e.g. 0.5,1,2 (empty: the seed's choice by batch size)")
	fs.BoolVar(&h.HierarchicalBarycentric, "hierarchical-barycentric", false, "with --hierarchical: weigh the map by g_j (barycentric projection) instead of the seed's f_j g_j")
	fs.BoolVar(&h.HierarchicalAveraged, "hierarchical-averaged", false, "with --hierarchical: averaged symmetric Sinkhorn iteration (converges where the seed's alternating one stops short)")
}
