package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/internal/safefile"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/patch"
	"github.com/otplay/otplay/solvers/preset"
)

func init() {
	register(command{name: "patch", summary: "colour transfer and patch optimal transport between two images", run: runPatch})
}

const patchSynopsis = `patch --source IMG --target IMG [--mode color|patch] [--out FILE.png] [flags]

Optimal transport between two images (PNG or JPEG, at most 16 Mpixel and
16384 pixels per side), written as a PNG (or JPEG for .jpg names) with --out.

--width W shrinks both images to W pixels wide first (keeping their aspect,
never enlarging); --preset draft|balanced|ultra|fast|repro sets --width
to the largest that this backend's storage binding holds for the --patch
and --stride given, capped at the preset's level (96, 160, 320).

--mode color: every pixel is a point of RGB (or --space lab); the source's
colours are transported onto the target's colour distribution:
  --method entropic  entropic OT (--eps, default 5e-3 in squared RGB units)
                     between the two colour clouds quantised on a 16^3
                     histogram, applied by the entropic map; --mass < 1
                     transports only that fraction (partial OT), so colours
                     absent from the target are kept
  --method sliced    Pitie et al.'s iterative distribution transfer
                     (random rotations + 1-D OT per axis, --iters rotations)
  --method exact     exact OT between --subsample pixels of each image,
                     extended to every pixel by kernel regression (--eps)

--mode patch: the source's --patch x --patch patches (stride --stride) are
transported onto the target's by entropic OT (or partial, --mass < 1),
coarse to fine over --levels scales, and folded back into an image with
overlaps averaged. --eps 0 means 3% of the target patches' spread.

With --json one JSON object goes to stdout: mode, method, backend, time_ms,
cost (transport cost <P, C> of the plan, squared colour or patch units),
source and target sizes, source_patches and target_patches (patch mode),
points (colour mode: the sizes of the two clouds), iterations, converged,
marginal_error, levels (patch mode), out.`

// patchReport is the --json output of otplay patch.
type patchReport struct {
	Mode          string              `json:"mode"`
	Method        string              `json:"method"`
	Space         string              `json:"space,omitempty"`
	Backend       string              `json:"backend"`
	TimeMS        float64             `json:"time_ms"`
	Cost          float64             `json:"cost"`
	Source        [2]int              `json:"source"`
	Target        [2]int              `json:"target"`
	SourcePatches int                 `json:"source_patches,omitempty"`
	TargetPatches int                 `json:"target_patches,omitempty"`
	Points        [2]int              `json:"points,omitempty"`
	Iterations    int                 `json:"iterations"`
	Converged     bool                `json:"converged"`
	MarginalError float64             `json:"marginal_error"`
	Levels        []patch.LevelResult `json:"levels,omitempty"`
	Out           string              `json:"out,omitempty"`
	Notes         []string            `json:"notes,omitempty"`
}

type patchFlags struct {
	source, target, mode, method, space, backend, out, tier  string
	size, stride, levels, iters, subsample, bins, maxPatches int
	width                                                    int
	eps, mass                                                float64
	seed                                                     uint64
	asJSON                                                   bool
}

