//go:build !js

package batch

import (
	"fmt"
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
	// Directions, when set, are used instead: L x D, row-major, each row
	// a direction (POT's projections argument transposed), scaled to unit
	// length (a zero row is refused). Projections and Seed are then
	// ignored.
	Directions []float64 `json:"-"`
	// P is the order of SW_p (POT's p, >= 1); 0 means 2.
	P float64 `json:"p,omitempty"`
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
	P           float64  `json:"p"`
	Value       float64  `json:"value"`
	Cost        float64  `json:"cost"`
	StdErr      float64  `json:"stderr"`
	TimeMS      float64  `json:"time_ms"`
	Notes       []string `json:"notes,omitempty"`

	// PerDirection[l] is W_p^p of the projections on direction l;
	// Directions (L x D) are the directions used (unit rows).
	PerDirection []float64 `json:"-"`
	Directions   []float64 `json:"-"`
}

// Sliced computes SW_p = (mean over directions of W_p^p of the 1-D
// projections)^(1/p) with sliced.Distance (Bonneel et al. 2015, eq. (5),
// p = 2 by default); it equals POT's sliced_wasserstein_distance(x, y,
// a, b, p=P, projections=Directions^T, n_projections=L). Value is SW_p
// and Cost SW_p^p, as in otplay solve --method sliced --json.
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
	if err := checkDirections(req.Directions, xs.D); err != nil {
		return nil, err
	}
	if err := checkOrder(req.P); err != nil {
		return nil, err
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
		sliced.Settings{Projections: req.Projections, Seed: req.Seed, Directions: req.Directions, P: req.P})
	if err != nil {
		return nil, err
	}
	rep.Value, rep.Cost, rep.StdErr, rep.P = r.SW, math.Pow(r.SW, r.P), r.StdErr, r.P
	rep.Projections = r.L
	rep.PerDirection, rep.Directions = r.PerDirection, r.Directions
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}

// checkDirections checks given directions (L x d, row-major): a whole
// number of rows, L within sliced.MaxProjections, finite values and no
// zero row (rows are scaled to unit length by sliced.Distance).
func checkDirections(dirs []float64, d int) error {
	if dirs == nil {
		return nil
	}
	l := len(dirs) / d
	if l < 1 || l*d != len(dirs) || l > sliced.MaxProjections {
		return usage("--directions: %d values are not L x %d with L in [1, %d]", len(dirs), d, sliced.MaxProjections)
	}
	for i, v := range dirs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return usage("--directions: value %d is %v (not finite)", i, v)
		}
	}
	for r := range l {
		zero := true
		for _, v := range dirs[r*d : (r+1)*d] {
			zero = zero && v == 0
		}
		if zero {
			return usage("--directions: row %d is zero (a direction needs a nonzero row; rows are scaled to unit length)", r)
		}
	}
	return nil
}

// checkOrder checks the order p of SW_p (0 means 2).
func checkOrder(p float64) error {
	if p != 0 && (!(p >= 1) || math.IsInf(p, 0)) {
		return usage("--p %g: the order of SW_p must be finite and >= 1", p)
	}
	return nil
}

// slicedDirections returns the directions of otplay solve --method sliced:
// DirectionsSet, or the --directions file (L rows of d values), or nil
// (draw --projections directions), checked.
func slicedDirections(req SolveRequest, d int) ([]float64, error) {
	dirs := req.DirectionsSet
	if dirs == nil && req.Directions != "" {
		s, err := data.Load(req.Directions)
		if err != nil {
			return nil, fmt.Errorf("--directions: %w", err)
		}
		if s.D != d {
			return nil, usage("--directions: rows of %d values for points of dimension %d", s.D, d)
		}
		dirs = s.Points
	}
	if err := checkDirections(dirs, d); err != nil {
		return nil, err
	}
	return dirs, checkOrder(req.P)
}

// checkSliced checks --p as the order of SW_p (p >= 1) for --method
// sliced and refuses --directions elsewhere.
func (r SolveRequest) checkSliced() error {
	if r.Method == "sliced" {
		return checkOrder(r.P)
	}
	if r.Directions != "" || r.DirectionsSet != nil {
		return usage("--directions applies to --method sliced, not %s", r.Method)
	}
	return nil
}
