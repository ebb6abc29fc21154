package play

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/sliced"
)

// SlicedPath is the route of the sliced Wasserstein page.
const SlicedPath = "/sliced"

// Limits of /sliced: each direction sorts n + m projections; the page
// keeps L * (n + m) below a few million so that the wasm CPU backend
// answers in about a second.
const (
	MaxSlicedPoints      = 4096
	MaxSlicedProjections = 2000
)

// SlicedSchema is the URL state of /sliced. Defaults: 300 points of
// 8gaussians and of moons, 100 random directions (Monte-Carlo error of
// SW_2^2 near 10%: visible on the running curve), seed 0.
var SlicedSchema = Schema{
	{Name: "x", Label: "Source points", Group: "Data", Kind: KindChoice, Default: "8gaussians", Choices: OTSets, Help: "n points x_i of this set (seed), weights 1/n"},
	{Name: "y", Label: "Target points", Group: "Data", Kind: KindChoice, Default: "moons", Choices: OTSets, Help: "m points y_j of this set (seed + 1), weights 1/m"},
	{Name: "n", Label: "Number of source points n", Group: "Data", Kind: KindInt, Default: "300", Min: 1, Max: MaxSlicedPoints, Slider: true, Log: true, Help: "each direction sorts n + m projections"},
	{Name: "m", Label: "Number of target points m", Group: "Data", Kind: KindInt, Default: "300", Min: 1, Max: MaxSlicedPoints, Slider: true, Log: true, Help: "target points"},
	{Name: "seed", Label: "Random seed", Group: "Data", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "data seed (target: seed + 1) and direction seed"},
	{Name: "L", Label: "Directions L", Group: "Slicing", Kind: KindInt, Default: "100", Min: 1, Max: MaxSlicedProjections, Slider: true, Log: true,
		Math: `<msubsup><mi>SW</mi><mn>2</mn><mn>2</mn></msubsup><mo>=</mo><mfrac><mn>1</mn><mi>L</mi></mfrac><munderover><mo>∑</mo><mrow><mi>l</mi><mo>=</mo><mn>1</mn></mrow><mi>L</mi></munderover><msubsup><mi>W</mi><mn>2</mn><mn>2</mn></msubsup><mo>(</mo><mo>⟨</mo><mi>x</mi><mo>,</mo><msub><mi>θ</mi><mi>l</mi></msub><mo>⟩</mo><mo>,</mo><mo>⟨</mo><mi>y</mi><mo>,</mo><msub><mi>θ</mi><mi>l</mi></msub><mo>⟩</mo><mo>)</mo>`,
		Help: "the Monte-Carlo error falls like 1/√L"},
	{Name: "p", Label: "Order p", Group: "Slicing", Kind: KindChoice, Default: "2", Choices: []string{"2", "1.5", "1"},
		Math: `<msub><mi>SW</mi><mi>p</mi></msub><mo>=</mo><msup><mrow><mo>(</mo><mfrac><mn>1</mn><mi>L</mi></mfrac><munder><mo>∑</mo><mi>l</mi></munder><msubsup><mi>W</mi><mi>p</mi><mi>p</mi></msubsup><mo>(</mo><msub><mi>θ</mi><mi>l</mi></msub><mo>#</mo><mi>μ</mi><mo>,</mo><msub><mi>θ</mi><mi>l</mi></msub><mo>#</mo><mi>ν</mi><mo>)</mo><mo>)</mo></mrow><mrow><mn>1</mn><mo>/</mo><mi>p</mi></mrow></msup>`,
		Help: "the ground cost |s − t|^p of each 1-D problem: p = 1 weighs every unit of displacement alike, p = 2 weighs long moves more"},
	{Name: "max", Label: "Also find the max-sliced direction", Group: "Slicing", Advanced: true, Kind: KindChoice, Default: "no", Choices: []string{"no", "yes"},
		Math: `<msub><mi>max-SW</mi><mn>2</mn></msub><mo>=</mo><munder><mi>max</mi><mrow><mi>θ</mi><mo>∈</mo><msup><mi>S</mi><mrow><mi>d</mi><mo>−</mo><mn>1</mn></mrow></msup></mrow></munder><msub><mi>W</mi><mn>2</mn></msub><mo>(</mo><mi>θ</mi><mo>#</mo><mi>μ</mi><mo>,</mo><mi>θ</mi><mo>#</mo><mi>ν</mi><mo>)</mo>`,
		Help: "the direction along which the projections differ most (Deshpande et al. 2019): the best of 200 candidates, then gradient ascent on the sphere; drawn in red, always in W_2"},
	{Name: "sampling", Label: "Directions drawn by", Group: "Slicing", Kind: KindChoice, Default: "random", Choices: []string{"random", "qmc"}, Help: "random: θ_l i.i.d. uniform on the sphere; qmc: randomised quasi-Monte-Carlo, error nearer 1/L"},
	ComputeParam,
}

