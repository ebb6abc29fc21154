package play

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/barycenter"
	"github.com/otplay/otplay/solvers/patch"
	"github.com/otplay/otplay/solvers/preset"
)

// BarycenterPath is the route of the barycenter page.
const BarycenterPath = "/barycenter"

// Limits of /barycenter: n x n cells of side x side images. One cell of
// four 32 x 32 shapes (30 iterations at eps = 0.004) took 0.53 s on the
// float64 CPU backend and 1.4 s on lavapipe natively (debiased: 1.6 s and
// 3.7 s) on the 2-core development VM at a load average of 20; the page
// computes one cell per step.
const (
	MaxBarycenterCells = 7
	MaxBarycenterSide  = 64
)

// barycenterShapes are the corner choices: the built-in shapes, and
// "none" for the corners c and d (two shapes: a row; three: a triangle).
var barycenterShapes = append([]string{"none"}, barycenter.ShapeNames...)

// BarycenterSchema is the URL state of /barycenter. Defaults: the disc,
// square, cross and ring of Solomon et al. 2015, Fig. 1 style, 5 x 5
// cells of the balanced preset's 32 x 32 pixels (size = 0), eps = 0.004 (POT's example), not debiased.
var BarycenterSchema = Schema{
	{Name: "a", Label: "Top-left shape", Group: "Shapes", Kind: KindChoice, Default: "disc", Choices: barycenter.ShapeNames, Help: "the input at the top-left corner"},
	{Name: "b", Label: "Top-right shape", Group: "Shapes", Kind: KindChoice, Default: "square", Choices: barycenter.ShapeNames, Help: "the input at the top-right corner"},
	{Name: "c", Label: "Bottom-left shape", Group: "Shapes", Kind: KindChoice, Default: "cross", Choices: barycenterShapes, Help: "none: two shapes, one row of interpolations"},
	{Name: "d", Label: "Bottom-right shape", Group: "Shapes", Kind: KindChoice, Default: "ring", Choices: barycenterShapes, Help: "none (with a bottom-left shape): a triangle of three"},
	{Name: "n", Label: "Cells per side", Group: "Shapes", Kind: KindInt, Default: "5", Min: 2, Max: MaxBarycenterCells, Slider: true, Help: "n x n barycenters (n for two shapes)"},
	{Name: "size", Label: "Image side (pixels; 0: the preset's)", Group: "Shapes", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: MaxBarycenterSide, Help: "each shape is size x size (0, or 8 to 64); the work per iteration grows like size^3; 0: the preset's, the largest side whose buffers fit this backend's storage binding, capped at the preset's level"},
	func() Param {
		p := presetParam("Shapes", "balanced", []string{"draft", "balanced", "ultra"}, false,
			"sets the image side where it is 0, as otplay barycenter --preset: the largest whose largest buffers (the grid convolution's 5 values per pixel, float32) fit one storage binding of this backend, capped at draft 16, balanced 32, ultra 64 pixels (a CPU backend: the cap). The read-out says what it chose and why")
		p.Advanced = true
		return p
	}(),
	{Name: "eps", Label: "Blur ε", Group: "Barycenter", Kind: KindFloat, Default: "0.004", Min: 0.0005, Max: 0.5, Slider: true, Log: true,
		Math: `<mi>K</mi><mo>=</mo><msup><mi>e</mi><mrow><mo>−</mo><msup><mrow><mo>|</mo><mi>x</mi><mo>−</mo><mi>y</mi><mo>|</mo></mrow><mn>2</mn></msup><mo>/</mo><mi>ε</mi></mrow></msup>`,
		Help: "entropic regularisation on the unit square (POT's reg): larger is blurrier and faster"},
	{Name: "debiased", Label: "Debiased", Group: "Barycenter", Kind: KindChoice, Default: "off", Choices: []string{"off", "on"}, Help: "Janati et al. 2020: removes the entropic blur (10 more convolutions per iteration)"},
	{Name: "iters", Label: "Iterations per cell (at most)", Group: "Barycenter", Advanced: true, Kind: KindInt, Default: "300", Min: 1, Max: 5000, Help: "POT's numItermax; each cell stops earlier at POT's stopThr 1e-4"},
	ComputeParam,
}

