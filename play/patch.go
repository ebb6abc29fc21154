package play

//go:generate go run patch_photos_gen.go

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/patch"
	"github.com/otplay/otplay/solvers/preset"
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
// flower.jpg at the balanced preset's width (160 pixels where the
// storage binding holds it: any WebGPU adapter), colour transfer by entropic OT in RGB
// with the package's defaults (eps 5e-3 on a 16^3 histogram), balanced.
var PatchSchema = Schema{
	{Name: "src", Label: "Source image", Group: "Images", Kind: KindChoice, Default: "china", Choices: patchImages, Help: "source image (its layout is kept); upload: a PNG or JPEG of yours (not stored in the URL)"},
	{Name: "tgt", Label: "Target image (colours from)", Group: "Images", Kind: KindChoice, Default: "flower", Choices: patchImages, Help: "target image (its colours or patches are transported onto the source)"},
	{Name: "width", Label: "Working width (pixels; 0: the preset's)", Group: "Images", Slider: true, Kind: KindInt, Default: "0", Min: 0, Max: MaxPatchWidth, Help: "working width in pixels (0, or 16 to 320): both images are resized to it (area-correct), heights keep the aspect; 0: the preset's, the largest width whose patch buffers fit this backend's storage binding, capped at the preset's level"},
	presetParam("Images", "balanced", []string{"draft", "balanced", "ultra"}, false,
		"sets the working width where it is 0, as otplay patch --preset: the largest whose largest buffer (the patch index: patches x 3k² values, float32) fits one storage binding of this backend, capped at draft 96, balanced 160, ultra 320 pixels (a CPU backend: the cap). The read-out says what it chose and why"),
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
	ComputeParam,
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
		About: `Colour transfer and patch OT between two photographs or your uploads, with otplay patch's solvers: colours by entropic OT on a 16³ histogram and the entropic map (partial below mass 1), by Pitié et al.'s sliced transfer, or by exact OT on a subsample extended by kernel regression; patches (k x k, stride s) by entropic OT coarse to fine, folded back with overlaps averaged.

The working width defaults to the preset's (draft 96, balanced 160, ultra 320 pixels): the largest width whose patch index (patches x 3k² values in float32) fits this backend's storage binding, capped at that level, as otplay patch --preset. With 16 x 16 patches at stride 1 the 128 MiB binding of lavapipe holds 162 pixels of ultra's 320.`,
		Schema: PatchSchema,
		Tours:  PatchTours,
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
	return imageio.ShrinkToWidth(img, width)
}

// Patch is the typed state of /patch.
type Patch struct {
	Src, Tgt string // image choices (china, flower or upload)
	Width    int    // working width (0: the preset's resolution)
	Preset   string // draft, balanced or ultra: the resolution where Width is 0
	Mode     string // color or patch
	Method   string // entropic, sliced or exact
	Space    string // rgb or lab
	Eps      float64
	Mass     float64 // transported mass, 1: balanced
	Size     int     // patch side
	Stride   int     // patch stride
	Levels   int     // scales (0: automatic)
	Seed     uint64
	Backend  string
}

// ParsePatch reads the typed state from a decoded /patch state.
func ParsePatch(st State) (Patch, error) {
	p := Patch{Src: st.String("src"), Tgt: st.String("tgt"), Width: st.Int("width"), Preset: st.String("preset"), Mode: st.String("mode"),
		Method: st.String("method"), Space: st.String("space"), Eps: st.Float("eps"), Mass: st.Float("mass"),
		Size: st.Int("size"), Stride: st.Int("stride"), Levels: st.Int("levels"), Seed: uint64(st.Int("seed")),
		Backend: st.String("backend")}
	if p.Width != 0 && p.Width < preset.MinWidth {
		return p, fmt.Errorf("width = %d: want 0 (the preset's) or %d to %d pixels", p.Width, preset.MinWidth, MaxPatchWidth)
	}
	return p, nil
}

