package conformance

import (
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// runChecks runs cs on their own (Run's loop) and returns the results.
func runChecks(cs []check) []Result {
	out := make([]Result, 0, len(cs))
	for _, c := range cs {
		r := c.Result
		start := time.Now()
		c.run(&r)
		out = append(out, finish(r, start))
	}
	return out
}

// TestSoftMeanY runs the SoftMeanY checks alone on every backend (the
// whole suite runs them too, in TestCPU, TestGPU...): on the GPU they
// take softmean_small.wgsl (d <= 3), pairs_mid.wgsl with the values read
// from Y (4 <= d <= 16) and softmean_hd*.wgsl with a scaling Map, each
// with c = 1/0.3, 1, 0 and -1.5.
func TestSoftMeanY(t *testing.T) {
	run := func(t *testing.T, b compute.Backend) {
		for _, r := range runChecks(softMeanYChecks(b, Options{})) {
			if !r.Pass {
				t.Errorf("%s", r)
			}
		}
	}
	for _, b := range []compute.Backend{compute.NewCPU(0), compute.NewCPUFast(0), compute.NewCPURef(0)} {
		t.Run(b.Info().Name, func(t *testing.T) { run(t, b) })
	}
	// The GPU with pairs_mid.wgsl's default choice (midValuesY), and with
	// the values read from Y or staged forced at every d and N.
	for _, c := range []struct {
		name    string
		valuesY int // webgpu.MidShape.ValuesY
	}{{"gpu", 0}, {"gpu-values-from-y", 2}, {"gpu-values-staged", 1}} {
		t.Run(c.name, func(t *testing.T) {
			g := gputest.Raw(t)
			old := g.MidShape()
			defer g.SetMidShape(old)
			shape := old
			shape.ValuesY = c.valuesY
			g.SetMidShape(shape)
			run(t, g)
		})
	}
}

// unscaled is a backend whose SoftMeanY forgets the scale c.
type unscaled struct{ compute.Backend }

func (u unscaled) SoftMeanY(dst compute.Array, p compute.Pairs, c float64) error {
	return u.Backend.SoftMeanY(dst, p, 1)
}

// TestSoftMeanYCatchesScale: the checks fail a SoftMeanY that ignores c
// (every case with c != 1), so they test the scale and not only the mean.
func TestSoftMeanYCatchesScale(t *testing.T) {
	rs := runChecks(softMeanYChecks(unscaled{compute.NewCPU(0)}, Options{Quick: true}))
	failed, means := 0, 0
	for _, r := range rs {
		if r.Op != "softmeany" {
			continue // the refusals of c = NaN, Inf, which unscaled skips too
		}
		means++
		if !r.Pass {
			failed++
		}
	}
	if want := means * 3 / 4; failed != want {
		t.Errorf("%d of %d soft-mean checks failed with c ignored, want %d (every c != 1)", failed, means, want)
	}
}