// BarycenterTours are the /barycenter page's presets.
var BarycenterTours = []Tour{
	{Name: "Four shapes", Query: "",
		Caption: "The square of Solomon et al. 2015: four shapes at the corners and their Wasserstein barycenters with bilinear weights in between. Mass moves rather than fades: the disc turns into the ring without ever being a disc plus a ring."},
	{Name: "Blur and its removal", Query: "eps=0.02&debiased=on",
		Caption: "At a large ε the entropic barycenter is visibly blurred. The debiased barycenter of Janati et al. 2020 keeps the shapes sharp at the same ε; switch debiasing off to compare."},
	{Name: "Two digits", Query: "a=digit3&b=digit8&c=none&d=none&n=7",
		Caption: "With two shapes the page shows one row: the displacement interpolation between a 3 and an 8 from the digits set. It is the path of McCann, not a cross-fade."},
	{Name: "A triangle of three", Query: "a=heart&b=triangle&c=ring&d=none",
		Caption: "Three shapes fill a triangle of barycentric weights. Every cell is one barycenter of three images, computed by convolutions on the grid."},
}

func init() {
	Register(Page{
		Path:    BarycenterPath,
		Title:   "Barycenters",
		Summary: "Wasserstein barycenters of shapes: a square of interpolations between 2-4 images, computed by convolutional Sinkhorn on the GPU, with the debiasing switch.",
		About: `Convolutional Wasserstein barycenters (Solomon et al. 2015, Fig. 1; POT's convolutional_barycenter2d, log domain) of 2-4 built-in shapes at the corners: a row, a triangle or a square, one cell per Step, with ε and the debiasing switch (Janati et al. 2020). Each cell reports POT's error, the float64 marginal error and its iterations.

The image side defaults to the preset's (draft 16, balanced 32, ultra 64 pixels): the largest side whose buffers fit this backend's storage binding, capped at that level, as otplay barycenter --preset. On the 2-core development VM a 3 x 3 square of 16 x 16 shapes took 2.4-5.8 s on the wasm CPU (float64), 31-39 s on SwiftShader WebGPU and 90-100 s debiased there: a software GPU's per-dispatch cost dominates these small grids.`,
		Schema: BarycenterSchema,
		Tours:  BarycenterTours,
	})
}

// Barycenter is the typed state of /barycenter.
type Barycenter struct {
	Corners  [4]string // a, b, c, d ("none" for c and d: fewer shapes)
	N, Size  int       // Size 0: the preset's resolution
	Preset   string
	Eps      float64
	Debiased bool
	Iters    int
	Backend  string
}

// ParseBarycenter reads the typed state from a decoded /barycenter state.
// With c = none, d must be none too (two shapes).
func ParseBarycenter(st State) (Barycenter, error) {
	b := Barycenter{Corners: [4]string{st.String("a"), st.String("b"), st.String("c"), st.String("d")},
		N: st.Int("n"), Size: st.Int("size"), Preset: st.String("preset"), Eps: st.Float("eps"), Debiased: st.String("debiased") == "on",
		Iters: st.Int("iters"), Backend: st.String("backend")}
	if b.Size != 0 && b.Size < preset.MinSide {
		return b, fmt.Errorf("size = %d: want 0 (the preset's) or %d to %d pixels", b.Size, preset.MinSide, MaxBarycenterSide)
	}
	if b.Corners[2] == "none" && b.Corners[3] != "none" {
		return b, fmt.Errorf("d = %s but c = none: pick the bottom-left shape first (two shapes: c = d = none)", b.Corners[3])
	}
	return b, nil
}

// State encodes the typed state as URL state.
func (b Barycenter) State() (State, error) {
	deb := "off"
	if b.Debiased {
		deb = "on"
	}
	return BarycenterSchema.Make(map[string]string{
		"a": b.Corners[0], "b": b.Corners[1], "c": b.Corners[2], "d": b.Corners[3],
		"n": strconv.Itoa(b.N), "size": strconv.Itoa(b.Size), "preset": choiceOr(b.Preset, "balanced"), "eps": strconv.FormatFloat(b.Eps, 'g', -1, 64),
		"debiased": deb, "iters": strconv.Itoa(b.Iters), "backend": b.Backend,
	})
}

