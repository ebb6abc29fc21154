package diffusion

import (
	"math"
	"slices"
	"strings"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/solvers/sliced"
)

// Batch OT sampling (FastSB-OT's sample_batch_ot, the seed's
// FastSB-OT/fastsb_ot/solver.py): before the reverse process starts, the
// source batch x (the initial noise) is moved towards a target batch y of
// the same shape by a transport map, and the regular sampler runs from
// the moved batch (the seed's init_samples) over the given times. The
// maps:
//
//   - sliced (the seed's default batch_ot_method): the averaged sliced-OT
//     displacement x + (1/P) sum_p theta_p (sort(y . theta_p)[rank of
//     x . theta_p] - x . theta_p) with P = sliced_ot_projections (100)
//     random directions (sliced.TransportMap; Rabin et al. 2011, Bonneel
//     et al. 2015);
//   - full: the barycentric projection sum_j P_ij y_j / sum_j P_ij of the
//     entropic plan between x and y (log-domain Sinkhorn with the seed's
//     50 iterations, ot.Sinkhorn and Result.Barycentric).
//
// Both use the seed's eps rule, eps = ot_eps_min (1 + 9 (1 - abar_t0)) with
// ot_eps_min = 5e-3 and t0 the first (noisiest) time (BatchOTEps; only the
// full map uses eps). What the seed's use amounts to: y is a state at t0,
// i.e. data pushed forward to t0 (BatchOTTarget), so that the sampler
// starts from noise coupled to a draw of the data's marginal at t0.
//
// Differences from the seed, by design. The seed flattens an image batch
// (B, C, H, W) into B problems of H W points with C coordinates each (its
// _reshape_to_points); otplay's samples are points, so the batch of n
// points of dimension d is one problem (the seed's layout (1, d, n, 1)).
// The seed's SlicedOptimalTransport.transport falls back to the full map
// whenever B N^2 float costs fit its memory_limit_ot_mb (100 MiB, N up to
// about 5,000 for one problem) and caps the projections at
// max(16, 65536/N) above N = 65,536: memory rules of a dense PyTorch
// implementation; here the method asked is the method run, with the
// projections asked (the map streams over directions). Discrete
// timesteps are not rounded to i/(N - 1): otplay's discrete schedules are
// continuous in t (see Schedule).

// BatchOTMethod selects the map of batch OT sampling.
type BatchOTMethod int

const (
	// BatchOTSliced is the averaged sliced-OT displacement (the seed's
	// default "sliced").
	BatchOTSliced BatchOTMethod = iota
	// BatchOTFull is the barycentric projection of the entropic plan (the
	// seed's "full").
	BatchOTFull
)

var batchOTNames = [...]string{"sliced", "full"}

func (m BatchOTMethod) String() string {
	if m < 0 || int(m) >= len(batchOTNames) {
		return "BatchOTMethod(?)"
	}
	return batchOTNames[m]
}

// BatchOTMethodNames are the names ParseBatchOTMethod reads, in the
// order of BatchOTMethod.
func BatchOTMethodNames() []string { return slices.Clone(batchOTNames[:]) }

// ParseBatchOTMethod reads "sliced" or "full".
func ParseBatchOTMethod(s string) (BatchOTMethod, error) {
	for i, n := range batchOTNames {
		if s == n {
			return BatchOTMethod(i), nil
		}
	}
	return 0, inputErr("batch OT method %q: want %s", s, strings.Join(batchOTNames[:], " or "))
}

// Defaults of BatchOTSettings: the seed's FastSBOTConfig values.
const (
	// DefaultBatchOTProjections is the seed's sliced_ot_projections.
	DefaultBatchOTProjections = 100
	// DefaultBatchOTEpsMin is the seed's ot_eps_min.
	DefaultBatchOTEpsMin = 5e-3
	// DefaultBatchOTSinkhornIters is the seed's Sinkhorn iteration count
	// (its "balanced" quality preset, _sinkhorn_iterations = 50).
	DefaultBatchOTSinkhornIters = 50
	// BatchOTTargetSeedOffset is added to the sampling seed for the noise
	// that pushes the target to t0 (BatchOTTarget), so that it is not the
	// initial noise it is paired with.
	BatchOTTargetSeedOffset = 7919
)

