package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/barycenter"
	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/patch"
	"github.com/otplay/otplay/solvers/preset"
	"github.com/sbinet/npyio/npy"
)

func init() {
	register(command{name: "barycenter", summary: "Wasserstein barycenters of histograms, images or point clouds", run: runBarycenter})
}

const barycenterSynopsis = `barycenter --method METHOD [inputs] [--weights w.npy] [--eps E] [--out FILE] [flags]

Computes the Wasserstein barycenter argmin_b sum_k w_k OT(a_k, b) of K
inputs, as POT 0.8.2 does (see solvers/barycenter):

  entropic       histograms on a shared support (--hists H.npy, one per row,
                 with --cost M.npy, n x n, or --support S.npy, n x d points
                 and the cost |x - y|^2): Bregman projections in the log
                 domain (ot.bregman.barycenter, method="sinkhorn_log"); with
                 --cost on the host in float64, with --support on --backend
                 (the fused soft-min: no n x n matrix; --backend cpu is
                 float64).
  debiased       the same, debiased (ot.bregman.barycenter_debiased).
  convolutional  images on one grid (--grid SPEC,SPEC,...: built-in shapes
                 disc, ring, square, cross, triangle, heart, digit0..digit9
                 at --size pixels, or .png/.jpg files whose mass is the
                 darkness 1 - luminance, .npy/.csv H x W arrays, or one
                 .npy K x H x W stack, POT's A):
                 ot.bregman.convolutional_barycenter2d (method="sinkhorn_log";
                 --debiased for convolutional_barycenter2d_debiased), on
                 --backend (the GPU where there is one). --preset
                 draft|balanced|ultra|fast|repro sets --size to the largest
                 that this backend's storage binding holds, capped at the
                 preset's level (16, 32, 64).
  free-support   point clouds (--clouds a.npy,b.npy,... or data set specs
                 such as moons:200): --n support points (or --init X.npy)
                 moved to the weighted barycentric projection of exact plans
                 (ot.lp.free_support_barycenter; uniform weights); --inner
                 entropic uses Sinkhorn plans at --eps on --backend.

--weights: K non-negative numbers summing to 1 (default uniform). --eps is
POT's reg (default 0.01; 0.004 for convolutional, POT's example). --tol is
POT's stopThr (default 1e-4 for Bregman methods, 1e-7 for free support),
--iters its numItermax (default 1000, 100 for free support).

--square N (convolutional, exactly 4 inputs) computes the N x N square of
interpolations of Solomon et al. 2015, Fig. 1: corner inputs in the order
top-left, top-right, bottom-left, bottom-right, bilinear weights between.

--out writes the result: .npy or .csv (the histogram as a vector, an image
as H x W, the square as N*N rows of H*W, the support as n x d), or .png
for convolutional results (mass as darkness; the square as a mosaic).
Output names are checked before the work; files are written atomically.
--json prints one object: method, backend, precision, k, n, d, h, w, eps,
iterations, converged, err, tol, marginal_error, objective, status,
time_ms, notes.`

type barycenterFlags struct {
	method, hists, cost, support, weights, grid, clouds, init, inner, out, backend string
	eps, tol                                                                       float64
	iters, size, n, square                                                         int
	debiased, asJSON                                                               bool
}

// barycenterReport is the --json output of otplay barycenter.
type barycenterReport struct {
	Method        string   `json:"method"`
	Backend       string   `json:"backend"`
	Precision     string   `json:"precision"`
	K             int      `json:"k"`
	N             int      `json:"n,omitempty"`
	D             int      `json:"d,omitempty"`
	H             int      `json:"h,omitempty"`
	W             int      `json:"w,omitempty"`
	Cells         int      `json:"cells,omitempty"`
	Eps           float64  `json:"eps,omitempty"`
	Iterations    int      `json:"iterations"`
	Converged     bool     `json:"converged"`
	Err           float64  `json:"err"`
	Tol           float64  `json:"tol"`
	MarginalError float64  `json:"marginal_error"`
	Objective     float64  `json:"objective,omitempty"`
	Status        string   `json:"status"`
	TimeMS        float64  `json:"time_ms"`
	Notes         []string `json:"notes,omitempty"`
	// Barycenter is the result (omitted from the JSON when written to
	// --out or larger than 4096 values).
	Barycenter []float64 `json:"barycenter,omitempty"`
}

