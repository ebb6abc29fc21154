//go:build !js

package batch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
)

// SampleBatchOT is otplay sample's batch OT sampling (embedded in
// SampleRequest), FastSB-OT's sample_batch_ot (diffusion.SampleBatchOT):
// the initial noise batch is moved towards a target batch of the same
// size at the first time of the grid, by the sliced or the full map,
// before the sampler runs.
type SampleBatchOT struct {
	// BatchOT is the map: "" (off), sliced or full (--batch-ot).
	BatchOT string `json:"batch_ot,omitempty"`
	// BatchOTTarget is the target batch (--batch-ot-target): a point
	// file (.npy, .csv, ...) or a data spec; "" or "data" means a
	// held-out draw of --data (TargetDraw; a file or inline data: the
	// data itself).
	// It must hold --n points of the data's dimension.
	BatchOTTarget string `json:"batch_ot_target,omitempty"`
	// BatchOTTargetSet, when set, is the target instead of BatchOTTarget
	// (the API's array part "batch_ot_target").
	BatchOTTargetSet *data.Set `json:"-"`
	// BatchOTAsState takes the target as a state at the first time (the
	// seed's literal argument) instead of data pushed there by
	// diffusion.BatchOTTarget (--batch-ot-as-state).
	BatchOTAsState bool `json:"batch_ot_as_state,omitempty"`
	// BatchOTProjections is the sliced map's number of directions
	// (--projections; 0: diffusion.DefaultBatchOTProjections, the seed's
	// 100).
	BatchOTProjections int `json:"batch_ot_projections,omitempty"`
}

// SampleBatchOTResult reports the move (embedded in SampleResult).
type SampleBatchOTResult struct {
	// BatchOT names the map used (sliced or full; empty when off).
	BatchOT string `json:"batch_ot,omitempty"`
	// BatchOTEps is the seed's eps at the first time (used by full).
	BatchOTEps float64 `json:"batch_ot_eps,omitempty"`
	// BatchOTMS is the time of the move (target, map; part of time_ms).
	BatchOTMS float64 `json:"batch_ot_ms,omitempty"`
	// BatchOTSinkhornIterations and BatchOTMarginalError describe the
	// full map's Sinkhorn solve.
	BatchOTSinkhornIterations int     `json:"batch_ot_sinkhorn_iterations,omitempty"`
	BatchOTMarginalError      float64 `json:"batch_ot_marginal_error,omitempty"`
}

func (o SampleBatchOT) check(class int) (diffusion.BatchOTMethod, error) {
	if o.BatchOT == "" {
		if o.BatchOTTarget != "" || o.BatchOTTargetSet != nil || o.BatchOTAsState || o.BatchOTProjections != 0 {
			return 0, usage("--batch-ot-target/--batch-ot-as-state/--projections: turn batch OT on with --batch-ot sliced|full")
		}
		return 0, nil
	}
	m, err := diffusion.ParseBatchOTMethod(o.BatchOT)
	if err != nil {
		return 0, usage("--batch-ot: %v", trimDiffusionErr(err))
	}
	switch {
	case o.BatchOTProjections < 0 || o.BatchOTProjections > 1<<20:
		return 0, usage("--projections = %d: want 1 .. %d (0: the seed's %d)", o.BatchOTProjections, 1<<20, diffusion.DefaultBatchOTProjections)
	case o.BatchOTProjections != 0 && m != diffusion.BatchOTSliced:
		return 0, usage("--projections: only --batch-ot sliced uses directions")
	case class >= 0 && o.BatchOTTargetSet == nil && (o.BatchOTTarget == "" || o.BatchOTTarget == "data"):
		return 0, usage("--batch-ot with --class: name a target of the class's points with --batch-ot-target (the default target is a draw of the whole --data)")
	}
	return m, nil
}