// BatchOTSettings configure TransportBatch and SampleBatchOT. The zero
// value means the sliced map with the seed's defaults.
type BatchOTSettings struct {
	Method BatchOTMethod
	// Projections is the number P of directions of the sliced map
	// (default DefaultBatchOTProjections).
	Projections int
	// Seed draws the sliced map's directions (sliced.Directions, Random).
	Seed uint64
	// EpsMin is ot_eps_min of the eps rule (default DefaultBatchOTEpsMin).
	EpsMin float64
	// SinkhornIters bounds the full map's Sinkhorn iterations (default
	// DefaultBatchOTSinkhornIters); it stops earlier at ot.DefaultTol.
	SinkhornIters int
}

// BatchOTReport says what TransportBatch did.
type BatchOTReport struct {
	Method string
	// T0 is the time the batch was moved at, Eps the eps rule's value
	// there.
	T0, Eps float64
	// SinkhornIterations, SinkhornConverged and MarginalError describe the
	// full map's solve (zero for the sliced map): the float64 marginal
	// error |P 1 - a|_1 + |P^T 1 - b|_1 of the plan used.
	SinkhornIterations int
	SinkhornConverged  bool
	MarginalError      float64
}

// BatchOTEps is the seed's eps rule for batch OT at the first time t0:
//
//	eps = epsMin (1 + 9 (1 - abar_t0)),  abar_t0 = alpha_t0^2,
//
// from epsMin at t0 = 0 to 10 epsMin in pure noise (0.05 with the seed's
// 5e-3).
func BatchOTEps(s Schedule, t0, epsMin float64) float64 {
	abar := math.Exp(2 * s.LogAlpha(t0))
	return epsMin * (1 + 9*(1-abar))
}