func runBarycenter(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("barycenter", barycenterSynopsis, stdout, stderr)
	var f barycenterFlags
	fs.StringVar(&f.method, "method", "entropic", "entropic, debiased, convolutional or free-support")
	fs.StringVar(&f.hists, "hists", "", "entropic/debiased: K x n histograms, one per row (.npy/.csv)")
	fs.StringVar(&f.cost, "cost", "", "entropic/debiased: n x n ground cost (.npy/.csv)")
	fs.StringVar(&f.support, "support", "", "entropic/debiased: n x d support points; cost |x - y|^2")
	fs.StringVar(&f.weights, "weights", "", "K barycentric weights summing to 1 (.npy/.csv); default uniform")
	fs.StringVar(&f.grid, "grid", "", "convolutional: comma-separated shapes (disc, ring, square, cross, triangle, heart, digit0..9) or image/array files")
	fs.IntVar(&f.size, "size", 64, "convolutional: side of the built-in shapes, in pixels")
	fs.BoolVar(&f.debiased, "debiased", false, "convolutional: the debiased barycenter (Janati et al. 2020)")
	fs.IntVar(&f.square, "square", 0, "convolutional: the N x N square of interpolations between 4 corner inputs")
	fs.StringVar(&f.clouds, "clouds", "", "free-support: comma-separated point files or data set specs")
	fs.IntVar(&f.n, "n", 0, "free-support: number of support points (taken evenly from the first cloud)")
	fs.StringVar(&f.init, "init", "", "free-support: initial support points file (n x d), instead of --n")
	fs.StringVar(&f.inner, "inner", "exact", "free-support: exact or entropic plans")
	fs.Float64Var(&f.eps, "eps", 0, "entropic regularisation (POT's reg); 0 means 0.01, or 0.004 for convolutional")
	fs.Float64Var(&f.tol, "tol", 0, "stopping threshold (POT's stopThr); 0 means the method's default")
	fs.IntVar(&f.iters, "iters", 0, "maximum iterations; 0 means the method's default")
	fs.StringVar(&f.out, "out", "", "write the barycenter (.npy, .csv; .png for convolutional)")
	fs.StringVar(&f.backend, "backend", "auto", backendFlagHelp)
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object")
	presetName := fs.String("preset", "", "sets --size (convolutional) from this backend's storage-binding limit, capped at the preset's level (draft 16, balanced 32, ultra 64) unless given; `otplay info` lists them and why")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	sideOnly := func(p *batch.Preset, hw batch.Hardware) {
		p.ResolutionReason = preset.Resolution(preset.ImageLevels[p.Name], hw, p.Backend, patch.DefaultSize, patch.DefaultStride).SideWhy
	}
	if err := applyPresetAdjusted(fs, "barycenter", *presetName, sideOnly, batch.Preset.BarycenterFlags, stderr); err != nil {
		fmt.Fprintln(stderr, "otplay barycenter:", err)
		return 2
	}
	rep, err := barycenterMain(f, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "otplay barycenter:", err)
		var ue batch.UsageError
		if errors.As(err, &ue) || errors.Is(err, barycenter.ErrBadInput) || errors.Is(err, barycenter.ErrPrecision) {
			return 2
		}
		return 1
	}
	if f.asJSON {
		return writeJSON(stdout, stderr, "barycenter", rep)
	}
	printBarycenterReport(stdout, rep)
	return 0
}