// transport moves the initial noise x (n x d on b) towards the target at
// the first time of the grid of s. A note (also sent to opt) says when the
// full map's Sinkhorn stopped unconverged.
func (o SampleBatchOT) transport(b compute.Backend, x compute.Array, req SampleRequest, set data.Set, sched diffusion.Schedule, s diffusion.Settings, opt Options) (SampleBatchOTResult, string, error) {
	var rep SampleBatchOTResult
	if o.BatchOT == "" {
		return rep, "", nil
	}
	start := time.Now()
	m, _ := diffusion.ParseBatchOTMethod(o.BatchOT)
	var target data.Set
	var err error
	switch spec := strings.TrimSpace(o.BatchOTTarget); {
	case o.BatchOTTargetSet != nil:
		if err := CheckPoints("batch-ot-target", *o.BatchOTTargetSet); err != nil {
			return rep, "", err
		}
		target = *o.BatchOTTargetSet
	case spec == "" || spec == "data":
		if req.DataSet != nil {
			target = set // inline data has no fresh draws
		} else if target, err = TargetDraw(req.Data, set, req.N); err != nil {
			return rep, "", fmt.Errorf("--batch-ot-target: a held-out draw of --data: %w", err)
		}
	default:
		if target, err = data.Parse(spec); err != nil {
			if errors.Is(err, data.ErrBadSpec) {
				return rep, "", usage("--batch-ot-target: %v", err)
			}
			return rep, "", fmt.Errorf("--batch-ot-target: %w", err)
		}
	}
	d := set.D
	if target.D != d || target.N != req.N {
		return rep, "", usage("--batch-ot-target %s: %d points of dimension %d, want --n = %d points of dimension %d (the seed pairs batches of equal shape)",
			target.Name, target.N, target.D, req.N, d)
	}
	grid, err := diffusion.Grid(sched, s)
	if err != nil {
		return rep, "", err
	}
	y := target.Points
	if !o.BatchOTAsState {
		if y, err = diffusion.BatchOTTarget(b, y, sched, grid[0], req.Seed); err != nil {
			return rep, "", fmt.Errorf("--batch-ot-target: %w", err)
		}
	}
	r, err := diffusion.TransportBatch(b, x, req.N, d, y, sched, grid[0], diffusion.BatchOTSettings{
		Method: m, Projections: o.BatchOTProjections, Seed: req.Seed})
	if err != nil {
		return rep, "", fmt.Errorf("--batch-ot %s: %w", m, err)
	}
	var note string
	if m == diffusion.BatchOTFull && !r.SinkhornConverged {
		note = fmt.Sprintf("--batch-ot full: Sinkhorn (eps = %.3g, the seed's rule) stopped at the seed's %d iterations with marginal error %.2g; the map is its barycentric projection as the seed's is",
			r.Eps, r.SinkhornIterations, r.MarginalError)
		opt.note(note)
	}
	rep = SampleBatchOTResult{BatchOT: r.Method, BatchOTEps: r.Eps, BatchOTMS: float64(time.Since(start).Microseconds()) / 1000,
		BatchOTSinkhornIterations: r.SinkhornIterations, BatchOTMarginalError: r.MarginalError}
	return rep, note, nil
}

// TargetDraw returns the default target of --batch-ot: n points of the
// data spec drawn with the spec's seed + 1 + 1,000,003, a draw apart from
// both the --data points (the spec's seed) and the held-out points the
// quality metrics compare with (FreshData: the seed + 1,000,003). A file
// has no fresh draws: its own points are returned.
func TargetDraw(spec string, set data.Set, n int) (data.Set, error) {
	spec = strings.TrimSpace(spec)
	if IsPointFile(spec) {
		return set, nil
	}
	var seed uint64
	for _, p := range strings.Split(spec, ":")[1:] {
		if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "seed") {
			seed, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	// FreshData reads the last seed key and adds 1,000,003.
	return FreshData(spec+":seed="+strconv.FormatUint(seed+1, 10), set, n)
}
