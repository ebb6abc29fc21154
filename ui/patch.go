package ui

//go:generate go run patch_photos_gen.go

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/otplay/otplay/compute"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/patch"
)

// PatchPath is the route of the image page (colour transfer and patch OT).
const PatchPath = "/patch"

// Limits of /patch: images are resized to at most MaxPatchWidth pixels
// wide before any transport (the built-in photographs ship at 320 x 213);
// uploads larger than MaxUploadBytes are refused before they are read,
// and imageio refuses images over 16 Mpixel before decoding them.
const (
	MaxPatchWidth  = 320
	MaxUploadBytes = 16 << 20
)

// patchImages are the image choices: the two photographs of the shared
// data folder (CC BY 2.0, scikit-learn's sample images) or an upload.
var patchImages = []string{"china", "flower", "upload"}

// PatchSchema is the URL state of /patch. Defaults: china.jpg onto
// flower.jpg at 160 pixels wide, colour transfer by entropic OT in RGB
// with the package's defaults (eps 5e-3 on a 16^3 histogram), balanced.
var PatchSchema = Schema{
	{Name: "src", Label: "Source image", Group: "Images", Kind: KindChoice, Default: "china", Choices: patchImages, Help: "source image (its layout is kept); upload: a PNG or JPEG of yours (not stored in the URL)"},
	{Name: "tgt", Label: "Target image (colours from)", Group: "Images", Kind: KindChoice, Default: "flower", Choices: patchImages, Help: "target image (its colours or patches are transported onto the source)"},
	{Name: "width", Label: "Working width (pixels)", Group: "Images", Slider: true, Kind: KindInt, Default: "160", Min: 16, Max: MaxPatchWidth, Help: "working width in pixels: both images are resized to it (area-correct), heights keep the aspect"},
	{Name: "mode", Label: "Transport", Group: "Transport", Kind: KindChoice, Default: "color", Choices: []string{"color", "patch"},
		Help: "color: pixels are points of R³, mapped by T(x) = Σ_j P_ij y_j / a_i; patch: k×k patches are points of R^(3k²), mapped the same way and folded back (overlaps averaged)"},
	{Name: "method", Label: "Method", Group: "Transport", Kind: KindChoice, Default: "entropic", Choices: []string{"entropic", "sliced", "exact"},
		Help: "color: entropic (Sinkhorn on a 16³ colour histogram + entropic map), sliced (Pitié et al. 2007: random rotations, 1-D sorting), exact (assignment on a subsample, kernel-extended)"},
	{Name: "space", Label: "Colour space", Group: "Transport", ShownWhen: "mode=color", Kind: KindChoice, Default: "rgb", Choices: []string{"rgb", "lab"}, Help: "color: transport in sRGB [0,1]³ or CIE L*a*b* / 100"},
	{Name: "eps", Label: "Blur ε (0: automatic)", Group: "Transport", Advanced: true, Kind: KindFloat, Default: "0", Min: 0, Max: 100, Help: "entropic ε of min <P,C> + ε KL(P|a⊗b), C = |x-y|²; 0 = the method's default (color 5e-3; patch 3% of 2 tr Cov of the target patches)"},
	{Name: "mass", Label: "Transported mass", Group: "Transport", ShownWhen: "method=entropic", Slider: true, SliderMin: 0.05, SliderMax: 1, Kind: KindFloat, Default: "1", Min: 0, MinOpen: true, Max: 1, Help: "transported mass m (partial OT, entropic only): x ↦ x + ρ(x)(T(x) - x); 1 = balanced"},
	{Name: "size", Label: "Patch side k", Group: "Patches", ShownWhen: "mode=patch", Slider: true, Kind: KindInt, Default: "8", Min: 1, Max: patch.MaxSize, Help: "patch: patch side k (k×k×3 values per patch)"},
	{Name: "stride", Label: "Patch stride s", Group: "Patches", ShownWhen: "mode=patch", Slider: true, Kind: KindInt, Default: "4", Min: 1, Max: patch.MaxSize, Help: "patch: step s ≤ k between patch origins"},
	{Name: "levels", Label: "Scales", Group: "Patches", ShownWhen: "mode=patch", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 6, Help: "patch: scales, coarse to fine, each half the next (0 = automatic)"},
	{Name: "seed", Label: "Random seed", Group: "Transport", Advanced: true, Kind: KindInt, Default: "0", Min: 0, Max: 1 << 53, Help: "seed of the subsamples and rotations (Philox)"},
	computeParam,
}