func printBarycenterReport(w io.Writer, r *barycenterReport) {
	fmt.Fprintf(w, "method      %s (backend %s, %s)\n", r.Method, r.Backend, r.Precision)
	switch {
	case r.H > 0:
		fmt.Fprintf(w, "problem     K = %d images of %d x %d", r.K, r.H, r.W)
	case r.D > 0:
		fmt.Fprintf(w, "problem     K = %d clouds in dimension %d, n = %d support points", r.K, r.D, r.N)
	default:
		fmt.Fprintf(w, "problem     K = %d histograms on n = %d points", r.K, r.N)
	}
	if r.Eps > 0 {
		fmt.Fprintf(w, ", eps = %g", r.Eps)
	}
	if r.Cells > 0 {
		fmt.Fprintf(w, ", square of %d barycenters", r.Cells)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "iterations  %d (converged: %v)\n", r.Iterations, r.Converged)
	fmt.Fprintf(w, "error       %.3g (tol %.3g); marginal error %.3g\n", r.Err, r.Tol, r.MarginalError)
	if r.Objective != 0 {
		fmt.Fprintf(w, "objective   %.10g\n", r.Objective)
	}
	fmt.Fprintf(w, "status      %s\n", r.Status)
	fmt.Fprintf(w, "time        %.3f ms\n", r.TimeMS)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note        %s\n", n)
	}
	if r.Barycenter != nil && r.Cells == 0 && r.H == 0 && r.D == 0 {
		fmt.Fprintf(w, "barycenter  %s\n", formatValues(r.Barycenter, 12))
	}
}

