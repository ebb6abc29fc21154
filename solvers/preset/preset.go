// Package preset holds otplay's settings presets, chosen from the hardware
// a run computes on: the quality presets of FastSB-OT (draft, balanced,
// ultra) and SPOT's (fast, repro), with ATLAS's memory-based choice of
// batch and resolution read from the adapter's limits.
//
// It imports no GPU binding, so the command line (package batch, which
// describes an opened adapter with HardwareFromGPU) and the pages in the
// browser (package play, which describes the backend a page computes on
// with FromInfo) apply one rule.
//
// # Where the presets come from
//
// Read from the seed toolkit's code (TSOR666/OT-diffusion-toolkit) and
// mapped to otplay's settings:
//
//   - FastSB-OT's quality presets (fastsb_ot/config.py,
//     _apply_quality_preset): draft = (0 corrector steps, 10 Sinkhorn
//     iterations), balanced = (0, 50), ultra = (1, 50). Here draft samples
//     in 10 steps, balanced in otplay's default 25, ultra in 50 with one
//     Langevin corrector step per step (the predictor-corrector sampler of
//     Song et al. 2021, "Score-based generative modeling through SDEs",
//     Algorithm 1/2); on solve, draft runs at most 10 Sinkhorn iterations,
//     balanced keeps otplay's defaults, ultra tightens the tolerance ten
//     times and adds eps-scaling (Feydy et al. 2019, GeomLoss; Schmitzer
//     2019, Sec. 3.2).
//   - SPOT's presets (SPOT/builder.py): fast = DPM-Solver order 2 with 30
//     Sinkhorn iterations, here dpmpp2m (Lu et al. 2022, DPM-Solver++(2M))
//     in 15 steps and solve capped at 30 iterations; repro = float32,
//     deterministic, Richardson off, cdist on the CPU, here the float64 CPU
//     backend ("cpu"), the sampler's ODE mode (--deterministic) and seed 0.
//   - ATLAS's gpu_memory='auto' (atlas/easy_api.py): batch 1..20 images
//     and the resolution chosen from the free GPU memory (6 GB .. 32 GB
//     profiles). WebGPU does not report free memory; otplay reads the
//     adapter's limits instead (Batch and Resolution below).
//
// The seed picks by GPU name and CUDA capability (bfloat16 on Ampere and
// up for ultra); otplay computes in float32 on every GPU (shader-f16 is
// optional in WebGPU and never required), so Hardware.Features is
// reported in each reason but changes no setting.
//
// # Batch
//
// The batch (sample's --n, /diffusion's particles) is the quality's
// (draft 1000, balanced 4000, ultra 16000, fast 4000, repro 1000), capped
// at a quarter of the largest storage binding (the smaller of
// maxStorageBufferBindingSize and maxBufferSize) in float32 values of
// 64-dimensional points (the digits, the widest built-in data set), and
// quartered again on a software adapter; a CPU backend gets a quarter of
// the quality's batch, at least 250.
//
// # Resolution
//
// The image work gets the largest image whose largest buffer fits one
// storage binding, capped at the quality's level (ImageLevels):
//
//   - patch OT on images (otplay patch --width, /patch's working width):
//     the largest array is the patch gather index, Count x Dim values for
//     an RGB image's k x k patches at stride s (patch.Grid; square images
//     are assumed, the worst case of a given width), at most
//     compute.MaxIndex values;
//   - the convolutional barycenter (otplay barycenter --size,
//     /barycenter's image side): the largest arrays are the grid
//     convolution's per-pixel coordinates, GridValuesPerPixel values per
//     pixel of a side x side image.
//
// A CPU backend has no binding limit: it gets the quality's level.
package preset

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/solvers/patch"
)

// Names are the presets, FastSB-OT's then SPOT's.
var Names = []string{"draft", "balanced", "ultra", "fast", "repro"}

// Help documents a --preset flag.
const Help = "settings preset chosen for this backend: draft, balanced, ultra (FastSB-OT's), fast or repro (SPOT's); explicit flags override it; `otplay info` lists what each sets and why"

// ErrUnknown is wrapped by For's error for a name not in Names.
var ErrUnknown = errors.New("unknown preset")

// refDim is the dimension a sample batch is sized for: 64, the digits
// data set, the widest built-in one.
const refDim = 64

// WebGPU's default limits (W3C WebGPU, "Limits"): what an adapter whose
// limits are unknown is assumed to bind.
const (
	DefaultStorageBinding = 128 << 20
	DefaultMaxBuffer      = 256 << 20
)