// PatchTours are the /patch page's presets.
var PatchTours = []Tour{
	{Name: "Colour transfer by entropic OT", Query: "mode=color&method=entropic",
		Caption: "Each pixel of the source takes the colour the transport plan sends it to in the flower's palette. The layout is the source's; the colours are the target's."},
	{Name: "Sliced colour transfer", Query: "mode=color&method=sliced",
		Caption: "Pitié's method matches colours one random direction at a time by sorting. It is fast and close to the entropic result."},
	{Name: "Half the colour", Query: "mode=color&method=entropic&mass=0.5",
		Caption: "Partial transport moves only half of the mass: pixels with no cheap partner in the target keep their colour. The image changes less where the palettes differ most."},
	{Name: "Patches, not pixels", Query: "mode=patch&size=8&stride=4&width=96",
		Caption: "Transporting 8×8 patches carries texture as well as colour, at a working width of 96 pixels to keep it quick. Overlapping patches are averaged back into the image."},
}

func init() {
	Register(Page{
		Path:    PatchPath,
		Title:   "Images",
		Summary: "Colour transfer by optimal transport (entropic, sliced, exact on a subsample) and patch OT between two photographs or your own images; the result beside the inputs.",
		Schema:  PatchSchema,
		Tours:   PatchTours,
		New:     func() app.Composer { return &PatchPage{} },
	})
}

// patchUploads holds the images the user uploaded, by role ("src",
// "tgt"), at full size. They live in the page's memory only.
var patchUploads struct {
	sync.Mutex
	imgs  map[string]*imageio.Image
	names map[string]string
}

// SetPatchUpload decodes an uploaded file (PNG or JPEG, at most
// MaxUploadBytes and imageio's pixel cap) and keeps it as the image of
// role "src" or "tgt". Bad files return imageio's error (ErrFormat,
// ErrTooLarge, ErrEmpty) with the file's name.
func SetPatchUpload(role, name string, file []byte) error {
	if role != "src" && role != "tgt" {
		return fmt.Errorf("upload role %q: want src or tgt", role)
	}
	if len(file) > MaxUploadBytes {
		return fmt.Errorf("%s is %.1f MB: the limit is %d MB", name, float64(len(file))/(1<<20), MaxUploadBytes>>20)
	}
	img, _, err := imageio.Decode(bytes.NewReader(file))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	patchUploads.Lock()
	defer patchUploads.Unlock()
	if patchUploads.imgs == nil {
		patchUploads.imgs, patchUploads.names = map[string]*imageio.Image{}, map[string]string{}
	}
	patchUploads.imgs[role], patchUploads.names[role] = img, name
	return nil
}

var photoCache struct {
	sync.Mutex
	imgs map[string]*imageio.Image
}

// PatchImage returns image choice name ("china", "flower", or "upload"
// with role "src" or "tgt") resized to width pixels (never enlarged; the
// height keeps the aspect ratio, at least 1).
func PatchImage(name, role string, width int) (*imageio.Image, error) {
	var img *imageio.Image
	switch name {
	case "china", "flower":
		photoCache.Lock()
		img = photoCache.imgs[name]
		if img == nil {
			text := photoChina
			if name == "flower" {
				text = photoFlower
			}
			raw, err := base64.StdEncoding.DecodeString(text)
			if err == nil {
				img, _, err = imageio.Decode(bytes.NewReader(raw))
			}
			if err != nil {
				photoCache.Unlock()
				return nil, fmt.Errorf("built-in photograph %s: %w", name, err)
			}
			if photoCache.imgs == nil {
				photoCache.imgs = map[string]*imageio.Image{}
			}
			photoCache.imgs[name] = img
		}
		photoCache.Unlock()
	case "upload":
		patchUploads.Lock()
		img = patchUploads.imgs[role]
		patchUploads.Unlock()
		if img == nil {
			return nil, fmt.Errorf("%s = upload: choose a PNG or JPEG file first (uploads are not part of the URL)", role)
		}
	default:
		return nil, fmt.Errorf("%s = %q: want one of %s", role, name, strings.Join(patchImages, ", "))
	}
	if width >= img.Width {
		return img, nil
	}
	h := max(1, int(math.Round(float64(img.Height)*float64(width)/float64(img.Width))))
	return imageio.Resize(img, width, h)
}

