//go:build !js

package batch

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/kernel"
)

// GridImageExts are the image files --grid reads as histograms.
var GridImageExts = []string{".png", ".jpg", ".jpeg"}

// checkGrid validates a --grid request: two histograms, balanced
// Sinkhorn on the grid tier, none of the point-cloud options.
func (r SolveRequest) checkGrid() error {
	switch {
	case r.X == "" && r.XSet == nil:
		return usage("--grid: --x is required (an image .png/.jpg or an H x W .npy/.csv histogram)")
	case r.Y == "" && r.YSet == nil:
		return usage("--grid: --y is required (an image .png/.jpg or an H x W .npy/.csv histogram)")
	case r.Method != "sinkhorn":
		return usage("--grid: convolutional Sinkhorn solves balanced entropic OT (--method sinkhorn), not %s", r.Method)
	case r.Tier != "auto" && r.Tier != "grid":
		return usage("--grid: the tier is grid, not %s", r.Tier)
	case r.A != "" || r.B != "" || r.AWeights != nil || r.BWeights != nil:
		return usage("--grid: the histograms are the weights; --a/--b do not apply")
	case r.Plan:
		return usage("--grid: the plan of an H x W grid has (H W)^2 entries; write --potentials instead")
	case r.Scaling != 0 || r.Symmetric:
		return usage("--grid: --scaling/--symmetric apply to the full tier only")
	case r.SolveExtras.any():
		return usage("--grid: --warm/--apply/--richardson apply to point clouds only")
	case !(r.Eps > 0):
		return usage("--eps %g: must be positive and finite", r.Eps)
	case r.Iters < 1:
		return usage("--iters %d: must be >= 1", r.Iters)
	}
	return nil
}

// loadHistogram reads one --grid histogram: an image (mass = its
// luminance, Rec. 709 weights on the stored sRGB values, so bright pixels
// carry mass) or a numeric H x W array (.npy, .npz, .csv: rows are the
// grid's rows). An inline Set is read as N x D = H x W.
func loadHistogram(flag, spec string, set *data.Set) (vals []float64, h, w int, err error) {
	if set != nil {
		if err := CheckPoints(flag, *set); err != nil {
			return nil, 0, 0, err
		}
		vals, h, w = set.Points, set.N, set.D
	} else {
		ext := strings.ToLower(filepath.Ext(spec))
		isImage := false
		for _, e := range GridImageExts {
			isImage = isImage || ext == e
		}
		if isImage {
			img, err := imageio.Load(spec)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("--%s: %w", flag, err)
			}
			h, w = img.Height, img.Width
			vals = make([]float64, h*w)
			for p := range vals {
				c := img.Pix[3*p : 3*p+3]
				vals[p] = 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
			}
		} else {
			if !data.IsFile(spec) {
				return nil, 0, 0, usage("--%s %q: --grid takes an image (.png, .jpg) or an H x W array file (.npy, .npz, .csv), not a data set spec", flag, spec)
			}
			s, err := data.Load(spec)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("--%s: %w", flag, err)
			}
			vals, h, w = s.Points, s.N, s.D
		}
	}
	total := 0.0
	for i, v := range vals {
		if v < 0 {
			return nil, 0, 0, usage("--%s: cell %d (row %d, column %d) is %g < 0; a histogram is nonnegative", flag, i, i/w, i%w, v)
		}
		total += v
	}
	if !(total > 0) {
		return nil, 0, 0, usage("--%s: the histogram sums to %g; want a positive mass", flag, total)
	}
	return vals, h, w, nil
}

// solveGrid runs --grid: balanced entropic OT between two histograms on
// one H x W grid by convolutional Sinkhorn (kernel.SolveGrid, Solomon et
// al. 2015, Algorithm 1 in the log domain), cost |p - q|^2 between pixel
// positions with pitch 1/max(H, W) (the grid spans the unit square). n =
// m = H W, d = 2; F and G are H x W, row-major.
func solveGrid(req SolveRequest, opt Options) (*SolveResult, error) {
	if err := req.checkGrid(); err != nil {
		return nil, err
	}
	a, h, w, err := loadHistogram("x", req.X, req.XSet)
	if err != nil {
		return nil, err
	}
	b, hb, wb, err := loadHistogram("y", req.Y, req.YSet)
	if err != nil {
		return nil, err
	}
	if h != hb || w != wb {
		return nil, usage("--grid: --x is %d x %d and --y %d x %d; the histograms must share one grid", h, w, hb, wb)
	}
	if h > kernel.MaxGridSide || w > kernel.MaxGridSide {
		return nil, usage("--grid: %d x %d exceeds %d cells per side", h, w, kernel.MaxGridSide)
	}
	rep := &SolveResult{Method: req.Method, Tier: kernel.Grid.String(), N: h * w, M: h * w, D: 2, Eps: req.Eps}
	be, err := opt.openFor(req.Backend, rep)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	start := time.Now()
	r, err := kernel.SolveGrid(be, kernel.GridProblem{A: a, B: b, H: h, W: w, Eps: req.Eps},
		kernel.Settings{MaxIter: req.Iters, Tol: req.Tol})
	if err != nil {
		return nil, err
	}
	rep.Cost, rep.Objective, rep.MarginalError = r.Cost, r.Objective, r.MarginalError
	rep.Iterations, rep.Converged = r.Iterations, r.Converged
	rep.Residual, rep.Check, rep.Precision, rep.PrecisionFloor, rep.Status = r.MarginalError, r.Check, r.Precision, r.PrecisionFloor, r.Status
	rep.Notes = append(rep.Notes, fmt.Sprintf("grid %d x %d (rows x columns), pixel pitch 1/%d: the grid spans the unit square; histograms normalised to mass 1", h, w, max(h, w)))
	if req.Potentials {
		rep.F, rep.G = r.F, r.G
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	return rep, nil
}
