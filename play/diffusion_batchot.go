package play

import (
	"fmt"
	"strconv"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/diffusion"
)

// BatchOTTargetDrawOffset is added to the page's seed for the batch OT
// start's target draw: otplay sample's default target (batch.TargetDraw)
// is the --data spec redrawn at its seed + 1 + 1,000,003, apart from the
// data (the seed) and the held-out points of the quality metrics (the
// seed + 1,000,003).
const BatchOTTargetDrawOffset = 1 + 1000003

// BatchOTReadout is what the batch OT start did (diffusion.BatchOTReport):
// the map, its directions (sliced), the eps rule's value at the first time
// and, for full, the Sinkhorn solve.
type BatchOTReadout struct {
	Method             string  `json:"method"`
	Projections        int     `json:"projections,omitempty"`
	T0                 float64 `json:"t0"`
	Eps                float64 `json:"eps"`
	SinkhornIterations int     `json:"sinkhornIterations,omitempty"`
	SinkhornConverged  bool    `json:"sinkhornConverged,omitempty"`
	MarginalError      float64 `json:"marginalError,omitempty"`
}

// Text is the read-out's line.
func (r BatchOTReadout) Text() string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }
	if r.Method == diffusion.BatchOTSliced.String() {
		return fmt.Sprintf("sliced, P = %d directions, at t0 = %s", r.Projections, g(r.T0))
	}
	s := fmt.Sprintf("full, ε = %s at t0 = %s, %d Sinkhorn iterations, marginal error %s", g(r.Eps), g(r.T0), r.SinkhornIterations, g(r.MarginalError))
	if !r.SinkhornConverged {
		s += " (stopped at the seed's limit; the map is its plan's barycentric projection, as the seed's is)"
	}
	return s
}

// BatchOTTarget is the batch OT start's target before it is pushed to the
// first time: as many points as particles, of the page's data set drawn
// at the seed + BatchOTTargetDrawOffset (otplay sample's default target
// for a data spec), or, for an upload, its points themselves (otplay
// sample's rule for a file: no fresh draws), which must then be as many
// as the particles.
func (d Diffusion) BatchOTTarget(model *DiffusionModel) ([]float64, error) {
	if d.Data == UploadChoice {
		if model.N != d.Particles {
			return nil, fmt.Errorf("batchot with an upload: the target is the uploaded points themselves (%d used), so the particles must be as many, not %d", model.N, d.Particles)
		}
		return model.Data, nil
	}
	s, err := data.Generate(d.Data, d.Particles, data.Options{Seed: d.Seed + BatchOTTargetDrawOffset})
	if err != nil {
		return nil, fmt.Errorf("batchot: the target draw: %w", err)
	}
	return s.Points, nil
}

// transportBatch moves the particles x (on b) towards the target at the
// first time of set's grid, as otplay sample --batch-ot does: the target
// (BatchOTTarget) pushed there by diffusion.BatchOTTarget with the seed,
// then diffusion.TransportBatch with the seed.
func (d Diffusion) transportBatch(b compute.Backend, x compute.Array, model *DiffusionModel, set diffusion.Settings) (*BatchOTReadout, error) {
	m, err := diffusion.ParseBatchOTMethod(d.BatchOT)
	if err != nil {
		return nil, fmt.Errorf("batchot: %w", err)
	}
	grid, err := diffusion.Grid(model.Sched, set)
	if err != nil {
		return nil, err
	}
	y, err := d.BatchOTTarget(model)
	if err != nil {
		return nil, err
	}
	if y, err = diffusion.BatchOTTarget(b, y, model.Sched, grid[0], d.Seed); err != nil {
		return nil, fmt.Errorf("batchot: %w", err)
	}
	bset := diffusion.BatchOTSettings{Method: m, Seed: d.Seed}
	if m == diffusion.BatchOTSliced {
		bset.Projections = d.projections()
	}
	rep, err := diffusion.TransportBatch(b, x, d.Particles, 2, y, model.Sched, grid[0], bset)
	if err != nil {
		return nil, fmt.Errorf("batchot = %s: %w", m, err)
	}
	return &BatchOTReadout{Method: rep.Method, Projections: bset.Projections, T0: rep.T0, Eps: rep.Eps,
		SinkhornIterations: rep.SinkhornIterations, SinkhornConverged: rep.SinkhornConverged, MarginalError: rep.MarginalError}, nil
}