// PatchColorSettings are the colour-transfer settings of a state (zero
// fields: the package's documented defaults).
func PatchColorSettings(st State) patch.ColorSettings {
	s := patch.ColorSettings{Method: patch.Method(st.String("method")), Space: imageio.Space(st.String("space")),
		Eps: st.Float("eps"), Seed: uint64(st.Int("seed"))}
	if m := st.Float("mass"); m < 1 {
		s.Mass = m
	}
	return s
}

// PatchSettings are the patch-transport settings of a state.
func PatchSettings(st State) patch.Settings {
	s := patch.Settings{Size: st.Int("size"), Stride: st.Int("stride"), Eps: st.Float("eps"), Levels: st.Int("levels"), Seed: uint64(st.Int("seed"))}
	if m := st.Float("mass"); m < 1 {
		s.Mass = m
	}
	return s
}

// PatchResult is what /patch publishes as window.otplayResult.
type PatchResult struct {
	Page    string        `json:"page"`
	Done    bool          `json:"done"`
	Error   string        `json:"error,omitempty"`
	Backend BackendStatus `json:"backend"`
	State   string        `json:"state"`
	Mode    string        `json:"mode"`
	// Source, Target and Output sizes as [width, height].
	Source, Target, Output [2]int
	// The solver's report: Cost (colour: see patch.ColorResult.Cost;
	// patch: <P, C> of the finest level), the entropic solver's
	// iterations, convergence and marginal error (colour), the point
	// counts, and the levels of a patch transfer.
	Cost          float64              `json:"cost"`
	Iterations    int                  `json:"iterations"`
	Converged     bool                 `json:"converged"`
	MarginalError float64              `json:"marginalError"`
	Points        [2]int               `json:"points"`
	Levels        []patch.LevelResult  `json:"levels,omitempty"`
	Mean          [3]float64           `json:"mean"`   // the output's mean RGB
	Sample        []float64            `json:"sample"` // RGB of every PatchSampleStride-th output pixel
	TimingsMS     map[string]float64   `json:"timingsMs"`
	images        map[string]string    // data URLs of the PNGs: src, tgt, out
	colors        Figure               // colour clouds
	pixels        map[string][]float64 // src, out: sampled pixels for the CSV
}

// PatchSampleStride is the pixel stride of PatchResult.Sample.
const PatchSampleStride = 97

// RunPatch computes the state's transfer on its backend. It blocks; in
// the browser call it from a goroutine.
func RunPatch(st State) PatchResult {
	computeMu.Lock()
	status := OpenBackend(st.String("backend"))
	computeMu.Unlock()
	return runPatchOn(status, st)
}