// SlicedTours are the /sliced page's presets.
var SlicedTours = []Tour{
	{Name: "Few directions, a noisy distance", Query: "L=5",
		Caption: "With five directions the sliced distance is a rough Monte-Carlo estimate: its standard error is a large part of the value. Step through the directions to see how differently the clouds project."},
	{Name: "The max-sliced direction", Query: "max=yes&x=gaussian&y=moons",
		Caption: "Beside the average over random directions, the page searches the one direction along which the two clouds differ most, and draws it in red. Its W_2 (max-SW_2) bounds every direction's, so it is at least SW_2."},
	{Name: "Many directions", Query: "L=2000",
		Caption: "With 2000 directions the standard error shrinks like 1/√L. The curve of the running estimate flattens as directions are added."},
	{Name: "Quasi-Monte-Carlo directions", Query: "L=100&sampling=qmc",
		Caption: "Spreading the directions evenly over the circle instead of drawing them at random cuts the error for the same L. Compare the running estimate's curve with the random tour's."},
	{Name: "Identical shapes", Query: "x=moons&y=moons",
		Caption: "Two samples of the same shape have a small but non-zero sliced distance: the sampling noise of finite clouds. Increase n and m to watch it shrink."},
}

func init() {
	Register(Page{
		Path:    SlicedPath,
		Title:   "Sliced OT",
		Summary: "The sliced Wasserstein distance: project on random directions, match the sorted projections, average. Browse the directions and watch the estimate converge.",
		Schema:  SlicedSchema,
		Tours:   SlicedTours,
	})
}

// MaxSlicedWork bounds L * (n + m), the projections sorted, so that the
// wasm CPU backend answers in about a second.
const MaxSlicedWork = 8 << 20

// Sliced is the typed state of /sliced.
type Sliced struct {
	X, Y     string // data sets (as /ot: X with Seed, Y with Seed + 1)
	N, M     int
	Seed     uint64  // data seed and direction seed
	L        int     // directions
	Sampling string  // random or qmc
	P        float64 // the order of SW_p
	Max      bool    // also estimate max-SW_2 (sliced.Max)
	Backend  string
}

// ParseSliced reads the typed state from a decoded /sliced state and
// checks the work bound L * (n + m) <= MaxSlicedWork.
func ParseSliced(st State) (Sliced, error) {
	s := Sliced{X: st.String("x"), Y: st.String("y"), N: st.Int("n"), M: st.Int("m"), Seed: uint64(st.Int("seed")),
		L: st.Int("L"), Sampling: st.String("sampling"), Max: st.String("max") == "yes", Backend: st.String("backend")}
	var err error
	if s.P, err = strconv.ParseFloat(st.String("p"), 64); err != nil {
		return s, fmt.Errorf("p = %q: %w", st.String("p"), err)
	}
	return s, s.check()
}

func (s Sliced) check() error {
	if w := s.L * (s.N + s.M); w > MaxSlicedWork {
		return fmt.Errorf("L*(n+m) = %d: want at most %d (fewer directions or points)", w, MaxSlicedWork)
	}
	return nil
}

// State encodes the typed state as URL state.
func (s Sliced) State() (State, error) {
	return SlicedSchema.Make(map[string]string{
		"x": s.X, "y": s.Y, "n": strconv.Itoa(s.N), "m": strconv.Itoa(s.M), "seed": strconv.FormatUint(s.Seed, 10),
		"L": strconv.Itoa(s.L), "sampling": s.Sampling, "p": FormatFloat(s.P), "max": map[bool]string{false: "no", true: "yes"}[s.Max], "backend": s.Backend,
	})
}