// State encodes the typed state as URL state.
func (p Patch) State() (State, error) {
	return PatchSchema.Make(map[string]string{
		"src": p.Src, "tgt": p.Tgt, "width": strconv.Itoa(p.Width), "preset": choiceOr(p.Preset, "balanced"), "mode": p.Mode, "method": p.Method, "space": p.Space,
		"eps": FormatFloat(p.Eps), "mass": FormatFloat(p.Mass), "size": strconv.Itoa(p.Size), "stride": strconv.Itoa(p.Stride),
		"levels": strconv.Itoa(p.Levels), "seed": strconv.FormatUint(p.Seed, 10), "backend": p.Backend,
	})
}

// resolve returns the working width: Width, or where it is 0 the
// preset's resolution on backend b for the page's patch side and stride
// (preset.Resolution), with what the preset set and why.
func (p Patch) resolve(b compute.Backend) (int, *PresetReadout, error) {
	if p.Width != 0 {
		return p.Width, nil, nil
	}
	return imageResolution(choiceOr(p.Preset, "balanced"), b, p.Size, p.Stride, func(r preset.ImageResolution) (int, string, string) {
		return r.Width, "width", r.WidthWhy
	})
}

// ColorSettings are the colour-transfer settings (zero fields: the
// package's documented defaults; Mass 1 is balanced: 0).
func (p Patch) ColorSettings() patch.ColorSettings {
	s := patch.ColorSettings{Method: patch.Method(p.Method), Space: imageio.Space(p.Space), Eps: p.Eps, Seed: p.Seed}
	if p.Mass < 1 {
		s.Mass = p.Mass
	}
	return s
}

// Settings are the patch-transport settings.
func (p Patch) Settings() patch.Settings {
	s := patch.Settings{Size: p.Size, Stride: p.Stride, Eps: p.Eps, Levels: p.Levels, Seed: p.Seed}
	if p.Mass < 1 {
		s.Mass = p.Mass
	}
	return s
}

// PatchFrame is the transfer's result: what /patch shows and publishes.
type PatchFrame struct {
	State string `json:"state"` // the URL state computed
	Mode  string `json:"mode"`
	// Source, Target and Output sizes as [width, height].
	Source, Target, Output [2]int
	// Width is the working width used; Preset says how the preset chose
	// it (nil where the state set it).
	Width  int            `json:"width"`
	Preset *PresetReadout `json:"preset,omitempty"`
	// The solver's report: Cost (colour: see patch.ColorResult.Cost;
	// patch: <P, C> of the finest level), the entropic solver's
	// iterations, convergence and marginal error (colour), the point
	// counts, and the levels of a patch transfer.
	Cost          float64             `json:"cost"`
	Iterations    int                 `json:"iterations"`
	Converged     bool                `json:"converged"`
	MarginalError float64             `json:"marginalError"`
	Points        [2]int              `json:"points"`
	Levels        []patch.LevelResult `json:"levels,omitempty"`
	Mean          [3]float64          `json:"mean"`   // the output's mean RGB
	Sample        []float64           `json:"sample"` // RGB of every PatchSampleStride-th output pixel
	TimingsMS     map[string]float64  `json:"timingsMs"`

	// Images are data URLs of the PNGs by key: src, tgt, out.
	Images map[string]string `json:"-"`
	// Colors are the three images' colours in the chroma plane.
	Colors figure.Figure `json:"-"`
	// Pixels are the sampled pixels of src and out (for the CSV).
	Pixels map[string][]float64 `json:"-"`
}

// Finished is always true: the transfer is computed at Start.
func (f PatchFrame) Finished() bool { return true }

// PatchSampleStride is the pixel stride of PatchFrame.Sample.
const PatchSampleStride = 97

// patchRun holds the computed transfer.
type patchRun struct{ f PatchFrame }