func runPatchOn(status BackendStatus, st State) PatchResult {
	computeMu.Lock()
	defer computeMu.Unlock()
	r := PatchResult{Page: PatchPath, Done: true, Backend: status, State: st.Encode(), Mode: st.String("mode"),
		TimingsMS: map[string]float64{"open": float64(status.Open) / 1e6}}
	start := time.Now()
	src, err := PatchImage(st.String("src"), "src", st.Int("width"))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	tgt, err := PatchImage(st.String("tgt"), "tgt", st.Int("width"))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Source, r.Target = [2]int{src.Width, src.Height}, [2]int{tgt.Width, tgt.Height}
	r.TimingsMS["images"] = float64(time.Since(start)) / 1e6
	start = time.Now()
	var out *imageio.Image
	if r.Mode == "patch" {
		var res *patch.Result
		out, res, err = patch.Transfer(status.Backend, src, tgt, PatchSettings(st))
		if err == nil {
			r.Cost, r.Levels, r.Points = res.Cost, res.Levels, [2]int{res.SourcePatches, res.TargetPatches}
			if n := len(res.Levels); n > 0 {
				l := res.Levels[n-1]
				r.Iterations, r.Converged, r.MarginalError = l.Iterations, l.Converged, l.MarginalError
			}
		}
	} else {
		var res *patch.ColorResult
		out, res, err = patch.TransferColor(status.Backend, src, tgt, PatchColorSettings(st))
		if err == nil {
			r.Cost, r.Iterations, r.Converged, r.MarginalError = res.Cost, res.Iterations, res.Converged, res.MarginalError
			r.Points = [2]int{res.SourcePoints, res.TargetPoints}
		}
	}
	if err != nil {
		r.Error = status.Kind + " backend: " + err.Error()
		return r
	}
	r.TimingsMS["transport"] = float64(time.Since(start)) / 1e6
	r.Output = [2]int{out.Width, out.Height}
	np := out.Width * out.Height
	for i := 0; i < np; i++ {
		for c := 0; c < 3; c++ {
			r.Mean[c] += out.Pix[3*i+c] / float64(np)
		}
	}
	for i := 0; i < np; i += PatchSampleStride {
		r.Sample = append(r.Sample, out.Pix[3*i:3*i+3]...)
	}
	r.images = map[string]string{}
	for k, img := range map[string]*imageio.Image{"src": src, "tgt": tgt, "out": out} {
		var buf bytes.Buffer
		if err := imageio.EncodePNG(&buf, img); err != nil {
			r.Error = err.Error()
			return r
		}
		r.images[k] = "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	r.colors, r.pixels = patchColorFigure(src, tgt, out)
	return r
}

// patchColorFigure draws the colours of the three images in the CIE
// chroma plane (a*, b*), 800 pixels of each at a fixed stride: the clouds
// colour transfer moves.
func patchColorFigure(src, tgt, out *imageio.Image) (Figure, map[string][]float64) {
	f := Figure{Width: 420, Height: 360, Title: "pixel colours in the chroma plane (a*, b*)", EqualAspect: true}
	pixels := map[string][]float64{}
	sample := func(img *imageio.Image) (ab, rgb []float64) {
		np := img.Width * img.Height
		step := max(1, np/800)
		for i := 0; i < np; i += step {
			c := [3]float64{img.Pix[3*i], img.Pix[3*i+1], img.Pix[3*i+2]}
			lab := imageio.RGBToLab(c)
			ab = append(ab, lab[1], lab[2])
			rgb = append(rgb, c[:]...)
		}
		return ab, rgb
	}
	for _, l := range []struct {
		key, label, color string
		img               *imageio.Image
	}{{"src", "source", "#1f77b4", src}, {"tgt", "target", "#ff7f0e", tgt}, {"out", "result", "#2ca02c", out}} {
		ab, rgb := sample(l.img)
		pixels[l.key] = rgb
		f.Points = append(f.Points, PointSet{XY: ab, Color: l.color, Radius: 1.5, Label: l.label})
	}
	return f, pixels
}

// PatchPage is the /patch page: colour transfer (patch.TransferColor:
// entropic OT on a colour histogram with its entropic map, sliced
// iterative distribution transfer, or an exact assignment on a subsample)
// or patch OT (patch.Transfer) from a source image onto a target, both
// resized to the working width. The inputs are the two photographs of the
// shared data folder (embedded at 320 x 213, see patch_photos_gen.go) or
// uploads (PNG or JPEG, at most MaxUploadBytes, decoded by imageio with
// its pixel cap; refused files are named in a message; uploads stay in
// memory and are not part of the URL). The result is shown beside the
// inputs with the colour clouds in the (a*, b*) plane; the computation
// runs in ctx.Async behind a progress indicator. URL parameters: see
// PatchSchema; the published result is PatchResult.
type PatchPage struct {
	app.Compo

	stopLost func() // ends the device-loss subscription (OnMount)

	path      string
	embed     bool
	state     State
	stateErr  string
	uploadErr string
	form      *paramForm
	result    *PatchResult
	gen       int
	started   time.Time
}

// OnNav reads the state and computes the transfer.
func (p *PatchPage) OnNav(ctx app.Context) {
	u := ctx.Page().URL()
	p.path, p.embed = u.Path, IsEmbed(u)
	ctx.Page().SetTitle("Images · otplay")
	st, err := PatchSchema.Decode(u.Query())
	p.state, p.stateErr = st, ""
	if err != nil {
		p.stateErr = err.Error()
	}
	if p.form == nil {
		p.form = newParamForm(PatchSchema, st)
	}
	p.form.load(st)
	p.compute(ctx)
}

func (p *PatchPage) compute(ctx app.Context) {
	p.result = nil
	p.gen++
	if !app.IsClient {
		return
	}
	gen, st := p.gen, p.state
	p.started = time.Now()
	ctx.Async(func() {
		// Give the browser a turn to paint the progress indicator first
		// (the CPU backend then computes without yielding).
		time.Sleep(20 * time.Millisecond)
		r := RunPatch(st)
		ctx.Dispatch(func(ctx app.Context) {
			if p.gen != gen {
				return
			}
			p.result = &r
			ctx.Defer(func(app.Context) { publishResult(PatchPath, r) })
		})
	})
}

func (p *PatchPage) onApply(ctx app.Context, e app.Event) {
	st, err := p.form.state(p.state)
	if err != nil {
		p.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(p.path, st))
}

// onUpload reads the chosen file in the background, decodes it and
// recomputes with it (setting src or tgt to upload); bad files are
// refused with a message.
func (p *PatchPage) onUpload(role string) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		p.uploadErr = ""
		ctx.Async(func() {
			file, name, err := readUploadedFile("upload-"+role, MaxUploadBytes)
			if err == nil {
				err = SetPatchUpload(role, name, file)
			}
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					p.uploadErr = "Upload refused: " + err.Error()
					return
				}
				st, _ := p.state.With(role, "upload")
				if st.Encode() == p.state.Encode() {
					p.compute(ctx) // same URL, new file
					return
				}
				ctx.Navigate(PageURL(p.path, st))
			})
		})
	}
}

