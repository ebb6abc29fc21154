//go:build !js

package batch

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/kernel"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/solvers/sliced"
)

// SolveExtras are the options of otplay solve that start from a previous
// solve or extend its outputs (embedded in SolveRequest).
type SolveExtras struct {
	// WarmF (n values) and WarmG (m values) start the entropic solvers
	// (sinkhorn, unbalanced, partial) from these potentials instead of
	// zeros (--warm): a previous solve's F and G, in ot.Result's
	// convention P_ij = a_i b_j exp((F_i + G_j - C_ij)/eps). Either may be
	// nil (zeros). Not with eps-scaling, which would discard them.
	WarmF []float64 `json:"-"`
	WarmG []float64 `json:"-"`
	// Apply, when set, holds k points of dimension d at which the solve's
	// entropic map T(z) = sum_j P(z, y_j) y_j / sum_j P(z, y_j) is
	// evaluated (--apply; Pooladian and Niles-Weed 2021, eq. (3)); the
	// result is SolveResult.Mapped.
	Apply *data.Set `json:"-"`
	// Richardson extrapolates in eps (--richardson, method sinkhorn): the
	// problem is solved at eps and at eps/2 and the cost, plan and map are
	// 2 X_{eps/2} - X_eps (ot.Richardson).
	Richardson bool `json:"richardson,omitempty"`
	// Grid reads X and Y as two histograms on one H x W grid (images or
	// H x W arrays) and solves with the convolutional grid tier (--grid;
	// solve_grid.go).
	Grid bool `json:"grid,omitempty"`
	// Features and Bandwidth are --method hilbert's number of random
	// Fourier features (0: kernel.DefaultHilbertFeatures) and Gaussian
	// kernel sigma (0: the median heuristic).
	Features  int     `json:"features,omitempty"`
	Bandwidth float64 `json:"bandwidth,omitempty"`
}

// SolveExtrasResult are the outputs of SolveExtras (embedded in
// SolveResult).
type SolveExtrasResult struct {
	// Warm says the solve started from the given potentials.
	Warm bool `json:"warm,omitempty"`
	// Mapped is T(z) at the Apply points (k x d, row-major); MappedN is k.
	Mapped  []float64 `json:"-"`
	MappedN int       `json:"mapped,omitempty"`
	// Richardson holds the two solves of --richardson.
	Richardson *RichardsonReport `json:"richardson,omitempty"`
	// Direction is the unit direction of --method max-sliced.
	Direction []float64 `json:"direction,omitempty"`
}

// RichardsonReport are the two solves behind a Richardson-extrapolated
// cost: Cost = 2 CostHalf - CostEps.
type RichardsonReport struct {
	Eps            float64 `json:"eps"`
	CostEps        float64 `json:"cost_eps"`
	CostHalf       float64 `json:"cost_half_eps"`
	IterationsEps  int     `json:"iterations_eps"`
	IterationsHalf int     `json:"iterations_half_eps"`
}

func (x SolveExtras) any() bool {
	return x.WarmF != nil || x.WarmG != nil || x.Apply != nil || x.Richardson
}