func runPatch(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("patch", patchSynopsis, stdout, stderr)
	var f patchFlags
	fs.StringVar(&f.source, "source", "", "source image, PNG or JPEG (required)")
	fs.StringVar(&f.target, "target", "", "target image, PNG or JPEG (required)")
	fs.StringVar(&f.mode, "mode", "color", "color (colour transfer) or patch (patch transport)")
	fs.StringVar(&f.method, "method", "entropic", "color mode: entropic, sliced or exact")
	fs.StringVar(&f.space, "space", "rgb", "color mode: colour space of the transport, rgb or lab")
	fs.IntVar(&f.size, "patch", patch.DefaultSize, "patch mode: patch side in pixels, 1..16")
	fs.IntVar(&f.stride, "stride", patch.DefaultStride, "patch mode: step between patches, 1..patch")
	fs.IntVar(&f.levels, "levels", 0, "patch mode: number of scales, coarse to fine (0: automatic, up to 3)")
	fs.IntVar(&f.maxPatches, "max-patches", patch.DefaultMaxPatches, "patch mode: patches of each image in the plan per level (larger sets are subsampled)")
	fs.StringVar(&f.tier, "tier", "", "patch mode: solve plans with solvers/kernel: auto, full, rff or nystrom (default: solvers/ot)")
	fs.Float64Var(&f.eps, "eps", 0, "entropic regularisation in squared colour / patch units (0: the mode's default)")
	fs.Float64Var(&f.mass, "mass", 1, "fraction of mass transported, in (0, 1]; < 1 is partial OT (entropic only)")
	fs.IntVar(&f.iters, "iters", 0, "Sinkhorn iterations per plan, or sliced rotations (0: default)")
	fs.IntVar(&f.subsample, "subsample", patch.DefaultSubsample, "color mode, exact: pixels drawn from each image")
	fs.IntVar(&f.bins, "bins", patch.DefaultBins, "color mode, entropic: histogram bins per channel (2..64; -1: every pixel)")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of rotations and subsamples")
	fs.StringVar(&f.backend, "backend", "auto", backendFlagHelp)
	fs.StringVar(&f.out, "out", "", "write the result to this .png (or .jpg) file")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object instead of text")
	fs.IntVar(&f.width, "width", 0, "working width in pixels: both images are shrunk to it, keeping their aspect (never enlarged); 0: their own size")
	presetName := fs.String("preset", "", "sets --width from this backend's storage-binding limit for the --patch and --stride given, capped at the preset's level (draft 96, balanced 160, ultra 320) unless given; `otplay info` lists them and why")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if f.size >= 1 && f.size <= patch.MaxSize && f.stride >= 1 && f.stride <= f.size {
		// The width that fits is the largest for these patches, not the
		// default 8 x 8 at stride 4 that otplay info assumes.
		patchWidth := func(p *batch.Preset, hw batch.Hardware) {
			r := preset.Resolution(preset.ImageLevels[p.Name], hw, p.Backend, f.size, f.stride)
			p.Width, p.ResolutionReason = r.Width, r.WidthWhy
		}
		if err := applyPresetAdjusted(fs, "patch", *presetName, patchWidth, batch.Preset.PatchFlags, stderr); err != nil {
			fmt.Fprintf(stderr, "otplay patch: %v\n", err)
			return 2
		}
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "otplay patch: "+format+"\n", a...)
		return 2
	}
	switch {
	case f.source == "" || f.target == "":
		return usage("--source and --target are required")
	case f.mode != "color" && f.mode != "patch":
		return usage("--mode %q: want color or patch", f.mode)
	case f.size < 1 || f.size > patch.MaxSize:
		return usage("--patch %d outside [1, %d]", f.size, patch.MaxSize)
	case f.stride < 1 || f.stride > f.size:
		return usage("--stride %d outside [1, --patch %d]", f.stride, f.size)
	case !(f.mass > 0 && f.mass <= 1):
		return usage("--mass %g outside (0, 1]", f.mass)
	case math.IsNaN(f.eps) || f.eps < 0 || math.IsInf(f.eps, 0):
		return usage("--eps %g must be >= 0 and finite", f.eps)
	case f.width < 0 || f.width > 0 && f.width < f.size:
		return usage("--width %d: want 0 (the images' own) or at least --patch %d", f.width, f.size)
	case f.iters < 0 || f.levels < 0:
		return usage("--iters and --levels must be >= 0")
	case f.out != "" && !hasImageExt(f.out):
		return usage("--out %q: want a .png, .jpg or .jpeg file name", f.out)
	}
	if f.out != "" {
		if err := safefile.Check(f.out); err != nil {
			return usage("--out: %v", err)
		}
	}
	method, err := patch.ParseMethod(f.method)
	if err != nil {
		return usage("--method: %v", err)
	}
	space, err := imageio.ParseSpace(f.space)
	if err != nil {
		return usage("--space: %v", err)
	}
	if f.mass < 1 && f.mode == "color" && method != patch.Entropic {
		return usage("--mass %g: partial transport needs --method entropic", f.mass)
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "otplay patch: %v\n", err)
		return 1
	}
	src, err := imageio.Load(f.source)
	if err != nil {
		return fail(fmt.Errorf("--source: %w", err))
	}
	tgt, err := imageio.Load(f.target)
	if err != nil {
		return fail(fmt.Errorf("--target: %w", err))
	}
	if f.width > 0 {
		if src, err = imageio.ShrinkToWidth(src, f.width); err != nil {
			return fail(fmt.Errorf("--source at --width %d: %w", f.width, err))
		}
		if tgt, err = imageio.ShrinkToWidth(tgt, f.width); err != nil {
			return fail(fmt.Errorf("--target at --width %d: %w", f.width, err))
		}
	}
	be, note, err := openBackend(f.backend)
	if err != nil {
		return usage("%v", err)
	}
	defer be.Close()
	rep := patchReport{Mode: f.mode, Backend: be.Info().Name, Source: [2]int{src.Width, src.Height},
		Target: [2]int{tgt.Width, tgt.Height}, Out: f.out}
	if note != "" {
		rep.Notes = append(rep.Notes, note)
		if !f.asJSON {
			fmt.Fprintln(stderr, "otplay patch:", note)
		}
	}
	start := time.Now()
	var out *imageio.Image
	mass := f.mass
	if mass == 1 {
		mass = 0
	}
	if f.mode == "color" {
		var res *patch.ColorResult
		out, res, err = patch.TransferColor(be, src, tgt, patch.ColorSettings{Method: method, Space: space, Eps: f.eps,
			Mass: mass, Bins: f.bins, Iterations: f.iters, MaxIter: f.iters, Subsample: f.subsample, Seed: f.seed})
		if err == nil {
			rep.Method, rep.Space, rep.Cost = string(res.Method), string(res.Space), res.Cost
			rep.Points = [2]int{res.SourcePoints, res.TargetPoints}
			rep.Iterations, rep.Converged, rep.MarginalError = res.Iterations, res.Converged, res.MarginalError
		}
	} else {
		var res *patch.Result
		out, res, err = patch.Transfer(be, src, tgt, patch.Settings{Size: f.size, Stride: f.stride, Eps: f.eps, Mass: mass,
			Levels: f.levels, MaxPatches: f.maxPatches, MaxIter: f.iters, Tier: f.tier, Seed: f.seed})
		if err == nil {
			fin := res.Levels[len(res.Levels)-1]
			rep.Method, rep.Cost, rep.Levels = "entropic", res.Cost, res.Levels
			if mass > 0 {
				rep.Method = "partial"
			}
			rep.SourcePatches, rep.TargetPatches = res.SourcePatches, res.TargetPatches
			rep.Iterations, rep.Converged, rep.MarginalError = fin.Iterations, fin.Converged, fin.MarginalError
		}
	}
	if err != nil {
		if errors.Is(err, patch.ErrSettings) {
			return usage("%v", err)
		}
		return fail(err)
	}
	rep.TimeMS = float64(time.Since(start).Microseconds()) / 1000
	if f.out != "" {
		if err := saveAtomic(f.out, out); err != nil {
			return fail(fmt.Errorf("--out: %w", err))
		}
	}
	if f.asJSON {
		return writeJSON(stdout, stderr, "patch", rep)
	}
	fmt.Fprintf(stdout, "%s transfer (%s) of %s (%d x %d) onto %s (%d x %d) on %s: cost %.6g, %.1f ms",
		f.mode, rep.Method, filepath.Base(f.source), src.Width, src.Height, filepath.Base(f.target), tgt.Width, tgt.Height,
		rep.Backend, rep.Cost, rep.TimeMS)
	if f.mode == "patch" {
		fmt.Fprintf(stdout, ", %d source and %d target patches at the finest level", rep.SourcePatches, rep.TargetPatches)
	} else {
		fmt.Fprintf(stdout, ", %d x %d points", rep.Points[0], rep.Points[1])
	}
	if !rep.Converged {
		fmt.Fprintf(stdout, " (not converged after %d iterations, marginal error %.2g)", rep.Iterations, rep.MarginalError)
	}
	fmt.Fprintln(stdout)
	if f.mode == "patch" {
		for _, l := range rep.Levels {
			fmt.Fprintf(stdout, "  level %d x %d: %d x %d patches in the plan, %d-D costs (%.1f%% variance), eps %.3g, cost %.4g, %d iterations, %v\n",
				l.Width, l.Height, l.PlanSource, l.PlanTarget, l.Dim, 100*l.Explained, l.Eps, l.Cost, l.Iterations, l.Time.Round(time.Millisecond))
		}
	}
	if f.out != "" {
		fmt.Fprintf(stdout, "wrote %s\n", f.out)
	}
	return 0
}

func hasImageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// saveAtomic writes img through internal/safefile: a temporary file with
// the same extension (the encoder picks PNG or JPEG by it), renamed into
// place, so a failed or killed run leaves no half-written image.
func saveAtomic(path string, img *imageio.Image) error {
	return safefile.WriteVia(path, func(tmp string) error { return imageio.Save(tmp, img) })
}