// GridValuesPerPixel is the number of values per pixel of the largest
// arrays of the grid convolution behind the convolutional barycenter
// (solvers/kernel's row and column coordinates of every pixel, padded to
// 5 dimensions so that the cost is a difference, never expanded).
const GridValuesPerPixel = 5

// Limits are the adapter limits the presets read, in bytes, named as
// WebGPU (and gpu.Limits) names them; 0 is unknown.
type Limits struct {
	MaxStorageBufferBindingSize uint64
	MaxBufferSize               uint64
}

// Hardware is what presets are chosen from: the backend a run uses and,
// for a GPU, its adapter's limits and features.
type Hardware struct {
	Backend  string   `json:"backend"` // "gpu" or a CPU backend name (cpu32, cpu, cpuref)
	Device   string   `json:"device"`  // adapter or CPU name
	Software bool     `json:"software,omitempty"`
	Limits   Limits   `json:"limits"`
	Features []string `json:"features,omitempty"`
}

// FromInfo describes the backend a page computes on from its
// compute.Info: a "gpu" backend binds MaxArray float32 values
// (compute/webgpu reports maxStorageBufferBindingSize / 4) and is a
// software adapter when its Notes say "software"; any other backend is a
// CPU one. Features are not in compute.Info and are left empty.
func FromInfo(i compute.Info) Hardware {
	h := Hardware{Backend: i.Name, Device: i.Device}
	if i.Name == "gpu" {
		h.Software = strings.Contains(i.Notes, "software")
		if i.MaxArray > 0 {
			h.Limits.MaxStorageBufferBindingSize = uint64(i.MaxArray) * 4
		}
	}
	return h
}

// Preset is one named set of settings and why this hardware gets them.
// Zero fields leave the command's default.
type Preset struct {
	Name   string `json:"name"`
	Origin string `json:"origin"` // the seed component it comes from

	// sample's settings.
	Steps          int    `json:"steps"`
	N              int    `json:"n"` // the batch: samples drawn at once
	Sampler        string `json:"sampler,omitempty"`
	Corrector      string `json:"corrector,omitempty"`
	CorrectorSteps int    `json:"corrector_steps,omitempty"`
	Deterministic  bool   `json:"deterministic,omitempty"`

	// solve's settings.
	Iters   int     `json:"iters"`
	Tol     float64 `json:"tol"`
	Scaling float64 `json:"scaling,omitempty"`

	// Both: Backend forces a backend (repro); SeedFixed pins --seed to 0.
	Backend   string `json:"backend,omitempty"`
	SeedFixed bool   `json:"seed_fixed,omitempty"`

	Reason string `json:"reason"`

	// The image work's resolution: Width is patch OT's working width in
	// pixels (patch --width, /patch), Side the convolutional barycenter's
	// image side (barycenter --size, /barycenter); ResolutionReason says
	// what set them.
	Width            int    `json:"width"`
	Side             int    `json:"side"`
	ResolutionReason string `json:"resolution_reason"`
}

// ImageLevel is a quality's resolution before the memory cap.
type ImageLevel struct {
	Width int // patch OT's working width
	Side  int // the convolutional barycenter's image side
}

// ImageLevels are the presets' resolutions before the memory cap: draft
// 96 / 16, balanced the pages' defaults 160 / 32, ultra the pages'
// largest 320 / 64 (the built-in photographs' width, the barycenter
// page's largest side). fast and repro change the solver, not the
// picture: balanced's.
var ImageLevels = map[string]ImageLevel{
	"draft": {96, 16}, "balanced": {160, 32}, "ultra": {320, 64}, "fast": {160, 32}, "repro": {160, 32},
}

// The smallest resolutions the rule returns (the pages' minima).
const (
	MinWidth = 16
	MinSide  = 8
)

// All returns every preset for hardware h, in Names' order.
func All(h Hardware) []Preset {
	out := make([]Preset, 0, len(Names))
	for _, name := range Names {
		p, _ := For(name, h)
		out = append(out, p)
	}
	return out
}