// check refuses extras the request's method or tier cannot honour.
func (x SolveExtras) check(r SolveRequest) error {
	warm := x.WarmF != nil || x.WarmG != nil
	entropic := r.Method == "sinkhorn" || r.Method == "unbalanced" || r.Method == "partial"
	switch {
	case r.customPower() && (r.Method == "max-sliced" || r.Method == "hilbert"):
		return usage("--p %g: --method %s is defined for |x - y|^2 only", r.P, r.Method)
	case r.hasCostMatrix() && x.Apply != nil:
		return usage("--apply: the entropic map needs the points of --y; a --cost matrix has none")
	case r.Features < 0 || r.Features > compute.MaxDim:
		return usage("--features %d: want 1 .. %d (0: %d)", r.Features, compute.MaxDim, kernel.DefaultHilbertFeatures)
	case r.Bandwidth < 0 || math.IsNaN(r.Bandwidth) || math.IsInf(r.Bandwidth, 0):
		return usage("--bandwidth %g: want a positive sigma (0: the median heuristic)", r.Bandwidth)
	case (r.Features != 0 || r.Bandwidth != 0) && r.Method != "hilbert":
		return usage("--features/--bandwidth are for --method hilbert")
	case r.Method == "hilbert" && r.Plan:
		return usage("--plan: the hilbert method's plans are between feature embeddings; drop --plan")
	case r.Method == "max-sliced" && (r.Plan || r.Potentials):
		return usage("--plan/--potentials: the max-sliced method has no plan or potentials")
	case warm && !entropic:
		return usage("--warm: warm starts are for sinkhorn, unbalanced and partial, not %s", r.Method)
	case warm && r.Scaling != 0:
		return usage("--warm with --scaling: eps-scaling starts from the data's diameter and would discard the warm start; drop one")
	case x.Apply != nil && !entropic && r.Method != "divergence":
		return usage("--apply: the entropic map needs an entropic method (sinkhorn, unbalanced, partial or divergence), not %s", r.Method)
	case x.Richardson && r.Method != "sinkhorn":
		return usage("--richardson: Richardson extrapolation in eps is for --method sinkhorn, not %s", r.Method)
	}
	if x.any() && (r.Tier == "rff" || r.Tier == "nystrom") {
		return usage("--warm/--apply/--richardson need the exact kernel: --tier full or auto, not %s", r.Tier)
	}
	return nil
}

// apply checks the warm start and the Apply points against the data's
// sizes and puts the warm start into s.
func (x SolveExtras) apply(s *ot.Settings, n, m, d int) error {
	if x.WarmF != nil && len(x.WarmF) != n {
		return usage("--warm: f has %d values, want n = %d (one per source point)", len(x.WarmF), n)
	}
	if x.WarmG != nil && len(x.WarmG) != m {
		return usage("--warm: g has %d values, want m = %d (one per target point)", len(x.WarmG), m)
	}
	if x.Apply != nil {
		if err := CheckPoints("apply", *x.Apply); err != nil {
			return err
		}
		if x.Apply.D != d {
			return usage("--apply: points of dimension %d, the clouds have dimension %d", x.Apply.D, d)
		}
	}
	s.F, s.G = x.WarmF, x.WarmG
	return nil
}

// tier keeps auto's choice unless extras need the exact kernel.
func (x SolveExtras) tier(t kernel.Tier, why string) (kernel.Tier, string) {
	if x.any() && (t == kernel.RFF || t == kernel.Nystrom) {
		return kernel.Full, fmt.Sprintf("--warm/--apply/--richardson need the exact kernel (auto would pick %v: %s)", t, why)
	}
	return t, why
}

// mapPoints evaluates the entropic map at the Apply points, if any, and
// records whether the solve was warm-started.
func (r *SolveExtrasResult) mapPoints(be compute.Backend, x SolveExtras, transport func(compute.Backend, []float64) ([]float64, error)) error {
	r.Warm = x.WarmF != nil || x.WarmG != nil
	if x.Apply == nil {
		return nil
	}
	t, err := transport(be, x.Apply.Points)
	if err != nil {
		return fmt.Errorf("--apply: %w", err)
	}
	r.Mapped, r.MappedN = t, x.Apply.N
	return nil
}

