//go:build !js

package batch

import (
	"errors"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/preset"
)

// presetByName returns the preset name of ps.
func presetByName(t *testing.T, ps []Preset, name string) Preset {
	t.Helper()
	for _, p := range ps {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no preset %q in %v", name, ps)
	return Preset{}
}

// A small-memory adapter gets smaller batches than a large one, and the
// reason names the storage-binding limit that set them.
func TestPresetsFollowStorageBinding(t *testing.T) {
	big := Hardware{Backend: "gpu", Device: "big", Limits: preset.Limits{MaxStorageBufferBindingSize: 2 << 30, MaxBufferSize: 4 << 30}}
	small := Hardware{Backend: "gpu", Device: "small", Limits: preset.Limits{MaxStorageBufferBindingSize: 1 << 20, MaxBufferSize: 1 << 20}}
	bu, su := presetByName(t, Presets(big), "ultra"), presetByName(t, Presets(small), "ultra")
	if bu.N != 16000 {
		t.Errorf("ultra on a 2 GiB binding: n = %d, want the uncapped 16000", bu.N)
	}
	// 1 MiB / 4 (a quarter) / 4 bytes / 64 dimensions = 1024 points.
	if su.N != 1024 {
		t.Errorf("ultra on a 1 MiB binding: n = %d, want 1024", su.N)
	}
	if !strings.Contains(su.Reason, "storage binding 1 MiB caps the batch at 1024") {
		t.Errorf("small adapter's reason %q does not name the cap", su.Reason)
	}
	// Steps and solver settings do not depend on memory.
	if su.Steps != bu.Steps || su.Corrector != "langevin" || su.CorrectorSteps != 1 || su.Tol != bu.Tol {
		t.Errorf("ultra differs beyond the batch: %+v vs %+v", su, bu)
	}
	// A tiny binding still leaves a batch of at least one point.
	tiny := Hardware{Backend: "gpu", Device: "tiny", Limits: preset.Limits{MaxStorageBufferBindingSize: 1024}}
	if p := presetByName(t, Presets(tiny), "draft"); p.N != 1 {
		t.Errorf("1 KiB binding: n = %d, want 1", p.N)
	}
	// The smaller of binding and buffer limits counts.
	buf := Hardware{Backend: "gpu", Device: "buf", Limits: preset.Limits{MaxStorageBufferBindingSize: 2 << 30, MaxBufferSize: 1 << 20}}
	if p := presetByName(t, Presets(buf), "ultra"); p.N != 1024 {
		t.Errorf("1 MiB max buffer: n = %d, want 1024", p.N)
	}
}

func TestPresetsUnknownLimitsSoftwareAndF16(t *testing.T) {
	p := presetByName(t, Presets(Hardware{Backend: "gpu", Device: "listed"}), "balanced")
	if p.N != 4000 || !strings.Contains(p.Reason, "WebGPU's default") {
		t.Errorf("unknown limits: n = %d, reason %q; want 4000 and WebGPU's default named", p.N, p.Reason)
	}
	sw := Hardware{Backend: "gpu", Device: "llvmpipe", Software: true, Features: []string{"shader-f16"},
		Limits: preset.Limits{MaxStorageBufferBindingSize: 128 << 20}}
	p = presetByName(t, Presets(sw), "balanced")
	if p.N != 1000 || !strings.Contains(p.Reason, "software adapter") || !strings.Contains(p.Reason, "shader-f16 present") {
		t.Errorf("software adapter: n = %d, reason %q; want 1000, software and shader-f16 named", p.N, p.Reason)
	}
}

// The CPU backend's presets: a quarter of a GPU's batch, no less than 250.
func TestPresetsCPU(t *testing.T) {
	ps := Presets(Hardware{Backend: "cpu32", Device: "2 threads"})
	want := map[string]int{"draft": 250, "balanced": 1000, "ultra": 4000, "fast": 1000}
	for name, n := range want {
		if p := presetByName(t, ps, name); p.N != n || !strings.Contains(p.Reason, "CPU backend cpu32") {
			t.Errorf("%s on cpu32: n = %d, reason %q; want %d", name, p.N, p.Reason, n)
		}
	}
	r := presetByName(t, ps, "repro")
	if r.Backend != "cpu" || !r.SeedFixed || !r.Deterministic {
		t.Errorf("repro = %+v: want the cpu backend, seed 0, deterministic", r)
	}
	if len(ps) != len(PresetNames) {
		t.Errorf("%d presets, want %d", len(ps), len(PresetNames))
	}
}

func TestPresetFlags(t *testing.T) {
	h := Hardware{Backend: "cpu32"}
	f, _ := PresetFor("fast", h)
	if got := f.SolveFlags(); len(got) != 2 || got[0] != [2]string{"iters", "30"} {
		t.Errorf("fast solve flags %v: want --iters 30 first", got)
	}
	u, _ := PresetFor("ultra", h)
	want := [][2]string{{"steps", "50"}, {"n", "4000"}, {"corrector", "langevin"}, {"corrector-steps", "1"}}
	got := u.SampleFlags()
	if len(got) != len(want) {
		t.Fatalf("ultra sample flags %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ultra sample flag %d = %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := PresetFor("extreme", h); !errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), "draft, balanced, ultra, fast, repro") {
		t.Errorf("unknown preset: err %v, want a UsageError listing the presets", err)
	}
}