// BatchOTTimes normalises a list of sampling times as the seed's
// sample_batch_ot does: sorted decreasing, every time in [0, 1], times
// within 1e-10 of the previous one dropped, at least two left. (Sample
// then asks for t > 0.)
func BatchOTTimes(times []float64) ([]float64, error) {
	if len(times) < 2 {
		return nil, inputErr("batch OT: %d timesteps, want at least 2", len(times))
	}
	ts := slices.Clone(times)
	for i, t := range ts {
		if math.IsNaN(t) {
			return nil, inputErr("batch OT: timestep %d is NaN", i)
		}
	}
	slices.SortFunc(ts, func(a, b float64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	if ts[0] > 1 || ts[len(ts)-1] < 0 {
		return nil, inputErr("batch OT: timesteps must be within [0, 1], got [%g, %g]", ts[len(ts)-1], ts[0])
	}
	out := ts[:1]
	for _, t := range ts[1:] {
		if math.Abs(t-out[len(out)-1]) > 1e-10 {
			out = append(out, t)
		}
	}
	if len(out) < 2 {
		return nil, inputErr("batch OT: after removing duplicates the timesteps hold %d time; want at least 2", len(out))
	}
	return out, nil
}

// BatchOTTarget pushes data points y0 (n x d, row-major) to time t of
// schedule s, y = alpha_t y0 + sigma_t z, with z the Philox normals of
// seed + BatchOTTargetSeedOffset: the target batch of SampleBatchOT when
// the target is a draw of the data (what the seed's use amounts to).
func BatchOTTarget(b compute.Backend, y0 []float64, s Schedule, t float64, seed uint64) ([]float64, error) {
	if b == nil || s == nil {
		return nil, inputErr("batch OT target: backend and schedule must be set")
	}
	if err := compute.CheckFinite("batch OT target", y0); err != nil {
		return nil, inputErr("%v", err)
	}
	if len(y0) == 0 {
		return nil, inputErr("batch OT target: no points")
	}
	src, err := b.Upload(y0)
	if err != nil {
		return nil, err
	}
	defer b.Free(src)
	dst, err := b.Alloc(len(y0))
	if err != nil {
		return nil, err
	}
	defer b.Free(dst)
	noise, err := b.Alloc(len(y0))
	if err != nil {
		return nil, err
	}
	defer b.Free(noise)
	if err := Forward(b, dst, src, noise, At(s, t), seed+BatchOTTargetSeedOffset, 0); err != nil {
		return nil, err
	}
	out := make([]float64, len(y0))
	return out, b.Read(out, dst)
}

// TransportBatch moves the n points of dimension d in x (on b) towards
// the target batch (n x d, host) at time t0 of schedule s by the map of
// set (see the top of this file), in place.
func TransportBatch(b compute.Backend, x compute.Array, n, d int, target []float64, s Schedule, t0 float64, set BatchOTSettings) (BatchOTReport, error) {
	var rep BatchOTReport
	switch {
	case b == nil || s == nil:
		return rep, inputErr("batch OT: backend and schedule must be set")
	case n < 1 || d < 1 || x == nil || x.Len() != n*d:
		return rep, inputErr("batch OT: x has %d values, want n*d = %d*%d", lenOf(x), n, d)
	case len(target) != n*d:
		return rep, inputErr("batch OT: the target has %d values but the source batch is %d x %d; the batches must have the same shape", len(target), n, d)
	case set.Method < 0 || int(set.Method) >= len(batchOTNames):
		return rep, inputErr("batch OT: unknown method %d", int(set.Method))
	case set.Projections < 0 || set.Projections > sliced.MaxProjections:
		return rep, inputErr("batch OT: projections = %d, want 1 .. %d (0: %d)", set.Projections, sliced.MaxProjections, DefaultBatchOTProjections)
	case math.IsNaN(set.EpsMin) || set.EpsMin < 0 || math.IsInf(set.EpsMin, 0):
		return rep, inputErr("batch OT: eps min = %g, want > 0 (0: %g)", set.EpsMin, DefaultBatchOTEpsMin)
	case set.SinkhornIters < 0:
		return rep, inputErr("batch OT: Sinkhorn iterations = %d, want >= 1 (0: %d)", set.SinkhornIters, DefaultBatchOTSinkhornIters)
	case !(t0 >= 0 && t0 <= 1):
		return rep, inputErr("batch OT: t0 = %g outside [0, 1]", t0)
	}
	if err := compute.CheckFinite("batch OT target", target); err != nil {
		return rep, inputErr("%v", err)
	}
	if set.Projections == 0 {
		set.Projections = DefaultBatchOTProjections
	}
	if set.EpsMin == 0 {
		set.EpsMin = DefaultBatchOTEpsMin
	}
	if set.SinkhornIters == 0 {
		set.SinkhornIters = DefaultBatchOTSinkhornIters
	}
	rep = BatchOTReport{Method: set.Method.String(), T0: t0, Eps: BatchOTEps(s, t0, set.EpsMin)}
	src := make([]float64, n*d)
	if err := b.Read(src, x); err != nil {
		return rep, err
	}
	if err := compute.CheckFinite("batch OT source", src); err != nil {
		return rep, inputErr("%v", err)
	}
	var moved []float64
	var err error
	switch set.Method {
	case BatchOTSliced:
		moved, err = sliced.TransportMap(b, sliced.Measure{Points: src, N: n, D: d}, sliced.Measure{Points: target, N: n, D: d}, set.Projections, set.Seed)
	case BatchOTFull:
		var res *ot.Result
		res, err = ot.Sinkhorn(b, ot.Problem{X: src, Y: target, N: n, M: n, D: d}, ot.Settings{Eps: rep.Eps, MaxIter: set.SinkhornIters})
		if err == nil {
			rep.SinkhornIterations, rep.SinkhornConverged, rep.MarginalError = res.Iterations, res.Converged, res.MarginalError
			moved, err = res.Barycentric(b)
		}
	}
	if err != nil {
		return rep, err
	}
	return rep, b.Write(x, moved)
}

// SampleBatchOT is FastSB-OT's sample_batch_ot: x (n x model.Dim(), on b)
// holds the source batch (the initial noise) on entry; it is moved towards
// the target batch at the first time of the grid (TransportBatch), then
// Sample runs from there with set, and x holds the sample on return. When
// set.Times is given it is normalised first as the seed does
// (BatchOTTimes).
func SampleBatchOT(b compute.Backend, model Model, s Schedule, x compute.Array, n int, target []float64, bset BatchOTSettings, set Settings) (Result, BatchOTReport, error) {
	if model == nil || s == nil {
		return Result{}, BatchOTReport{}, inputErr("batch OT sample: model and schedule must be set")
	}
	if set.Times != nil {
		ts, err := BatchOTTimes(set.Times)
		if err != nil {
			return Result{}, BatchOTReport{}, err
		}
		set.Times = ts
	}
	grid, err := Grid(s, set)
	if err != nil {
		return Result{}, BatchOTReport{}, err
	}
	rep, err := TransportBatch(b, x, n, model.Dim(), target, s, grid[0], bset)
	if err != nil {
		return Result{}, rep, err
	}
	res, err := Sample(b, model, s, x, n, set)
	return res, rep, err
}