// solveRichardson runs ot.Richardson: Cost is the extrapolated cost, the
// other fields (objective, marginals, potentials) are those of the eps/2
// solve, and the plan and map are extrapolated.
func solveRichardson(be compute.Backend, req SolveRequest, p ot.Problem, set ot.Settings, rep *SolveResult, start time.Time) (*SolveResult, error) {
	rr, err := ot.Richardson(be, p, set)
	if err != nil {
		return nil, err
	}
	fine := rr.Fine
	rep.Eps = req.Eps
	rep.Cost, rep.Objective, rep.MarginalError = rr.Cost, fine.Objective, fine.MarginalError
	rep.Iterations, rep.Converged = rr.Iterations, rr.Converged
	rep.Residual, rep.Check, rep.Precision, rep.PrecisionFloor, rep.Status = fine.ResidualBound, fine.Check, fine.Precision, fine.PrecisionFloor, fine.Status
	if !rr.Coarse.Converged {
		rep.Status = "the solve at eps: " + rr.Coarse.Status
	}
	rep.Richardson = &RichardsonReport{Eps: req.Eps, CostEps: rr.Coarse.Cost, CostHalf: fine.Cost,
		IterationsEps: rr.Coarse.Iterations, IterationsHalf: fine.Iterations}
	rep.Notes = append(rep.Notes, fmt.Sprintf("--richardson: cost = 2 C(eps/2) - C(eps) = 2 * %.10g - %.10g (O(eps^2) bias where the cost is smooth in eps); objective, marginals and potentials are those of eps/2 = %g; the solve at eps/2 started from eps's potentials", fine.Cost, rr.Coarse.Cost, req.Eps/2))
	if req.Plan {
		if rep.Plan, err = rr.PlanDense(be); err != nil {
			return nil, err
		}
		rep.Notes = append(rep.Notes, "--plan: the extrapolated plan 2 P(eps/2) - P(eps) may have negative entries")
	}
	if req.Potentials {
		rep.F, rep.G = append([]float64(nil), fine.F...), append([]float64(nil), fine.G...)
	}
	if err := rep.SolveExtrasResult.mapPoints(be, req.SolveExtras, rr.Transport); err != nil {
		return nil, err
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// solveMaxSliced runs sliced.Max (Deshpande et al. 2019): the best of
// Projections random directions, refined by ascent on the sphere.
func solveMaxSliced(be compute.Backend, req SolveRequest, xs, ys data.Set, a, b []float64, rep *SolveResult, start time.Time) (*SolveResult, error) {
	r, err := sliced.Max(be, sliced.Measure{Points: xs.Points, N: xs.N, D: xs.D, Weights: a},
		sliced.Measure{Points: ys.Points, N: ys.N, D: ys.D, Weights: b},
		sliced.MaxSettings{Candidates: req.Projections, Seed: req.Seed, Iterations: req.Iters})
	if err != nil {
		return nil, err
	}
	v := r.MaxSW
	rep.Value = &v
	rep.Cost, rep.Objective = v*v, v*v
	rep.Iterations, rep.Projections, rep.Converged = r.Iterations, req.Projections, r.Converged
	rep.Direction = r.Direction
	rep.Notes = append(rep.Notes, fmt.Sprintf("max-sliced: best of %d directions W_2 = %.6g, after %d ascent steps %.6g (a local maximum: a lower bound of the true max-SW_2)", req.Projections, r.BestCandidate, r.Iterations, r.MaxSW))
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// solveHilbert runs kernel.HilbertDivergence (Li et al. 2021): the
// Sinkhorn divergence with the RKHS cost 2 - 2 k(x, y) of a Gaussian
// kernel, through random Fourier features. Value is S; cost, objective
// and iterations are those of OT_eps between the embeddings, as for
// --method divergence.
func solveHilbert(be compute.Backend, req SolveRequest, p ot.Problem, set ot.Settings, rep *SolveResult, start time.Time) (*SolveResult, error) {
	r, err := kernel.HilbertDivergence(be, p, kernel.HilbertSettings{Features: req.Features, Bandwidth: req.Bandwidth, Seed: req.Seed, OT: set})
	if err != nil {
		return nil, err
	}
	v := r.Value
	rep.Value = &v
	ab := r.AB
	rep.Eps = req.Eps
	rep.Cost, rep.Objective, rep.MarginalError = ab.Cost, ab.Objective, ab.MarginalError
	rep.Iterations = ab.Iterations + r.AA.Iterations + r.BB.Iterations
	rep.Converged, rep.Status = r.Converged, r.Status
	rep.Residual, rep.Check, rep.Precision, rep.PrecisionFloor = ab.ResidualBound, ab.Check, ab.Precision, ab.PrecisionFloor
	rep.Notes = append(rep.Notes, fmt.Sprintf("hilbert: Gaussian kernel sigma = %.4g, %d random Fourier features; cost 2 - 2 k(x, y) in [0, 4] (eps is on that scale)", r.Bandwidth, r.Features))
	if req.Potentials {
		rep.F, rep.G = append([]float64(nil), ab.F...), append([]float64(nil), ab.G...)
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}