func (r *patchRun) Step(ctx context.Context, k int, playing bool) (PatchFrame, error) {
	return r.f, nil
}
func (r *patchRun) Close() {}

// Start computes the transfer on b: the images at the working width, then
// patch.TransferColor or patch.Transfer, then the views.
func (p Patch) Start(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[PatchFrame], error) {
	st, err := p.State()
	if err != nil {
		return nil, err
	}
	r := PatchFrame{State: st.Encode(), Mode: p.Mode, TimingsMS: map[string]float64{}}
	progress(Progress{Phase: "Loading the images"})
	start := time.Now()
	r.Width, r.Preset, err = p.resolve(b)
	if err != nil {
		return nil, err
	}
	src, err := PatchImage(p.Src, "src", r.Width)
	if err != nil {
		return nil, err
	}
	tgt, err := PatchImage(p.Tgt, "tgt", r.Width)
	if err != nil {
		return nil, err
	}
	r.Source, r.Target = [2]int{src.Width, src.Height}, [2]int{tgt.Width, tgt.Height}
	r.TimingsMS["images"] = millis(int64(time.Since(start)))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	progress(Progress{Phase: "Transporting " + p.Mode + "s (" + p.Method + ")"})
	start = time.Now()
	var out *imageio.Image
	if p.Mode == "patch" {
		var res *patch.Result
		out, res, err = patch.Transfer(b, src, tgt, p.Settings())
		if err == nil {
			r.Cost, r.Levels, r.Points = res.Cost, res.Levels, [2]int{res.SourcePatches, res.TargetPatches}
			if n := len(res.Levels); n > 0 {
				l := res.Levels[n-1]
				r.Iterations, r.Converged, r.MarginalError = l.Iterations, l.Converged, l.MarginalError
			}
		}
	} else {
		var res *patch.ColorResult
		out, res, err = patch.TransferColor(b, src, tgt, p.ColorSettings())
		if err == nil {
			r.Cost, r.Iterations, r.Converged, r.MarginalError = res.Cost, res.Iterations, res.Converged, res.MarginalError
			r.Points = [2]int{res.SourcePoints, res.TargetPoints}
		}
	}
	if err != nil {
		return nil, err
	}
	r.TimingsMS["transport"] = millis(int64(time.Since(start)))
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
	r.Images = map[string]string{}
	for k, img := range map[string]*imageio.Image{"src": src, "tgt": tgt, "out": out} {
		var buf bytes.Buffer
		if err := imageio.EncodePNG(&buf, img); err != nil {
			return nil, err
		}
		r.Images[k] = "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
	}
	r.Colors, r.Pixels = patchColorFigure(src, tgt, out)
	return &patchRun{f: r}, nil
}

// ColorsCSV lists the sampled source colours and their transported
// colours (the same pixels of the result).
func (f PatchFrame) ColorsCSV() string {
	var b strings.Builder
	b.WriteString("r,g,b,r_out,g_out,b_out\n")
	src, out := f.Pixels["src"], f.Pixels["out"]
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for i := 0; i+2 < len(src) && i+2 < len(out); i += 3 {
		b.WriteString(strings.Join([]string{g(src[i]), g(src[i+1]), g(src[i+2]), g(out[i]), g(out[i+1]), g(out[i+2])}, ",") + "\n")
	}
	return b.String()
}

// patchColorFigure draws the colours of the three images in the CIE
// chroma plane (a*, b*), 800 pixels of each at a fixed stride: the clouds
// colour transfer moves.
func patchColorFigure(src, tgt, out *imageio.Image) (figure.Figure, map[string][]float64) {
	f := figure.Figure{Width: 420, Height: 360, Title: "pixel colours in the chroma plane (a*, b*)", EqualAspect: true}
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
		f.Points = append(f.Points, figure.PointSet{XY: ab, Color: l.color, Radius: 1.5, Label: l.label})
	}
	return f, pixels
}
