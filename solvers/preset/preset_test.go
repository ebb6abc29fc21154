package preset

import (
	"errors"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
)

// h100 is the H100's adapter as otplay info reported it through Vulkan
// (docs: ENVIRONMENT, device/README): storage binding 2048 MiB, buffer
// 256 MiB, shader-f16.
var h100 = Hardware{Backend: "gpu", Device: "NVIDIA H100 80GB HBM3", Features: []string{"shader-f16"},
	Limits: Limits{MaxStorageBufferBindingSize: 2048 << 20, MaxBufferSize: 256 << 20}}

// The resolution rule against limits computed by hand:
//   - H100: the binding is min(2048, 256) MiB = 2^26 float32 values.
//     ultra's 320 px with 8x8 patches at stride 4 has 79 origins per side
//     (0, 4, ..., 312), 79^2 x 192 = 1,198,272 values: it fits; the
//     barycenter's 64 px needs 5 x 64^2 = 20,480: it fits.
//   - 1 MiB (262,144 values): at most
//     262144 / 192 = 1365 patches, 36 origins per side (36^2 = 1296,
//     37^2 = 1369), so width 8 + 4 x 35 = 148 (149 adds an edge origin);
//     the barycenter's 5 S^2 <= 262144 holds balanced's 32.
//   - 64 KiB (16,384 values): 16384 / 192 = 85 patches, 9 per side, width
//     8 + 4 x 8 = 40; 5 S^2 <= 16384 gives S = 57 (57^2 = 3249,
//     58^2 = 3364) below ultra's 64.
//   - WebGPU's default 128 MiB with 16x16 patches at stride 1: 768 values
//     a patch; compute.MaxIndex = 2^24 (below 2^25 values of the binding)
//     allows 21,845 patches, 147 per side, width 147 + 15 = 162.
func TestResolutionHandComputed(t *testing.T) {
	small := Hardware{Backend: "gpu", Device: "small", Limits: Limits{MaxStorageBufferBindingSize: 1 << 20, MaxBufferSize: 1 << 20}}
	tiny := Hardware{Backend: "gpu", Device: "tiny", Limits: Limits{MaxStorageBufferBindingSize: 64 << 10}}
	unknown := Hardware{Backend: "gpu", Device: "listed"}
	cases := []struct {
		name        string
		h           Hardware
		level       string
		k, s        int
		width, side int
		why         []string
	}{
		{"H100 ultra", h100, "ultra", 8, 4, 320, 64, []string{"storage binding 256 MiB", "patch width 320 px (the quality's level; it fits)", "barycenter side 64 px (the quality's level"}},
		{"H100 draft", h100, "draft", 8, 4, 96, 16, nil},
		{"1 MiB balanced", small, "balanced", 8, 4, 148, 32, []string{"storage binding 1 MiB", "patch width 148 px (the quality's 160 does not fit)"}},
		{"64 KiB ultra", tiny, "ultra", 8, 4, 40, 57, []string{"storage binding 64 KiB", "barycenter side 57 px (the quality's 64 does not fit)"}},
		{"default 128 MiB, 16x16 stride 1", unknown, "ultra", 16, 1, 162, 64, []string{"WebGPU's default", "16x16 patches at stride 1"}},
	}
	for _, c := range cases {
		r := Resolution(ImageLevels[c.level], c.h, "", c.k, c.s)
		w, s, why := r.Width, r.Side, r.Why()
		if w != c.width || s != c.side {
			t.Errorf("%s: width %d side %d, want %d and %d (%s)", c.name, w, s, c.width, c.side, why)
		}
		for _, want := range c.why {
			if !strings.Contains(why, want) {
				t.Errorf("%s: reason %q lacks %q", c.name, why, want)
			}
		}
	}
	// One pixel wider does not fit: the rule returns the largest.
	if v, _ := PatchValues(149, 8, 4); v <= 262144 {
		t.Errorf("PatchValues(149, 8, 4) = %d, want > 262144 (37 origins per side)", v)
	}
	if v, _ := PatchValues(148, 8, 4); v != 36*36*192 {
		t.Errorf("PatchValues(148, 8, 4) = %d, want 36^2 x 192 = %d", v, 36*36*192)
	}
}

// For fills the resolution of every preset; the CPU and repro's forced
// CPU backend get the quality's level; a binding too small for the
// smallest image still returns the pages' minima.
func TestPresetsResolution(t *testing.T) {
	for _, p := range All(h100) {
		lv := ImageLevels[p.Name]
		if p.Name == "repro" {
			if !strings.Contains(p.ResolutionReason, "CPU backend cpu") {
				t.Errorf("repro on the H100: reason %q, want the forced cpu backend", p.ResolutionReason)
			}
		}
		if p.Width != lv.Width || p.Side != lv.Side {
			t.Errorf("%s on the H100: width %d side %d, want the level %+v", p.Name, p.Width, p.Side, lv)
		}
	}
	cpu, _ := For("ultra", Hardware{Backend: "cpu32", Device: "2 threads"})
	if cpu.Width != 320 || cpu.Side != 64 || !strings.Contains(cpu.ResolutionReason, "no binding limit") {
		t.Errorf("ultra on cpu32: %d, %d, %q", cpu.Width, cpu.Side, cpu.ResolutionReason)
	}
	p, _ := For("balanced", Hardware{Backend: "gpu", Device: "1 KiB", Limits: Limits{MaxStorageBufferBindingSize: 1024}})
	if p.Width != MinWidth || p.Side != MinSide || !strings.Contains(p.ResolutionReason, "does not fit") {
		t.Errorf("1 KiB binding: %d, %d, %q; want the minima and 'does not fit'", p.Width, p.Side, p.ResolutionReason)
	}
	if f := p.PatchFlags(); len(f) != 1 || f[0] != [2]string{"width", "16"} {
		t.Errorf("PatchFlags = %v", f)
	}
	r, _ := For("repro", h100)
	if f := r.BarycenterFlags(); len(f) != 2 || f[0] != [2]string{"size", "32"} || f[1] != [2]string{"backend", "cpu"} {
		t.Errorf("repro BarycenterFlags = %v", f)
	}
	if _, err := For("extreme", h100); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "draft, balanced, ultra, fast, repro") {
		t.Errorf("unknown preset: %v", err)
	}
}

// FromInfo reads a backend's compute.Info: compute/webgpu's MaxArray is
// the binding in float32 values, its Notes name a software adapter.
func TestFromInfo(t *testing.T) {
	h := FromInfo(compute.Info{Name: "gpu", Device: "SwiftShader", MaxArray: 1 << 28, Notes: "software adapter (CPU)"})
	if h.Backend != "gpu" || !h.Software || h.Limits.MaxStorageBufferBindingSize != 1<<30 {
		t.Errorf("FromInfo(SwiftShader) = %+v, want a 1 GiB software GPU", h)
	}
	p, _ := For("balanced", h)
	if p.N != 1000 || !strings.Contains(p.Reason, "storage binding 1024 MiB holds the batch") || p.Width != 160 {
		t.Errorf("balanced on SwiftShader: n %d width %d, reason %q", p.N, p.Width, p.Reason)
	}
	c := FromInfo(compute.NewCPU(1).Info())
	if c.Backend != "cpu" || c.Limits.MaxStorageBufferBindingSize != 0 {
		t.Errorf("FromInfo(cpu) = %+v", c)
	}
}