func formatValues(v []float64, most int) string {
	var b strings.Builder
	for i, x := range v {
		if i == most {
			fmt.Fprintf(&b, " ... (%d values)", len(v))
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.6g", x)
	}
	return b.String()
}

func usageErr(format string, args ...any) error {
	return batch.UsageError{Msg: fmt.Sprintf(format, args...)}
}

// barycenterMain checks the flags and the output, loads the inputs, runs
// the method and writes --out.
func barycenterMain(f barycenterFlags, stderr io.Writer) (*barycenterReport, error) {
	switch {
	case math.IsNaN(f.eps) || f.eps < 0 || math.IsInf(f.eps, 0):
		return nil, usageErr("--eps %g: want > 0 (0: the method's default)", f.eps)
	case math.IsNaN(f.tol) || f.tol < 0:
		return nil, usageErr("--tol %g: want >= 0 (0: the method's default)", f.tol)
	case f.iters < 0:
		return nil, usageErr("--iters %d: want >= 0 (0: the method's default)", f.iters)
	}
	if f.out != "" {
		exts := data.OutputExts
		if f.method == "convolutional" {
			exts = append(append([]string(nil), exts...), ".png")
		}
		if err := safefile.CheckExt(f.out, exts...); err != nil {
			return nil, usageErr("--out: %v", err)
		}
	}
	var weights []float64
	if f.weights != "" {
		w, err := data.LoadWeights(f.weights)
		if err != nil {
			return nil, usageErr("--weights: %v", err)
		}
		weights = w
	}
	s := barycenter.Settings{Eps: f.eps, Tol: f.tol, MaxIter: f.iters}
	switch f.method {
	case "entropic", "debiased":
		return histogramCommand(f, weights, s)
	case "convolutional":
		return convolutionalCommand(f, weights, s, stderr)
	case "free-support":
		return freeSupportCommand(f, weights, s)
	}
	return nil, usageErr("--method %q: want entropic, debiased, convolutional or free-support", f.method)
}

func histogramCommand(f barycenterFlags, weights []float64, s barycenter.Settings) (*barycenterReport, error) {
	if f.hists == "" {
		return nil, usageErr("--method %s needs --hists H.npy (one histogram per row)", f.method)
	}
	if (f.cost == "") == (f.support == "") {
		return nil, usageErr("--method %s needs one of --cost M.npy and --support S.npy", f.method)
	}
	h, err := data.Load(f.hists)
	if err != nil {
		return nil, usageErr("--hists: %v", err)
	}
	p := barycenter.Histograms{Hists: h.Points, K: h.N, N: h.D, Weights: weights}
	if f.cost != "" {
		c, err := data.Load(f.cost)
		if err != nil {
			return nil, usageErr("--cost: %v", err)
		}
		if c.N != h.D || c.D != h.D {
			return nil, usageErr("--cost is %d x %d, want n x n = %d x %d (the histograms have %d cells)", c.N, c.D, h.D, h.D, h.D)
		}
		p.Cost = c.Points
	} else {
		sp, err := data.Load(f.support)
		if err != nil {
			return nil, usageErr("--support: %v", err)
		}
		if sp.N != h.D {
			return nil, usageErr("--support has %d points, the histograms %d cells", sp.N, h.D)
		}
		p.Support, p.D = sp.Points, sp.D
	}
	if s.Eps == 0 {
		s.Eps = 0.01
	}
	var r *barycenter.Result
	var note string
	if p.Cost != nil {
		run := barycenter.Entropic
		if f.method == "debiased" {
			run = barycenter.Debiased
		}
		r, err = run(p, s)
		if f.backend != "auto" && f.backend != "cpu" {
			note = fmt.Sprintf("with --cost the barycenter is computed on the host in float64; --backend %s is not used", f.backend)
		}
	} else {
		run := barycenter.EntropicOn
		if f.method == "debiased" {
			run = barycenter.DebiasedOn
		}
		var be compute.Backend
		if be, note, err = openBackend(f.backend); err != nil {
			return nil, err
		}
		defer be.Close()
		r, err = run(be, p, s)
	}
	if err != nil {
		return nil, err
	}
	rep := reportOf(r, s.Eps)
	rep.K, rep.N = p.K, p.N
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	if f.out != "" {
		if err := data.SaveVector(f.out, r.Barycenter); err != nil {
			return nil, err
		}
	} else if len(r.Barycenter) <= 4096 {
		rep.Barycenter = r.Barycenter
	}
	return rep, nil
}

func reportOf(r *barycenter.Result, eps float64) *barycenterReport {
	return &barycenterReport{Method: r.Method, Backend: r.Backend, Precision: r.Precision, Eps: eps,
		Iterations: r.Iterations, Converged: r.Converged, Err: r.Err, Tol: r.Tol, MarginalError: r.MarginalError,
		Objective: r.Objective, Status: r.Status, TimeMS: float64(r.Time.Microseconds()) / 1000}
}

// loadGrid reads --grid: shapes at --size, image files (mass = darkness)
// or H x W arrays; all must share one size. Each is normalised to mass 1.
func loadGrid(spec string, size int) (imgs []float64, k, h, w int, err error) {
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		var img []float64
		var ih, iw int
		ext := strings.ToLower(filepath.Ext(part))
		switch {
		case ext == ".png" || ext == ".jpg" || ext == ".jpeg":
			im, err := imageio.Load(part)
			if err != nil {
				return nil, 0, 0, 0, usageErr("--grid: %v", err)
			}
			ih, iw = im.Height, im.Width
			img = make([]float64, ih*iw)
			for i := range img {
				px := im.Pix[3*i : 3*i+3]
				img[i] = 1 - (0.2126*px[0] + 0.7152*px[1] + 0.0722*px[2])
			}
		case ext == ".npy" && npyDims(part) == 3:
			// K x H x W: POT's A, K images at once.
			vals, shape, err := readNPY3(part)
			if err != nil {
				return nil, 0, 0, 0, usageErr("--grid: %s: %v", part, err)
			}
			for r := 0; r < shape[0]; r++ {
				one := vals[r*shape[1]*shape[2] : (r+1)*shape[1]*shape[2]]
				if imgs, k, h, w, err = appendImage(imgs, k, h, w, fmt.Sprintf("%s[%d]", part, r), one, shape[1], shape[2]); err != nil {
					return nil, 0, 0, 0, err
				}
			}
			continue
		case ext != "":
			set, err := data.Load(part)
			if err != nil {
				return nil, 0, 0, 0, usageErr("--grid: %v", err)
			}
			img, ih, iw = set.Points, set.N, set.D
		default:
			img, err = barycenter.Shape(part, size)
			if err != nil {
				return nil, 0, 0, 0, usageErr("--grid: %v", err)
			}
			ih, iw = size, size
		}
		if imgs, k, h, w, err = appendImage(imgs, k, h, w, part, img, ih, iw); err != nil {
			return nil, 0, 0, 0, err
		}
	}
	return imgs, k, h, w, nil
}

// appendImage adds one ih x iw image, normalised to mass 1, after the k
// images of size h x w in imgs (the first sets the size).
func appendImage(imgs []float64, k, h, w int, name string, img []float64, ih, iw int) ([]float64, int, int, int, error) {
	if k == 0 {
		h, w = ih, iw
	} else if ih != h || iw != w {
		return nil, 0, 0, 0, usageErr("--grid: %s is %d x %d but the first input is %d x %d (inputs must share one grid; --size sets the shapes')", name, ih, iw, h, w)
	}
	total := 0.0
	for _, v := range img {
		total += v
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return nil, 0, 0, 0, usageErr("--grid: %s has no mass (or an infinite one)", name)
	}
	for _, v := range img {
		imgs = append(imgs, v/total)
	}
	return imgs, k + 1, h, w, nil
}

