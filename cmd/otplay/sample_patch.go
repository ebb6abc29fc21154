package main

import (
	"flag"

	"github.com/otplay/otplay/batch"
)

// samplePatchHelp is the part of otplay sample's help about
// --patch-guidance.
const samplePatchHelp = `Patch-OT guidance (--patch-guidance W, image data such as the digits):
every denoised estimate D(x_t) is blended with weight W with the image
whose --patch-size patches (default 3, stride 1) are those of x_t/alpha_t
transported by entropic partial OT (80% of the mass) onto the patches of
the batch's denoised estimates, folded back with overlaps averaged
(SPOT's patch-level OT guidance; solvers/patch GuidedModel). Same NFE as
the plain model. It guides at t <= --patch-tmax (default 0.5: nearer
t = 1 the patches of x_t/alpha_t span costs a float32 backend cannot
resolve at the guidance's eps). --image HxWxC gives the shape of one sample (default
8x8x1 for 64-D data). --json adds patch_guided_calls.`

// registerSamplePatchGuidance adds --patch-guidance, --patch-size and
// --image to fs.
func registerSamplePatchGuidance(fs *flag.FlagSet, g *batch.SamplePatchGuidance) {
	fs.Float64Var(&g.PatchGuidance, "patch-guidance", 0, "patch-OT guidance weight in (0, 1] for image data (0: off)")
	fs.IntVar(&g.PatchSize, "patch-size", 0, "with --patch-guidance: patch side in pixels (0: 3)")
	fs.Float64Var(&g.PatchTMax, "patch-tmax", 0.5, "with --patch-guidance: guide only at times t <= this (near t = 1, x_t/alpha_t is too spread for float32)")
	fs.StringVar(&g.Image, "image", "", "with --patch-guidance: shape of one sample HxWxC (default 8x8x1 for 64-D data)")
}
