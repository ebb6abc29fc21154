package batch

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/solvers/ot"
)

// Presets of the seed toolkit (TSOR666/OT-diffusion-toolkit), read from
// its code and mapped to otplay's settings:
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
//     chosen from the free GPU memory (6 GB .. 32 GB profiles). WebGPU does
//     not report free memory; the batch (--n of sample) is chosen from the
//     adapter's limits instead: at most a quarter of the largest storage
//     binding (maxStorageBufferBindingSize, in float32 values) for a batch
//     of refDim-dimensional points, and less on a CPU backend or a software
//     adapter, whose speed is a CPU's.
//
// The seed picks by GPU name and CUDA capability (bfloat16 on Ampere and
// up for ultra); otplay computes in float32 on every GPU (shader-f16 is
// optional in WebGPU and never required), so Hardware.Features is
// reported in each reason but changes no setting.

// PresetNames are the values of --preset, FastSB-OT's then SPOT's.
var PresetNames = []string{"draft", "balanced", "ultra", "fast", "repro"}

// PresetHelp documents --preset.
const PresetHelp = "settings preset chosen for this backend: draft, balanced, ultra (FastSB-OT's), fast or repro (SPOT's); explicit flags override it; `otplay info` lists what each sets and why"

// refDim is the dimension a sample batch is sized for: 64, the digits
// data set, the widest built-in one.
const refDim = 64

// WebGPU's default limits (W3C WebGPU, "Limits"): what an adapter whose
// limits are unknown (gpu.Adapters reports none) is assumed to bind.
const (
	defaultStorageBinding = 128 << 20
	defaultMaxBuffer      = 256 << 20
)

// Hardware is what presets are chosen from: the backend a run uses and,
// for a GPU, its adapter's limits and features.
type Hardware struct {
	Backend  string     `json:"backend"` // "gpu" or a CPU backend name (cpu32, cpu, cpuref)
	Device   string     `json:"device"`  // adapter or CPU name
	Software bool       `json:"software,omitempty"`
	Limits   gpu.Limits `json:"limits"`
	Features []string   `json:"features,omitempty"`
}

// HardwareFromGPU describes an opened (or listed) WebGPU adapter.
func HardwareFromGPU(i gpu.Info) Hardware {
	return Hardware{Backend: "gpu", Device: i.Adapter, Software: i.Fallback, Limits: i.Limits, Features: i.Features}
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
}

// Presets returns every preset for hardware h, in PresetNames' order.
func Presets(h Hardware) []Preset {
	out := make([]Preset, 0, len(PresetNames))
	for _, name := range PresetNames {
		p, _ := PresetFor(name, h)
		out = append(out, p)
	}
	return out
}

// PresetFor returns the preset name for hardware h, or a UsageError
// naming the presets when name is not one of PresetNames.
func PresetFor(name string, h Hardware) (Preset, error) {
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
		return Preset{}, usage("--preset %q: want one of %s", name, strings.Join(PresetNames, ", "))
	}
	n, why := presetBatch(base[name], h, p.Backend)
	p.N = n
	p.Reason = why
	return p, nil
}

// presetBatch caps a preset's batch for hardware h (or the CPU backend
// forced, a preset's Backend) and says why.
func presetBatch(base int, h Hardware, forced string) (int, string) {
	if forced != "" && forced != h.Backend {
		return base, fmt.Sprintf("runs on the %s backend (float64 on the CPU, as SPOT's repro computes its distances on the CPU) whatever the hardware", forced)
	}
	if h.Backend != "gpu" {
		n := max(base/4, 250)
		return n, fmt.Sprintf("CPU backend %s (%s): batch a quarter of a GPU's", h.Backend, h.Device)
	}
	binding, known := h.Limits.MaxStorageBufferBindingSize, true
	if binding == 0 {
		binding, known = defaultStorageBinding, false
	}
	if h.Limits.MaxBufferSize != 0 && h.Limits.MaxBufferSize < binding {
		binding = h.Limits.MaxBufferSize
	}
	// A quarter of the largest binding, in float32 values of refDim-D points.
	maxN := int(binding / 4 / 4 / refDim)
	var parts []string
	limit := fmt.Sprintf("storage binding %d MiB", binding>>20)
	if binding < 1<<20 {
		limit = fmt.Sprintf("storage binding %d KiB", binding>>10)
	}
	if !known {
		limit += " (WebGPU's default: adapter limits unknown)"
	}
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

func (p Preset) common() [][2]string {
	var f [][2]string
	if p.Backend != "" {
		f = append(f, [2]string{"backend", p.Backend})
	}
	if p.SeedFixed {
		f = append(f, [2]string{"seed", "0"})
	}
	return f
}
