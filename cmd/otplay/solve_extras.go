package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/data"
)

// solveExtrasHelp is the part of otplay solve's help about --warm,
// --apply and --richardson.
const solveExtrasHelp = `Warm start, entropic map, extrapolation (full tier; auto keeps to it):
--warm F,G (or one .npz holding f and g, e.g. a previous --potentials
out.npz) starts sinkhorn, unbalanced or partial from those potentials
instead of zeros; the JSON says "warm": true. --apply Z (a data set spec
or a points file, k x d) evaluates the entropic map
T(z) = sum_j P(z, y_j) y_j / sum_j P(z, y_j) of the solve at new points
(Pooladian and Niles-Weed 2021) and --mapped FILE (.npy/.csv) receives
the k x d values. --richardson (method sinkhorn) solves at eps and eps/2
(the second warm-started from the first) and reports the extrapolated
cost 2 C(eps/2) - C(eps), plan and map: its bias in eps is O(eps^2)
instead of O(eps) where the cost is smooth in eps (Gaussians), and it
does not help where eps is already far below the cost gaps of a
discrete problem.

--grid reads --x and --y as two histograms on one H x W grid: images
(.png, .jpg; bright pixels carry mass, by luminance) or H x W arrays
(.npy, .npz, .csv), and solves balanced entropic OT between the pixel
positions (pitch 1/max(H, W): the grid spans the unit square) by
convolutional Sinkhorn, O(H W (H + W)) per iteration (Solomon et al.
2015). --potentials writes F and G as H W values, row-major.`

// solveExtraFlags are otplay solve's --warm, --apply, --mapped and
// --richardson.
type solveExtraFlags struct {
	warm, apply, mapped string
	richardson, grid    bool
	features            int
	bandwidth           float64
}

func (x *solveExtraFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&x.warm, "warm", "", "start from potentials f and g: F,G (two .npy/.csv files) or one .npz holding f and g (a previous --potentials)")
	fs.StringVar(&x.apply, "apply", "", "evaluate the entropic map T(z) at these points (data set spec or points file); writes --mapped")
	fs.StringVar(&x.mapped, "mapped", "", "with --apply: write T(z) (k x d) to this .npy/.csv file")
	fs.BoolVar(&x.grid, "grid", false, "--x and --y are two histograms on one H x W grid (.png/.jpg: luminance; .npy/.csv: H x W): convolutional Sinkhorn")
	fs.IntVar(&x.features, "features", 0, "hilbert: number of random Fourier features (0: 128)")
	fs.Float64Var(&x.bandwidth, "bandwidth", 0, "hilbert: Gaussian kernel sigma (0: the median distance)")
	fs.BoolVar(&x.richardson, "richardson", false, "sinkhorn: Richardson extrapolation in eps, 2 X(eps/2) - X(eps) for the cost, plan and map")
}

// fill loads the warm start and the --apply points into req and checks
// the --mapped output, before any work.
func (x solveExtraFlags) fill(req *batch.SolveRequest) error {
	req.Richardson, req.Grid = x.richardson, x.grid
	req.Features, req.Bandwidth = x.features, x.bandwidth
	switch {
	case x.apply != "" && x.mapped == "":
		return batch.UsageError{Msg: "--apply needs --mapped FILE (.npy or .csv) for T(z)"}
	case x.apply == "" && x.mapped != "":
		return batch.UsageError{Msg: "--mapped: give the points with --apply"}
	}
	if x.mapped != "" {
		if err := safefile.CheckExt(x.mapped, data.OutputExts...); err != nil {
			return batch.UsageError{Msg: "--mapped: " + err.Error()}
		}
	}
	if x.apply != "" {
		z, err := data.Parse(x.apply)
		if err != nil {
			return batch.UsageError{Msg: "--apply: " + err.Error()}
		}
		req.Apply = &z
	}
	if x.warm != "" {
		f, g, err := loadPotentials(x.warm)
		if err != nil {
			return batch.UsageError{Msg: "--warm " + err.Error()}
		}
		req.WarmF, req.WarmG = f, g
	}
	return nil
}

// write saves T(z) for --mapped.
func (x solveExtraFlags) write(rep *solveReport) error {
	if x.mapped == "" || rep.Mapped == nil {
		return nil
	}
	return data.Save(x.mapped, rep.Mapped, rep.MappedN, len(rep.Mapped)/rep.MappedN)
}

// loadPotentials reads the potentials f and g written by --potentials:
// one .npz holding arrays f and g, or two vector files F,G.
func loadPotentials(spec string) (f, g []float64, err error) {
	parts := strings.Split(spec, ",")
	switch {
	case len(parts) == 1 && strings.EqualFold(filepath.Ext(spec), ".npz"):
		return loadPotentialsNPZ(spec)
	case len(parts) == 2:
		if f, err = loadVector(strings.TrimSpace(parts[0])); err != nil {
			return nil, nil, err
		}
		if g, err = loadVector(strings.TrimSpace(parts[1])); err != nil {
			return nil, nil, err
		}
		return f, g, nil
	}
	return nil, nil, fmt.Errorf("%q: want two files F,G (e.g. f.npy,g.npy) or one .npz holding f and g", spec)
}

func loadPotentialsNPZ(path string) (f, g []float64, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, nil, err
	}
	names, arrays, shapes, err := data.ReadNPZ(fh, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, want := range []string{"f", "g"} {
		if _, ok := arrays[want]; !ok {
			return nil, nil, fmt.Errorf("%s: no array %q (it holds %s); write one with otplay solve --potentials out.npz", path, want, strings.Join(names, ", "))
		}
		if s := shapes[want]; len(s) > 1 && s[0] != 1 && s[1] != 1 {
			return nil, nil, fmt.Errorf("%s: array %q is %v, want a vector", path, want, s)
		}
	}
	return arrays["f"], arrays["g"], checkFiniteVector(path, arrays["f"], arrays["g"])
}

// loadVector reads one potential: a column, a row or a 1-D array.
func loadVector(path string) ([]float64, error) {
	s, err := data.Load(path)
	if err != nil {
		return nil, err
	}
	if s.D != 1 && s.N != 1 {
		return nil, fmt.Errorf("%s: a potential is one column or one row, got %d x %d", path, s.N, s.D)
	}
	return s.Points, checkFiniteVector(path, s.Points)
}

func checkFiniteVector(path string, vs ...[]float64) error {
	for _, v := range vs {
		if len(v) == 0 {
			return fmt.Errorf("%s: empty potential", path)
		}
		for i, t := range v {
			if math.IsNaN(t) || math.IsInf(t, 0) {
				return fmt.Errorf("%s: value %d is %v (a potential must be finite)", path, i, t)
			}
		}
	}
	return nil
}