// Measures builds the two measures from package data, as /ot does.
func (s Sliced) Measures() (x, y sliced.Measure, err error) {
	p, err := OT{X: s.X, Y: s.Y, N: s.N, M: s.M, Seed: s.Seed}.Problem()
	if err != nil {
		return x, y, err
	}
	return sliced.Measure{Points: p.X, N: p.N, D: p.D}, sliced.Measure{Points: p.Y, N: p.M, D: p.D}, nil
}

// Settings are the sliced.Settings of the state.
func (s Sliced) Settings() sliced.Settings {
	out := sliced.Settings{Projections: s.L, Seed: s.Seed, P: s.P}
	if s.Sampling == "qmc" {
		out.Sampling = sliced.QMC
	}
	return out
}

// MaxSettings are the sliced.MaxSettings of the state: its seed and
// sampling for the candidates, the package's defaults otherwise (200
// candidates, 100 ascent steps).
func (s Sliced) MaxSettings() sliced.MaxSettings {
	return sliced.MaxSettings{Sampling: s.Settings().Sampling, Seed: s.Seed}
}

// SlicedFrame is the computed distance and the shown direction: what
// /sliced shows and publishes.
type SlicedFrame struct {
	// SW is SW_2 over L directions, StdErr the Monte-Carlo standard error
	// of SW_2^2, Running[k] the estimate after k+1 directions, Path where
	// the 1-D problems were solved (see sliced.Path).
	SW      float64   `json:"sw"`
	StdErr  float64   `json:"stdErr"`
	Running []float64 `json:"running"`
	L       int       `json:"L"`
	Path    string    `json:"path"`
	// Shown is the index of the displayed direction, ShownW2Sq its W_2^2
	// (computed on the host in float64).
	// P is the order of SW_p (SW is SW_p, Running its estimates).
	P float64 `json:"p"`
	// MaxSW and MaxDirection are sliced.Max's estimate of max-SW_2 and
	// its direction (max=yes; 0 and nil otherwise).
	MaxSW        float64            `json:"maxSW,omitempty"`
	MaxDirection []float64          `json:"maxDirection,omitempty"`
	Shown        int                `json:"shown"`
	ShownW2Sq    float64            `json:"shownW2Sq"`
	TimingsMS    map[string]float64 `json:"timingsMs"`

	// View is the shown direction (clouds, projections, 1-D plan), Curve
	// the running estimate.
	View, Curve figure.Figure `json:"-"`
	// Result, the measures and Slice (the shown direction's 1-D problem)
	// are what the export reads.
	Result sliced.Result  `json:"-"`
	X, Y   sliced.Measure `json:"-"`
	Slice  sliced.Slice   `json:"-"`
}

// Finished is always true: the distance is computed at Start; stepping
// only moves the shown direction.
func (f SlicedFrame) Finished() bool { return true }

// slicedRun is a computed distance and the shown direction.
type slicedRun struct {
	x, y  sliced.Measure
	res   sliced.Result
	dist  time.Duration
	shown int
	curve figure.Figure
	max   *sliced.MaxResult // max=yes
}

// Start computes the distance on b.
func (s Sliced) Start(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[SlicedFrame], error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	r := &slicedRun{}
	var err error
	if r.x, r.y, err = s.Measures(); err != nil {
		return nil, err
	}
	progress(Progress{Phase: fmt.Sprintf("Projecting the clouds on %d directions and sorting", s.L)})
	start := time.Now()
	if r.res, err = sliced.Distance(b, r.x, r.y, s.Settings()); err != nil {
		return nil, err
	}
	r.dist = time.Since(start)
	r.curve = slicedCurve(r.res)
	if s.Max {
		progress(Progress{Phase: "Searching the max-sliced direction"})
		m, err := sliced.Max(b, r.x, r.y, s.MaxSettings())
		if err != nil {
			return nil, fmt.Errorf("max-sliced: %w", err)
		}
		r.max = &m
	}
	return r, nil
}