// Render shows the form, the upload fields, the three images and the
// colour clouds.
func (p *PatchPage) Render() app.UI {
	if p.state.Schema() == nil {
		p.state = PatchSchema.Defaults()
	}
	if p.form == nil {
		p.form = newParamForm(PatchSchema, p.state)
	}
	l := Layout{Path: PatchPath, Title: "Images: colour transfer and patch OT", Embed: p.embed}
	r := p.result
	var colors Figure
	var stats app.UI
	img := func(id, caption, key string) app.UI {
		src := ""
		if r != nil && r.images != nil {
			src = r.images[key]
		}
		return app.Figure().Style("margin", "4px").Body(
			// Shown at least 240 pixels wide (the working width may be 16).
			app.If(src != "", func() app.UI { return app.Img().ID(id).Src(src).Alt(caption).Style("min-width", "240px") }),
			app.If(src == "", func() app.UI {
				return app.Div().ID(id+"-pending").Style("width", "160px").Style("height", "100px").Style("background", "#eee")
			}),
			app.FigCaption().Text(caption),
		)
	}
	switch {
	case r == nil:
		stats = app.Div().ID("patch-stats").DataSet("status", "running").Class("otplay-result").Body(
			app.Text("Transporting ... "), app.Progress().ID("patch-progress"))
	case r.Error != "":
		l.Status = &r.Backend
		stats = app.Div().ID("patch-stats").DataSet("status", "error").Class("otplay-result otplay-error").Text("Failed: " + r.Error)
	default:
		l.Status = &r.Backend
		l.Timings = []Timing{{"images", ms(r.TimingsMS["images"])}, {"transport", ms(r.TimingsMS["transport"])}}
		colors = r.colors
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
		rows := []app.UI{
			resultRow("images", fmt.Sprintf("%d x %d onto %d x %d", r.Source[0], r.Source[1], r.Target[0], r.Target[1])),
			resultRow("transport cost", g(r.Cost)),
			resultRow("points (source, target)", fmt.Sprintf("%d, %d", r.Points[0], r.Points[1])),
			resultRow("solver iterations", strconv.Itoa(r.Iterations)+map[bool]string{true: " (converged)", false: ""}[r.Converged]),
			resultRow("marginal error", g(r.MarginalError)),
			resultRow("result mean RGB", fmt.Sprintf("%.4f, %.4f, %.4f", r.Mean[0], r.Mean[1], r.Mean[2])),
		}
		for i, lv := range r.Levels {
			rows = append(rows, resultRow(fmt.Sprintf("level %d", i), fmt.Sprintf("%d x %d, %d patches -> %d, dim %d (%.3f of the variance), eps %.4g, cost %.4g, %d iterations",
				lv.Width, lv.Height, lv.SourcePatches, lv.TargetPatches, lv.Dim, lv.Explained, lv.Eps, lv.Cost, lv.Iterations)))
		}
		stats = app.Div().ID("patch-stats").Class("otplay-result").DataSet("status", "done").Body(app.Table().Body(rows...))
	}
	uploadNote := fmt.Sprintf("or upload a PNG or JPEG (at most %d MB and 16 Mpixel; resized to the working width) ", MaxUploadBytes>>20)
	if !p.embed {
		l.Panel = p.form.render(p.onApply, map[string]app.UI{
			"src": app.Label().Body(app.Small().Text(uploadNote), app.Input().ID("upload-src").Type("file").Accept("image/png,image/jpeg").OnChange(p.onUpload("src"))),
			"tgt": app.Label().Body(app.Small().Text("or upload one "), app.Input().ID("upload-tgt").Type("file").Accept("image/png,image/jpeg").OnChange(p.onUpload("tgt"))),
		})
	}
	l.Query, l.StateError = p.state.Encode(), p.stateErr
	if r == nil && p.stateErr == "" {
		l.Progress = &Progress{Phase: "Loading the images and transporting " + p.state.String("mode") + "s (" + p.state.String("method") + ")"}
	}
	return l.Render(
		app.If(p.uploadErr != "", func() app.UI { return app.P().ID("upload-error").Class("otplay-error").Text(p.uploadErr) }),
		app.Div().Class("otplay-hero").Body(
			app.Div().Class("otplay-main-view otplay-view otplay-images").DataSet("view", "patch-images").Body(
				img("patch-src", "source", "src"),
				img("patch-tgt", "target", "tgt"),
				img("patch-out", "result", "out"),
			),
			app.Div().Class("otplay-side").Body(stats),
		),
		app.Div().Class("otplay-views").Body(
			viewBox("patch-colors", &Plot{ID: "patch-colors", Figure: colors}),
		),
		app.If(!p.embed && r != nil && r.Error == "", func() app.UI {
			return app.Div().Class("otplay-controls").Body(
				app.Button().ID("export-out").Text("PNG: result").OnClick(func(ctx app.Context, e app.Event) {
					saveDataURL("patch-result.png", r.images["out"])
				}),
				exportButtons("patch", []string{"patch-colors"}, p.colorsCSV, p.resultJSON),
			)
		}),
	)
}

