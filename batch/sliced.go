package batch

import (
	"math"
	"time"

	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/sliced"
)

// SlicedRequest is a sliced Wasserstein distance (otplay solve --method
// sliced), with the directions given or drawn. Field names and JSON keys
// are the CLI's flags; NewSlicedRequest gives the CLI's defaults.
type SlicedRequest struct {
	// X, Y, XSet, YSet, A, B, AWeights and BWeights are as in
	// SolveRequest; weights not summing to 1 are normalised (with a note).
	X        string    `json:"x"`
	Y        string    `json:"y"`
	XSet     *data.Set `json:"-"`
	YSet     *data.Set `json:"-"`
	A        string    `json:"a,omitempty"`
	B        string    `json:"b,omitempty"`
	AWeights []float64 `json:"-"`
	BWeights []float64 `json:"-"`
	// Projections is the number L of directions drawn uniformly on the
	// sphere with Seed.
	Projections int    `json:"projections"`
	Seed        uint64 `json:"seed"`
	// Directions, when set, are used as given: L x D, row-major, each
	// row a direction (POT's projections argument transposed); they need
	// not be unit vectors. Projections and Seed are then ignored.
	Directions []float64 `json:"-"`
	// Backend is gpu, cpu32, cpu or auto (see OpenBackend).
	Backend string `json:"backend"`
}

// NewSlicedRequest returns a request holding the CLI's defaults: 200
// projections, seed 0, backend auto.
func NewSlicedRequest() SlicedRequest {
	return SlicedRequest{Projections: 200, Backend: "auto"}
}

// SlicedResult is a sliced Wasserstein distance with its per-direction
// values.
type SlicedResult struct {
	Method      string   `json:"method"`
	Backend     string   `json:"backend"`
	N           int      `json:"n"`
	M           int      `json:"m"`
	D           int      `json:"d"`
	Projections int      `json:"projections"`
	Value       float64  `json:"value"`
	Cost        float64  `json:"cost"`
	StdErr      float64  `json:"stderr"`
	TimeMS      float64  `json:"time_ms"`
	Notes       []string `json:"notes,omitempty"`

	// PerDirection[l] is W_2^2 of the projections on direction l;
	// Directions (L x D) are the directions used.
	PerDirection []float64 `json:"-"`
	Directions   []float64 `json:"-"`
}

// Sliced computes SW_2 = sqrt(mean over directions of W_2^2 of the 1-D
// projections) with sliced.Distance (Bonneel et al. 2015, eq. (5)); it
// equals POT's sliced_wasserstein_distance(x, y, a, b, p=2,
// projections=Directions^T). Value is SW_2 and Cost SW_2^2, as in otplay
// solve --method sliced --json.
func Sliced(req SlicedRequest, opt Options) (*SlicedResult, error) {
	if req.X == "" && req.XSet == nil {
		return nil, usage("--x is required (a data set spec such as moons:512:seed=3, or a .csv/.npy file)")
	}
	if req.Y == "" && req.YSet == nil {
		return nil, usage("--y is required (a data set spec such as 8gaussians:512, or a .csv/.npy file)")
	}
	if req.Directions == nil && (req.Projections < 1 || req.Projections > sliced.MaxProjections) {
		return nil, usage("--projections %d: must be in [1, %d]", req.Projections, sliced.MaxProjections)
	}
	xs, err := loadCloud("x", req.X, req.XSet)
	if err != nil {
		return nil, err
	}
	ys, err := loadCloud("y", req.Y, req.YSet)
	if err != nil {
		return nil, err
	}
	if xs.D != ys.D {
		return nil, usage("--x has dimension %d and --y dimension %d", xs.D, ys.D)
	}
	if req.Directions != nil {
		l := len(req.Directions) / xs.D
		if l < 1 || l*xs.D != len(req.Directions) || l > sliced.MaxProjections {
			return nil, usage("--directions: %d values are not L x %d with L in [1, %d]", len(req.Directions), xs.D, sliced.MaxProjections)
		}
		for i, v := range req.Directions {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, usage("--directions: value %d is %v (not finite)", i, v)
			}
		}
	}
	rep := &SlicedResult{Method: "sliced", N: xs.N, M: ys.N, D: xs.D}
	a, err := loadWeights("a", req.A, req.AWeights, xs.N, true, &rep.Notes)
	if err != nil {
		return nil, err
	}
	b, err := loadWeights("b", req.B, req.BWeights, ys.N, true, &rep.Notes)
	if err != nil {
		return nil, err
	}
	be, note, err := opt.open(req.Backend)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	if note != "" {
		opt.note(note)
		rep.Notes = append(rep.Notes, note)
	}
	rep.Backend = be.Info().Name
	start := time.Now()
	r, err := sliced.Distance(be, sliced.Measure{Points: xs.Points, N: xs.N, D: xs.D, Weights: a},
		sliced.Measure{Points: ys.Points, N: ys.N, D: ys.D, Weights: b},
		sliced.Settings{Projections: req.Projections, Seed: req.Seed, Directions: req.Directions})
	if err != nil {
		return nil, err
	}
	rep.Value, rep.Cost, rep.StdErr = r.SW, r.SW*r.SW, r.StdErr
	rep.Projections = r.L
	rep.PerDirection, rep.Directions = r.PerDirection, r.Directions
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}