// resolve returns the image side: Size, or where it is 0 the preset's
// resolution on backend be (preset.Resolution), with what the preset set
// and why.
func (b Barycenter) resolve(be compute.Backend) (int, *PresetReadout, error) {
	if b.Size != 0 {
		return b.Size, nil, nil
	}
	return imageResolution(choiceOr(b.Preset, "balanced"), be, patch.DefaultSize, patch.DefaultStride, func(r preset.ImageResolution) (int, string, string) {
		return r.Side, "size", r.SideWhy
	})
}

// Shapes returns the K = 2, 3 or 4 corner shapes in use.
func (b Barycenter) Shapes() []string {
	k := 4
	switch {
	case b.Corners[2] == "none":
		k = 2
	case b.Corners[3] == "none":
		k = 3
	}
	return b.Corners[:k]
}

// Cells returns the weights of every cell of the picture, row-major in a
// rows x cols layout, nil for the empty cells of a triangle: two shapes,
// one row (1 - t, t); three, the triangle (1 - s - t, t, s) for s + t <= 1
// (s down, t across); four, the bilinear square (barycenter.SquareWeights).
func (b Barycenter) Cells() (w [][]float64, rows, cols int) {
	n := b.N
	switch len(b.Shapes()) {
	case 2:
		for j := 0; j < n; j++ {
			t := float64(j) / float64(n-1)
			w = append(w, []float64{1 - t, t})
		}
		return w, 1, n
	case 3:
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if i+j > n-1 {
					w = append(w, nil)
					continue
				}
				s, t := float64(i)/float64(n-1), float64(j)/float64(n-1)
				w = append(w, []float64{math.Max(0, 1-s-t), t, s})
			}
		}
		return w, n, n
	}
	return barycenter.SquareWeights(n), n, n
}

// BarycenterFrame is the picture so far: what /barycenter shows and
// publishes.
type BarycenterFrame struct {
	// Done cells of Total are computed (Total excludes a triangle's empty
	// cells); Iterations is their sum; Converged says every computed cell
	// met POT's stopThr; WorstErr and WorstMarginal are the largest POT
	// error and float64 marginal error of the computed cells.
	Done          int     `json:"cells"`
	Total         int     `json:"total"`
	Iterations    int     `json:"iterations"`
	Converged     bool    `json:"converged"`
	WorstErr      float64 `json:"worstErr"`
	WorstMarginal float64 `json:"worstMarginal"`
	// Last is the most recent cell: its index, weights, iterations and
	// status sentence.
	LastCell    int       `json:"lastCell"`
	LastWeights []float64 `json:"lastWeights"`
	LastIters   int       `json:"lastIters"`
	LastStatus  string    `json:"lastStatus"`
	Precision   string    `json:"precision"`
	// Size is the image side used; Preset says how the preset chose it
	// (nil where the state set it).
	Size      int                `json:"size"`
	Preset    *PresetReadout     `json:"preset,omitempty"`
	TimingsMS map[string]float64 `json:"timingsMs"`

	// View is the mosaic (one heatmap, each cell scaled to its maximum).
	View figure.Figure `json:"-"`
	// Barycenters holds each cell's image (nil until computed or empty),
	// Weights each cell's weights; Rows, Cols and Side the layout.
	Barycenters      [][]float64 `json:"-"`
	Weights          [][]float64 `json:"-"`
	Rows, Cols, Side int         `json:"-"`
}

// Finished says every cell is computed.
func (f BarycenterFrame) Finished() bool { return f.Done >= f.Total }

type barycenterRun struct {
	st     Barycenter
	be     compute.Backend
	images barycenter.Images
	frame  BarycenterFrame
	next   int
	total  time.Duration
}