// For returns the preset name for hardware h, or an error wrapping
// ErrUnknown that names the presets when name is not one of Names.
func For(name string, h Hardware) (Preset, error) {
	// Batches at the three quality levels, before the memory cap.
	base := map[string]int{"draft": 1000, "balanced": 4000, "ultra": 16000, "fast": 4000, "repro": 1000}
	p := Preset{Name: name, Iters: ot.DefaultMaxIter, Tol: ot.DefaultTol}
	switch name {
	case "draft":
		p.Origin, p.Steps, p.Iters, p.Tol = "FastSB-OT", 10, 10, 1e-2
	case "balanced":
		p.Origin, p.Steps = "FastSB-OT", 25
	case "ultra":
		p.Origin, p.Steps, p.Corrector, p.CorrectorSteps = "FastSB-OT", 50, "langevin", 1
		p.Tol, p.Scaling = ot.DefaultTol/10, 0.5
	case "fast":
		p.Origin, p.Steps, p.Sampler, p.Iters = "SPOT", 15, "dpmpp2m", 30
	case "repro":
		p.Origin, p.Steps, p.Deterministic, p.Backend, p.SeedFixed = "SPOT", 25, true, "cpu", true
	default:
		return Preset{}, fmt.Errorf("%w %q: want one of %s", ErrUnknown, name, strings.Join(Names, ", "))
	}
	p.N, p.Reason = Batch(base[name], h, p.Backend)
	r := Resolution(ImageLevels[name], h, p.Backend, patch.DefaultSize, patch.DefaultStride)
	p.Width, p.Side, p.ResolutionReason = r.Width, r.Side, r.Why()
	return p, nil
}

// binding is the largest storage binding of h in bytes (the smaller of
// the binding and buffer limits; WebGPU's default where unknown) and its
// description.
func binding(h Hardware) (uint64, string) {
	b, known := h.Limits.MaxStorageBufferBindingSize, true
	if b == 0 {
		b, known = DefaultStorageBinding, false
	}
	if h.Limits.MaxBufferSize != 0 && h.Limits.MaxBufferSize < b {
		b = h.Limits.MaxBufferSize
	}
	s := fmt.Sprintf("storage binding %d MiB", b>>20)
	if b < 1<<20 {
		s = fmt.Sprintf("storage binding %d KiB", b>>10)
	}
	if !known {
		s += " (WebGPU's default: adapter limits unknown)"
	}
	return b, s
}

// onGPU reports whether a run with a preset's forced backend (or none)
// computes on h's GPU.
func onGPU(h Hardware, forced string) bool {
	return h.Backend == "gpu" && (forced == "" || forced == h.Backend)
}

// Batch caps a preset's batch for hardware h (or the CPU backend forced,
// a preset's Backend) and says why.
func Batch(base int, h Hardware, forced string) (int, string) {
	if forced != "" && forced != h.Backend {
		return base, fmt.Sprintf("runs on the %s backend (float64 on the CPU, as SPOT's repro computes its distances on the CPU) whatever the hardware", forced)
	}
	if h.Backend != "gpu" {
		n := max(base/4, 250)
		return n, fmt.Sprintf("CPU backend %s (%s): batch a quarter of a GPU's", h.Backend, h.Device)
	}
	b, limit := binding(h)
	// A quarter of the largest binding, in float32 values of refDim-D points.
	maxN := int(b / 4 / 4 / refDim)
	var parts []string
	n := base
	if maxN < n {
		n = max(maxN, 1)
		parts = append(parts, fmt.Sprintf("%s caps the batch at %d (a quarter of it, %d-D float32)", limit, n, refDim))
	} else {
		parts = append(parts, fmt.Sprintf("%s holds the batch", limit))
	}
	if h.Software {
		n = max(n/4, 1)
		parts = append(parts, "software adapter (a CPU's speed): batch a quarter")
	}
	f16 := "no shader-f16"
	if slices.Contains(h.Features, "shader-f16") {
		f16 = "shader-f16 present, unused (float32 throughout)"
	}
	parts = append(parts, f16)
	return n, fmt.Sprintf("GPU %s: %s", h.Device, strings.Join(parts, "; "))
}

// PatchValues is the largest array of patch OT on a width x width RGB
// image with k x k patches at stride s, in values: the patch gather
// index (patch.Grid's Count x Dim), or the image where that is larger. It
// returns an error where patch.NewGrid refuses the geometry (patches
// larger than the image, over compute.MaxIndex values).
func PatchValues(width, k, s int) (int, error) {
	g, err := patch.NewGrid(width, width, 3, k, s)
	if err != nil {
		return 0, err
	}
	return max(g.Count()*g.Dim(), g.Len()), nil
}