// npyDims returns the number of dimensions of a .npy file's array (0 when
// the header cannot be read: data.Load then says why).
func npyDims(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	r, err := npy.NewReader(f)
	if err != nil {
		return 0
	}
	return len(r.Header.Descr.Shape)
}

// readNPY3 reads a 3-D .npy array (float64 or float32, C order), the K x
// H x W stack POT's convolutional barycenters take (data.Load reads 1-D
// and 2-D arrays only).
func readNPY3(path string) ([]float64, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r, err := npy.NewReader(f)
	if err != nil {
		return nil, nil, err
	}
	hd := r.Header.Descr
	if hd.Fortran {
		return nil, nil, errors.New("a Fortran-order 3-D array: save it with numpy.ascontiguousarray")
	}
	shape := hd.Shape
	if shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || shape[0]*shape[1]*shape[2] > data.MaxPoints {
		return nil, nil, fmt.Errorf("shape %v: want K x H x W with at most %d values", shape, data.MaxPoints)
	}
	switch hd.Type {
	case "<f8":
		var v []float64
		err = r.Read(&v)
		return v, shape, err
	case "<f4":
		var v32 []float32
		if err = r.Read(&v32); err != nil {
			return nil, nil, err
		}
		v := make([]float64, len(v32))
		for i, x := range v32 {
			v[i] = float64(x)
		}
		return v, shape, nil
	}
	return nil, nil, fmt.Errorf("dtype %s: a 3-D array must be float64 or float32 (little-endian)", hd.Type)
}

func convolutionalCommand(f barycenterFlags, weights []float64, s barycenter.Settings, stderr io.Writer) (*barycenterReport, error) {
	if f.grid == "" {
		return nil, usageErr("--method convolutional needs --grid SPEC,SPEC,... (shapes or image files)")
	}
	if f.size < 2 || f.size > barycenter.MaxShapeSide {
		return nil, usageErr("--size %d: want 2..%d", f.size, barycenter.MaxShapeSide)
	}
	if f.square != 0 && (f.square < 2 || f.square > 16) {
		return nil, usageErr("--square %d: want 2..16", f.square)
	}
	imgs, k, h, w, err := loadGrid(f.grid, f.size)
	if err != nil {
		return nil, err
	}
	if f.square > 0 && (k != 4 || weights != nil) {
		return nil, usageErr("--square needs exactly 4 --grid inputs (corners) and no --weights; got %d inputs", k)
	}
	if s.Eps == 0 {
		s.Eps = 0.004
	}
	be, note, err := openBackend(f.backend)
	if err != nil {
		return nil, err
	}
	defer be.Close()
	run := barycenter.Convolutional
	if f.debiased {
		run = barycenter.ConvolutionalDebiased
	}
	p := barycenter.Images{Images: imgs, K: k, H: h, W: w, Weights: weights}
	cells := [][]float64{weights}
	if f.square > 0 {
		cells = barycenter.SquareWeights(f.square)
	}
	var rep *barycenterReport
	var out []float64
	bar := newProgress(stderr, "barycenter", "cell", len(cells))
	for i, cw := range cells {
		p.Weights = cw
		r, err := run(be, p, s)
		if err != nil {
			bar.Finish()
			return nil, err
		}
		out = append(out, r.Barycenter...)
		if rep == nil {
			rep = reportOf(r, s.Eps)
		} else {
			// The square's report: total time and iterations, the worst
			// error and convergence of all cells.
			if !r.Converged && rep.Converged {
				rep.Status = fmt.Sprintf("cell %d: %s", i, r.Status)
			}
			rep.Iterations += r.Iterations
			rep.Converged = rep.Converged && r.Converged
			rep.Err = math.Max(rep.Err, r.Err)
			rep.MarginalError = math.Max(rep.MarginalError, r.MarginalError)
			rep.TimeMS += float64(r.Time.Microseconds()) / 1000
		}
		bar.Set(i+1, "")
	}
	bar.Finish()
	rep.K, rep.H, rep.W = k, h, w
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	if f.square > 0 {
		rep.Cells = len(cells)
		if rep.Converged {
			rep.Status = fmt.Sprintf("all %d cells converged (%d iterations in all; worst error %.3g <= tol %.3g)", len(cells), rep.Iterations, rep.Err, rep.Tol)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("square of %d x %d barycenters: iterations are summed, err and marginal error are the worst cell's", f.square, f.square))
	}
	if f.out != "" {
		if err := writeGrid(f.out, out, len(cells), h, w, f.square); err != nil {
			return nil, err
		}
	} else if len(out) <= 4096 {
		rep.Barycenter = out
	}
	return rep, nil
}

