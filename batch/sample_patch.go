//go:build !js

package batch

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/patch"
)

// SamplePatchGuidance is otplay sample's patch-OT guidance (embedded in
// SampleRequest): the model is wrapped in patch.GuidedModel, which blends
// into every denoised estimate the patches of x_t / alpha_t transported by
// entropic partial OT onto the patches of the batch's denoised estimates
// (SPOT's patch-level OT guidance). For image data only.
type SamplePatchGuidance struct {
	// PatchGuidance is the blend weight in (0, 1] (--patch-guidance; 0:
	// off).
	PatchGuidance float64 `json:"patch_guidance,omitempty"`
	// PatchSize is the patch side (--patch-size; 0: 3).
	PatchSize int `json:"patch_size,omitempty"`
	// Image is the shape of one sample, HxWxC (--image; empty: 8x8x1 for
	// 64-D data such as the digits).
	Image string `json:"image,omitempty"`
	// PatchTMax: guidance applies at times t <= PatchTMax only
	// (--patch-tmax; 0: 1, always). Near t = 1 the patches of x_t/alpha_t
	// span costs of order 1/alpha_t^2 (1e7 on the digits), beyond what a
	// float32 backend resolves at the guidance's eps; the CLI's default is
	// 0.5.
	PatchTMax float64 `json:"patch_tmax,omitempty"`
}

// SamplePatchGuidanceResult reports the guidance (embedded in
// SampleResult).
type SamplePatchGuidanceResult struct {
	// PatchGuidedCalls counts the guided model evaluations.
	PatchGuidedCalls int `json:"patch_guided_calls,omitempty"`
}

func (g SamplePatchGuidance) check() error {
	switch {
	case math.IsNaN(g.PatchGuidance) || g.PatchGuidance < 0 || g.PatchGuidance > 1:
		return usage("--patch-guidance %g: want a weight in (0, 1] (0: off)", g.PatchGuidance)
	case g.PatchGuidance == 0 && (g.PatchSize != 0 || g.Image != ""):
		return usage("--patch-size/--image/--patch-tmax: turn patch guidance on with --patch-guidance W")
	case math.IsNaN(g.PatchTMax) || g.PatchTMax < 0 || g.PatchTMax > 1:
		return usage("--patch-tmax %g: want a time in (0, 1]", g.PatchTMax)
	case g.PatchSize < 0:
		return usage("--patch-size %d: want >= 1 (0: 3)", g.PatchSize)
	}
	return nil
}

// imageShape parses HxWxC, or picks 8x8x1 for 64-D data.
func (g SamplePatchGuidance) imageShape(d int) (h, w, c int, err error) {
	if g.Image == "" {
		if d == 64 {
			return 8, 8, 1, nil
		}
		return 0, 0, 0, usage("--patch-guidance: give the image shape of the %d-D samples with --image HxWxC", d)
	}
	parts := strings.Split(strings.ToLower(g.Image), "x")
	if len(parts) != 3 {
		return 0, 0, 0, usage("--image %q: want HxWxC, e.g. 8x8x1", g.Image)
	}
	var v [3]int
	for i, p := range parts {
		if v[i], err = strconv.Atoi(p); err != nil || v[i] < 1 {
			return 0, 0, 0, usage("--image %q: want three positive integers HxWxC", g.Image)
		}
	}
	if v[0]*v[1]*v[2] != d {
		return 0, 0, 0, usage("--image %s has %d values, the samples have %d", g.Image, v[0]*v[1]*v[2], d)
	}
	return v[0], v[1], v[2], nil
}

// wrap returns model, guided when PatchGuidance is set; done reports the
// guided calls and frees the wrapper.
func (g SamplePatchGuidance) wrap(b compute.Backend, model diffusion.Model) (diffusion.Model, func(*SamplePatchGuidanceResult), error) {
	if g.PatchGuidance == 0 {
		return model, func(*SamplePatchGuidanceResult) {}, nil
	}
	h, w, c, err := g.imageShape(model.Dim())
	if err != nil {
		return nil, nil, err
	}
	gm, err := patch.NewGuidedModel(b, model, patch.GuidanceSettings{Height: h, Width: w, Channels: c, Size: g.PatchSize, Weight: g.PatchGuidance, TMax: g.PatchTMax})
	if err != nil {
		return nil, nil, usage("--patch-guidance: %v", err)
	}
	return gm, func(r *SamplePatchGuidanceResult) {
		r.PatchGuidedCalls = gm.Calls
		gm.Free()
	}, nil
}

// sampleGuidanceNote is the note --patch-guidance adds to the result.
func sampleGuidanceNote(g SamplePatchGuidance) string {
	if g.PatchGuidance == 0 {
		return ""
	}
	tmax := g.PatchTMax
	if tmax == 0 {
		tmax = 1
	}
	return fmt.Sprintf("patch-OT guidance: weight %g at t <= %g, %d-pixel patches, partial OT of 80%% of the patch mass (solvers/patch GuidedModel)", g.PatchGuidance, tmax, max(g.PatchSize, 3))
}