// Step moves the shown direction by k (modulo L; k < 0 goes back) and
// solves its 1-D problem on the host.
func (r *slicedRun) Step(ctx context.Context, k int, playing bool) (SlicedFrame, error) {
	res := r.res
	f := SlicedFrame{SW: res.SW, P: res.P, StdErr: res.StdErr, Running: res.Running, L: res.L, Path: string(res.Path),
		TimingsMS: map[string]float64{"distance": millis(int64(r.dist))}, Curve: r.curve, Result: res, X: r.x, Y: r.y}
	L, d := res.L, res.D
	if L == 0 {
		return f, errors.New("no directions")
	}
	l := (((r.shown + k) % L) + L) % L
	sl, err := sliced.Slices(r.x, r.y, res.Directions[l*d:(l+1)*d])
	if err != nil {
		return f, err
	}
	r.shown = l
	f.Shown, f.ShownW2Sq, f.Slice = l, sl[0].W2Sq, sl[0]
	f.View = slicedView(r.x, r.y, sl[0], l)
	if r.max != nil {
		f.MaxSW, f.MaxDirection = r.max.MaxSW, r.max.Direction
		f.View.Lines = append(f.View.Lines, slicedDirectionLine(f.View, r.max.Direction, "#d62728", fmt.Sprintf("max-sliced direction: W_2 = %.4g", r.max.MaxSW)))
	}
	return f, nil
}

// Close frees nothing: the distance lives on the host.
func (r *slicedRun) Close() {}

// slicedDirectionLine is the line through the centre of the figure's
// window along the direction theta (its first two coordinates).
func slicedDirectionLine(f figure.Figure, theta []float64, color, label string) figure.LineSet {
	th := [2]float64{theta[0], 0}
	if len(theta) > 1 {
		th[1] = theta[1]
	}
	cx, cy := (f.XMin+f.XMax)/2, (f.YMin+f.YMax)/2
	half := math.Hypot(f.XMax-f.XMin, f.YMax-f.YMin) / 2
	return figure.LineSet{Segs: []float64{cx - half*th[0], cy - half*th[1], cx + half*th[0], cy + half*th[1]},
		Opacity: 0.9, Color: color, Width: 2, Dash: []float64{6, 4}, Label: label}
}

// slicedView draws both clouds, the direction as a line through the
// centre of the window, the projections as points on it, and the 1-D
// plan lifted back to the points (x_I -- y_J, opacity by mass).
func slicedView(x, y sliced.Measure, s sliced.Slice, l int) figure.Figure {
	th := [2]float64{s.Direction[0], 0}
	if len(s.Direction) > 1 {
		th[1] = s.Direction[1]
	}
	f := figure.Figure{Width: 520, Height: 440, EqualAspect: true,
		Title: fmt.Sprintf("direction %d: W2^2 of the projections = %.4g", l, s.W2Sq)}
	// Window from the clouds, then the projections placed on the line.
	f.Points = []figure.PointSet{
		{XY: FirstTwo(x.Points, x.D, MaxSlicedPoints), Label: "X", Radius: 2},
		{XY: FirstTwo(y.Points, y.D, MaxSlicedPoints), Label: "Y", Radius: 2},
	}
	xmin, xmax, ymin, ymax := f.Window()
	f.XMin, f.XMax, f.YMin, f.YMax = xmin, xmax, ymin, ymax
	cx, cy := (xmin+xmax)/2, (ymin+ymax)/2
	half := math.Hypot(xmax-xmin, ymax-ymin) / 2
	on := func(t float64) (float64, float64) { return cx + t*th[0], cy + t*th[1] }
	ax0, ay0 := on(-half)
	ax1, ay1 := on(half)
	// The centre's own projection, so points sit at their projection.
	c0 := cx*th[0] + cy*th[1]
	line := func(p []float64) []float64 {
		out := make([]float64, 0, 2*len(p))
		for _, v := range p {
			px, py := on(v - c0)
			out = append(out, px, py)
		}
		return out
	}
	var segs, alpha []float64
	top := 0.0
	for _, m := range s.Plan {
		top = math.Max(top, m.Mass)
	}
	for _, m := range s.Plan {
		segs = append(segs, x.Points[m.I*x.D], secondCoord(x, m.I), y.Points[m.J*y.D], secondCoord(y, m.J))
		alpha = append(alpha, 0.6*m.Mass/top)
	}
	f.Lines = []figure.LineSet{
		{Segs: segs, Alpha: alpha, Color: "#555555"},
		{Segs: []float64{ax0, ay0, ax1, ay1}, Opacity: 0.9, Color: "#2ca02c", Width: 2},
	}
	f.Points = append(f.Points,
		figure.PointSet{XY: line(s.ProjX), Color: "#1f77b4", Radius: 1.5},
		figure.PointSet{XY: line(s.ProjY), Color: "#ff7f0e", Radius: 1.5})
	return f
}