// Start builds the shapes; each Step computes the next k cells on b.
func (b Barycenter) Start(ctx context.Context, be compute.Backend, progress func(Progress)) (Run[BarycenterFrame], error) {
	side, pr, err := b.resolve(be)
	if err != nil {
		return nil, err
	}
	b.Size = side
	shapes := b.Shapes()
	progress(Progress{Phase: fmt.Sprintf("Drawing %d shapes of %d x %d pixels", len(shapes), b.Size, b.Size)})
	var imgs []float64
	for _, name := range shapes {
		img, err := barycenter.Shape(name, b.Size)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img...)
	}
	w, rows, cols := b.Cells()
	r := &barycenterRun{st: b, be: be,
		images: barycenter.Images{Images: imgs, K: len(shapes), H: b.Size, W: b.Size}}
	f := &r.frame
	f.Weights, f.Rows, f.Cols, f.Side = w, rows, cols, b.Size
	f.Size, f.Preset = b.Size, pr
	f.Barycenters = make([][]float64, len(w))
	f.Converged, f.LastCell = true, -1
	f.Precision = compute.PrecisionOf(be.Info()).Name
	for _, c := range w {
		if c != nil {
			f.Total++
		}
	}
	f.View = r.view()
	return r, nil
}

// Step computes the next k cells (at least one while any is left).
func (r *barycenterRun) Step(ctx context.Context, k int, playing bool) (BarycenterFrame, error) {
	f := &r.frame
	run := barycenter.Convolutional
	if r.st.Debiased {
		run = barycenter.ConvolutionalDebiased
	}
	for done := 0; done < max(k, 1) && r.next < len(f.Weights); r.next++ {
		w := f.Weights[r.next]
		if w == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return *f, err
		}
		p := r.images
		p.Weights = w
		res, err := run(r.be, p, barycenter.Settings{Eps: r.st.Eps, MaxIter: r.st.Iters})
		if err != nil {
			return *f, err
		}
		f.Barycenters[r.next] = res.Barycenter
		f.Done++
		f.Iterations += res.Iterations
		f.Converged = f.Converged && res.Converged
		f.WorstErr = math.Max(f.WorstErr, res.Err)
		f.WorstMarginal = math.Max(f.WorstMarginal, res.MarginalError)
		f.LastCell, f.LastWeights, f.LastIters, f.LastStatus = r.next, w, res.Iterations, res.Status
		r.total += res.Time
		f.TimingsMS = map[string]float64{"last cell": millis(int64(res.Time)), "all cells": millis(int64(r.total))}
		done++
	}
	f.View = r.view()
	return *f, nil
}

// Close frees nothing: each cell's arrays are freed by the solver.
func (r *barycenterRun) Close() {}

// view lays the cells out as one heatmap with a one-pixel gutter; each
// cell is scaled to its own maximum (the shapes' densities differ by the
// area they cover); cells not yet computed and gutters are transparent
// (NaN).
func (r *barycenterRun) view() figure.Figure {
	f := &r.frame
	s, g := f.Side, 1
	wd, ht := f.Cols*(s+g)-g, f.Rows*(s+g)-g
	v := make([]float64, wd*ht)
	for i := range v {
		v[i] = math.NaN()
	}
	for c, img := range f.Barycenters {
		if img == nil {
			continue
		}
		top := 0.0
		for _, x := range img {
			top = math.Max(top, x)
		}
		r0, c0 := (c/f.Cols)*(s+g), (c%f.Cols)*(s+g)
		for i := 0; i < s; i++ {
			for j := 0; j < s; j++ {
				v[(r0+i)*wd+c0+j] = img[i*s+j] / top
			}
		}
	}
	title := fmt.Sprintf("%d of %d barycenters", f.Done, f.Total)
	if r.st.Debiased {
		title += " (debiased)"
	}
	// Axes in weights: cell j of a row is centred at t = j/(n-1), the
	// weight of the right-hand shape(s); row i at 1 - s = 1 - i/(n-1),
	// the weight of the top shape(s).
	step := 1 / float64(r.st.N-1)
	x0, x1 := -step/2, 1+step/2
	y0, y1 := -step/2, 1+step/2
	ylabel := "1 − s: weight of the top shapes"
	if f.Rows == 1 {
		half := (x1 - x0) * float64(ht) / float64(wd) / 2
		y0, y1, ylabel = -half, half, ""
	}
	return figure.Figure{Width: 560, Height: max(220, 90+480*ht/wd), EqualAspect: true, Title: title,
		XLabel: "t: weight of the right-hand shapes", YLabel: ylabel,
		Heatmaps: []figure.Heatmap{{Cols: wd, Rows: ht, Values: v, X0: x0, X1: x1, Y0: y0, Y1: y1, Min: 0, Max: 1, Label: "mass / cell max"}}}
}