// writeGrid writes one image (H x W) or a square of n x n images: .npy
// and .csv as rows of H*W values (H x W for one image), .png as darkness,
// each image scaled by its own maximum, the square as a mosaic with a
// one-pixel white gutter.
func writeGrid(path string, v []float64, cells, h, w, n int) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		if cells == 1 {
			return data.Save(path, v, h, w)
		}
		return data.Save(path, v, cells, h*w)
	}
	cols := 1
	if n > 0 {
		cols = n
	}
	rows := (cells + cols - 1) / cols
	const gutter = 1
	img, err := imageio.New(cols*(w+gutter)-gutter, rows*(h+gutter)-gutter)
	if err != nil {
		return err
	}
	for i := range img.Pix {
		img.Pix[i] = 1
	}
	for c := 0; c < cells; c++ {
		cell := v[c*h*w : (c+1)*h*w]
		top := 0.0
		for _, x := range cell {
			top = math.Max(top, x)
		}
		r0, c0 := (c/cols)*(h+gutter), (c%cols)*(w+gutter)
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				g := 1 - cell[i*w+j]/top
				o := ((r0+i)*img.Width + c0 + j) * 3
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = g, g, g
			}
		}
	}
	return safefile.Write(path, func(wr io.Writer) error { return imageio.EncodePNG(wr, img) })
}

func freeSupportCommand(f barycenterFlags, weights []float64, s barycenter.Settings) (*barycenterReport, error) {
	if f.clouds == "" {
		return nil, usageErr("--method free-support needs --clouds a.npy,b.npy,... (files or data set specs)")
	}
	if (f.n == 0) == (f.init == "") {
		return nil, usageErr("--method free-support needs one of --n K and --init X.npy")
	}
	p := barycenter.Clouds{Weights: weights, N: f.n}
	for _, spec := range strings.Split(f.clouds, ",") {
		set, err := data.Parse(spec)
		if err != nil {
			return nil, usageErr("--clouds: %v", err)
		}
		if p.D == 0 {
			p.D = set.D
		} else if set.D != p.D {
			return nil, usageErr("--clouds: %s has dimension %d, the first cloud %d", spec, set.D, p.D)
		}
		p.Clouds = append(p.Clouds, set.Points)
	}
	if f.init != "" {
		set, err := data.Load(f.init)
		if err != nil {
			return nil, usageErr("--init: %v", err)
		}
		if set.D != p.D {
			return nil, usageErr("--init has dimension %d, the clouds %d", set.D, p.D)
		}
		p.Init = set.Points
	}
	var r *barycenter.Result
	var err error
	var note string
	switch f.inner {
	case "exact":
		r, err = barycenter.FreeSupport(p, s)
	case "entropic":
		if s.Eps == 0 {
			s.Eps = 0.01
		}
		var be compute.Backend
		if be, note, err = openBackend(f.backend); err != nil {
			return nil, err
		}
		defer be.Close()
		r, err = barycenter.FreeSupportEntropic(be, p, s)
	default:
		return nil, usageErr("--inner %q: want exact or entropic", f.inner)
	}
	if err != nil {
		return nil, err
	}
	rep := reportOf(r, s.Eps)
	rep.K, rep.N, rep.D = len(p.Clouds), len(r.Barycenter)/p.D, p.D
	if note != "" {
		rep.Notes = append(rep.Notes, note)
	}
	if f.out != "" {
		if err := data.Save(f.out, r.Barycenter, rep.N, p.D); err != nil {
			return nil, err
		}
	} else if len(r.Barycenter) <= 4096 {
		rep.Barycenter = r.Barycenter
	}
	return rep, nil
}