func secondCoord(m sliced.Measure, i int) float64 {
	if m.D < 2 {
		return 0
	}
	return m.Points[i*m.D+1]
}

// slicedCurve is the running estimate of SW_p against the number of
// directions.
func slicedCurve(r sliced.Result) figure.Figure {
	sw := "SW_" + FormatFloat(r.P)
	xy := make([]float64, 0, 2*len(r.Running))
	for k, v := range r.Running {
		xy = append(xy, float64(k+1), v)
	}
	return figure.Figure{Width: 520, Height: 220, Title: sw + " estimate after k directions", XLabel: "directions k", YLabel: sw,
		Curves: []figure.Curve{{XY: xy, Label: "running " + sw, Color: "#9467bd"}}}
}

// SlicedExport is the JSON export of /sliced: the distance, every
// direction and its W_2^2, and the shown direction's 1-D problem.
type SlicedExport struct {
	Page   string  `json:"page"`
	Query  string  `json:"query"` // the URL state: reload it with /sliced?<query>
	SW     float64 `json:"sw"`
	StdErr float64 `json:"stdErr"`
	L      int     `json:"L"`
	Path   string  `json:"path"`
	// Running[k] is the estimate after k+1 directions, PerDirection[l]
	// the W_2^2 of direction l (sliced.Result).
	Running      []float64         `json:"running"`
	PerDirection []float64         `json:"perDirection"`
	Directions   [][]float64       `json:"directions"`
	X            [][]float64       `json:"x"`
	Y            [][]float64       `json:"y"`
	Shown        SlicedExportSlice `json:"shown"`
}

// SlicedExportSlice is one direction's 1-D problem: the projections of
// both clouds and the monotone plan (mass Mass[t] from x_I[t] to y_J[t]).
type SlicedExportSlice struct {
	Index     int       `json:"index"`
	Direction []float64 `json:"direction"`
	W2Sq      float64   `json:"w2sq"`
	ProjX     []float64 `json:"projX"`
	ProjY     []float64 `json:"projY"`
	I         []int     `json:"i"`
	J         []int     `json:"j"`
	Mass      []float64 `json:"mass"`
}

// Export is the JSON export of the frame; query is the page's URL state.
func (f SlicedFrame) Export(query string) (SlicedExport, error) {
	res, s := f.Result, f.Slice
	if res.L == 0 {
		return SlicedExport{}, errors.New("nothing computed yet")
	}
	e := SlicedExport{
		Page: SlicedPath, Query: query, SW: res.SW, StdErr: res.StdErr, L: res.L, Path: string(res.Path),
		Running: res.Running, PerDirection: res.PerDirection, Directions: PointRows(res.Directions, res.L, res.D),
		X: PointRows(f.X.Points, f.X.N, f.X.D), Y: PointRows(f.Y.Points, f.Y.N, f.Y.D),
		Shown: SlicedExportSlice{Index: f.Shown, Direction: s.Direction, W2Sq: s.W2Sq, ProjX: s.ProjX, ProjY: s.ProjY},
	}
	for _, m := range s.Plan {
		e.Shown.I, e.Shown.J, e.Shown.Mass = append(e.Shown.I, m.I), append(e.Shown.J, m.J), append(e.Shown.Mass, m.Mass)
	}
	return e, nil
}