// GridValues is the largest array of the convolutional barycenter of
// side x side images, in values.
func GridValues(side int) int { return GridValuesPerPixel * side * side }

// ImageResolution is the image work's resolution for one quality level
// and its reasons.
type ImageResolution struct {
	Width, Side int
	// On names the hardware and its limit ("GPU X: storage binding 128
	// MiB", "CPU backend cpu32: no binding limit"); WidthWhy and SideWhy
	// say, after it, why each resolution was chosen.
	On, WidthWhy, SideWhy string
}

// Why is both reasons in one sentence.
func (r ImageResolution) Why() string {
	return r.WidthWhy + "; " + strings.TrimPrefix(r.SideWhy, r.On+": ")
}

// Resolution returns the resolution of a quality level lv on hardware h
// (or on the CPU backend forced): the largest patch width (for k x k
// patches at stride s) and barycenter side whose largest arrays fit one
// storage binding in float32, capped at lv and no smaller than MinWidth
// and MinSide, and why.
func Resolution(lv ImageLevel, h Hardware, forced string, k, s int) ImageResolution {
	r := ImageResolution{Width: lv.Width, Side: lv.Side}
	describe := func(got, level int, what string) string {
		if got == level {
			return fmt.Sprintf("%s %d px (the quality's level; it fits)", what, got)
		}
		return fmt.Sprintf("%s %d px (the quality's %d does not fit)", what, got, level)
	}
	if !onGPU(h, forced) {
		be := h.Backend
		if forced != "" {
			be = forced
		}
		r.On = fmt.Sprintf("CPU backend %s: no binding limit", be)
	} else {
		b, limit := binding(h)
		maxValues := int(min(b/4, 1<<62))
		r.On = fmt.Sprintf("GPU %s: %s", h.Device, limit)
		r.Width, r.Side = MinWidth, MinSide
		for w := lv.Width; w > MinWidth; w-- {
			if v, err := PatchValues(w, k, s); err == nil && v <= maxValues {
				r.Width = w
				break
			}
		}
		for q := lv.Side; q > MinSide; q-- {
			if GridValues(q) <= maxValues {
				r.Side = q
				break
			}
		}
	}
	r.WidthWhy = r.On + ": " + describe(r.Width, lv.Width, "patch width") + fmt.Sprintf(" with %dx%d patches at stride %d", k, k, s)
	r.SideWhy = r.On + ": " + describe(r.Side, lv.Side, "barycenter side")
	return r
}

// SampleFlags are the preset's settings as otplay sample's flags.
func (p Preset) SampleFlags() [][2]string {
	f := [][2]string{{"steps", strconv.Itoa(p.Steps)}, {"n", strconv.Itoa(p.N)}}
	if p.Sampler != "" {
		f = append(f, [2]string{"sampler", p.Sampler})
	}
	if p.Corrector != "" {
		f = append(f, [2]string{"corrector", p.Corrector}, [2]string{"corrector-steps", strconv.Itoa(p.CorrectorSteps)})
	}
	if p.Deterministic {
		f = append(f, [2]string{"deterministic", "true"})
	}
	return append(f, p.common()...)
}

// SolveFlags are the preset's settings as otplay solve's flags.
func (p Preset) SolveFlags() [][2]string {
	f := [][2]string{{"iters", strconv.Itoa(p.Iters)}, {"tol", strconv.FormatFloat(p.Tol, 'g', -1, 64)}}
	if p.Scaling != 0 {
		f = append(f, [2]string{"scaling", strconv.FormatFloat(p.Scaling, 'g', -1, 64)})
	}
	return append(f, p.common()...)
}

// PatchFlags are the preset's settings as otplay patch's flags: the
// working width (and the backend of repro).
func (p Preset) PatchFlags() [][2]string {
	return append([][2]string{{"width", strconv.Itoa(p.Width)}}, p.backendFlag()...)
}

// BarycenterFlags are the preset's settings as otplay barycenter's
// flags: the convolutional barycenter's image side (and the backend of
// repro).
func (p Preset) BarycenterFlags() [][2]string {
	return append([][2]string{{"size", strconv.Itoa(p.Side)}}, p.backendFlag()...)
}

func (p Preset) backendFlag() [][2]string {
	if p.Backend != "" {
		return [][2]string{{"backend", p.Backend}}
	}
	return nil
}

func (p Preset) common() [][2]string {
	f := p.backendFlag()
	if p.SeedFixed {
		f = append(f, [2]string{"seed", "0"})
	}
	return f
}