// colorsCSV lists the sampled source colours and their transported
// colours (the same pixels of the result).
func (p *PatchPage) colorsCSV() string {
	r := p.result
	if r == nil || r.pixels == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("r,g,b,r_out,g_out,b_out\n")
	src, out := r.pixels["src"], r.pixels["out"]
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for i := 0; i+2 < len(src) && i+2 < len(out); i += 3 {
		b.WriteString(strings.Join([]string{f(src[i]), f(src[i+1]), f(src[i+2]), f(out[i]), f(out[i+1]), f(out[i+2])}, ",") + "\n")
	}
	return b.String()
}

func (p *PatchPage) resultJSON() string {
	if p.result == nil {
		return "{}"
	}
	v, _ := json.MarshalIndent(p.result, "", " ")
	return string(v)
}

// OnDismount ends the device-loss subscription.
func (p *PatchPage) OnDismount() {
	if p.stopLost != nil {
		p.stopLost()
	}
}

// OnMount subscribes to device losses: when the GPU device behind the
// page's run is lost, the run starts again on the CPU.
func (p *PatchPage) OnMount(ctx app.Context) {
	p.stopLost = restartOnLoss(ctx, func() compute.Backend {
		if p.result == nil {
			return nil
		}
		return p.result.Backend.Backend
	}, p.compute)
}
