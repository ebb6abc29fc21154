package main

import (
	"os"
	"strings"
	"testing"
)

// --preset through the real entry point: the preset's settings reach the
// run, explicit flags override them, a bad name is a usage error, and
// repro repeats itself.
func TestPresetCLI(t *testing.T) {
	runCases(t, []cliCase{
		{name: "draft sets steps and batch", args: []string{"sample", "--preset", "draft", "--backend", "cpu32", "--json", "--quality=false"},
			stderr: []string{"preset draft (FastSB-OT) sets --steps=10 --n=250", "CPU backend cpu32"},
			check: func(t *testing.T, stdout, _ string) {
				m := jsonObject(t, stdout)
				if m["steps"] != 10.0 || m["n"] != 250.0 {
					t.Errorf("draft: steps %v n %v, want 10 and 250", m["steps"], m["n"])
				}
			}},
		{name: "explicit flags override", args: []string{"sample", "--preset", "ultra", "--backend", "cpu32", "--steps", "3", "--n", "50", "--json", "--quality=false"},
			stderr: []string{"sets --corrector=langevin --corrector-steps=1", "explicit --steps=3 --n=50"},
			check: func(t *testing.T, stdout, _ string) {
				m := jsonObject(t, stdout)
				// One Langevin step per sampler step adds an evaluation
				// per step: more than the plain sampler's steps + 1.
				if m["steps"] != 3.0 || m["n"] != 50.0 || m["nfe"].(float64) <= 4 {
					t.Errorf("ultra with --steps 3 --n 50: steps %v n %v nfe %v; want 3, 50 and the corrector's extra evaluations", m["steps"], m["n"], m["nfe"])
				}
			}},
		{name: "fast caps solve's iterations", args: []string{"solve", "--x", "moons:200", "--y", "8gaussians:200", "--preset", "fast", "--backend", "cpu32", "--json"},
			stderr: []string{"preset fast (SPOT) sets --iters=30"},
			check: func(t *testing.T, stdout, _ string) {
				if m := jsonObject(t, stdout); m["iterations"].(float64) > 30 {
					t.Errorf("fast: %v iterations, want <= 30", m["iterations"])
				}
			}},
		{name: "unknown preset", args: []string{"sample", "--preset", "extreme"}, code: 2,
			stderr: []string{`--preset "extreme": want one of draft, balanced, ultra, fast, repro`}},
		{name: "unknown preset on solve", args: []string{"solve", "--x", "moons:20", "--y", "moons:20", "--preset", "x"}, code: 2,
			stderr: []string{"want one of draft"}},
		{name: "help lists --preset", args: []string{"sample", "-h"}, stdout: []string{"-preset", "draft, balanced, ultra"}},
	})
	// repro: the float64 CPU backend, seed 0, the ODE: two runs agree to the bit.
	args := []string{"sample", "--preset", "repro", "--n", "200", "--steps", "8", "--json", "--quality=false"}
	code1, out1, err1 := coreRun(args...)
	code2, out2, _ := coreRun(args...)
	if code1 != 0 || code2 != 0 || !strings.Contains(err1, "--backend=cpu --seed=0") {
		t.Fatalf("repro exited %d, %d; stderr %s", code1, code2, err1)
	}
	strip := func(s string) string { // time_ms differs run to run
		m := jsonObject(t, s)
		delete(m, "time_ms")
		if m["backend"] != "cpu" {
			t.Errorf("repro ran on %v, want cpu", m["backend"])
		}
		return strings.TrimSpace(stripJSONTime(t, m))
	}
	if strip(out1) != strip(out2) {
		t.Errorf("repro runs differ:\n%s\n%s", out1, out2)
	}
}

// stripJSONTime renders m (without timings) canonically for comparison.
func stripJSONTime(t *testing.T, m map[string]any) string {
	t.Helper()
	var b strings.Builder
	if code := writeJSON(&b, &b, "test", m); code != 0 {
		t.Fatalf("writeJSON: %d", code)
	}
	return b.String()
}

// otplay info lists every preset on the CPU (and on the GPU when one
// opens), with the reason each batch was chosen.
func TestInfoPresets(t *testing.T) {
	code, stdout, stderr := coreRun("info")
	if code != 0 {
		t.Fatalf("info exited %d: %s", code, stderr)
	}
	for _, w := range []string{"presets on cpu32", "draft     FastSB-OT  --steps=10 --n=250", "repro     SPOT",
		"why (draft, balanced, ultra, fast): CPU backend cpu32", "--iters=30"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("info lacks %q:\n%s", w, stdout)
		}
	}
	code, stdout, _ = coreRun("info", "--json")
	m := jsonObject(t, stdout)
	ps, ok := m["presets_cpu"].([]any)
	if code != 0 || !ok || len(ps) != 5 {
		t.Fatalf("info --json: presets_cpu = %v, want 5 presets", m["presets_cpu"])
	}
	if _, gpuOK := m["gpu"]; gpuOK {
		if g, _ := m["presets_gpu"].([]any); len(g) != 5 || !strings.Contains(stdout, "storage binding") {
			t.Errorf("a GPU opened but presets_gpu = %v lacks the binding reason", m["presets_gpu"])
		}
	}
}

// An explicit --backend overrides repro's cpu, and the note says what
// that costs.
func TestPresetReproBackendOverride(t *testing.T) {
	runCases(t, []cliCase{{name: "repro with --backend cpu32",
		args:   []string{"solve", "--x", "moons:50", "--y", "moons:50", "--preset", "repro", "--backend", "cpu32", "--json"},
		stderr: []string{"explicit --backend=cpu32", "repeatable only against runs on the same backend"},
		check: func(t *testing.T, stdout, _ string) {
			if m := jsonObject(t, stdout); m["backend"] != "cpu32" {
				t.Errorf("ran on %v, want cpu32", m["backend"])
			}
		}}})
}

// On a GPU (lavapipe here) the batch is read from the opened adapter's
// limits: lavapipe binds 128 MiB, which holds balanced's 4000 points,
// and is a software adapter, which quarters them.
func TestPresetGPU(t *testing.T) {
	if os.Getenv("OTPLAY_REQUIRE_GPU") != "1" {
		if _, err := openGPU(); err != nil {
			t.Skipf("no GPU here (%v); OTPLAY_REQUIRE_GPU=1 makes this a failure", err)
		}
	}
	code, stdout, stderr := coreRun("sample", "--preset", "balanced", "--backend", "gpu", "--steps", "4", "--json", "--quality=false")
	if code != 0 {
		t.Fatalf("sample --preset balanced --backend gpu: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "storage binding") {
		t.Errorf("the note lacks the adapter's storage-binding limit: %s", stderr)
	}
	m := jsonObject(t, stdout)
	want := 4000.0
	if strings.Contains(stderr, "software adapter") {
		want = 1000
	}
	if m["n"] != want || m["backend"] != "gpu" {
		t.Errorf("n = %v on %v, want %v on gpu (stderr %s)", m["n"], m["backend"], want, stderr)
	}
}

// The image work's resolution through the real entry point: --preset sets
// patch's --width and barycenter's --size where the command line does not,
// says why, and an explicit value wins.
func TestPresetResolutionCLI(t *testing.T) {
	src, tgt := patchTestImages(t, 120)
	runCases(t, []cliCase{
		{name: "patch draft shrinks to 96", args: []string{"patch", "--source", src, "--target", tgt, "--method", "sliced", "--iters", "3", "--preset", "draft", "--backend", "cpu32", "--json"},
			stderr: []string{"preset draft (FastSB-OT) sets --width=96", "CPU backend cpu32: no binding limit"},
			check: func(t *testing.T, stdout, _ string) {
				if s := jsonObject(t, stdout)["source"].([]any); s[0] != 96.0 {
					t.Errorf("draft: source %v, want 96 wide", s)
				}
			}},
		{name: "explicit --width wins", args: []string{"patch", "--source", src, "--target", tgt, "--method", "sliced", "--iters", "3", "--preset", "draft", "--width", "50", "--backend", "cpu32", "--json"},
			stderr: []string{"explicit --width=50"},
			check: func(t *testing.T, stdout, _ string) {
				if s := jsonObject(t, stdout)["source"].([]any); s[0] != 50.0 {
					t.Errorf("--width 50: source %v", s)
				}
			}},
		{name: "never enlarged", args: []string{"patch", "--source", src, "--target", tgt, "--method", "sliced", "--iters", "3", "--preset", "ultra", "--backend", "cpu32", "--json"},
			check: func(t *testing.T, stdout, _ string) {
				if s := jsonObject(t, stdout)["source"].([]any); s[0] != 120.0 {
					t.Errorf("ultra (320) on a 120-pixel image: source %v, want its own 120", s)
				}
			}},
		{name: "width smaller than a patch", args: []string{"patch", "--source", src, "--target", tgt, "--mode", "patch", "--width", "4"}, code: 2,
			stderr: []string{"--width 4: want 0 (the images' own) or at least --patch 8"}},
		{name: "barycenter draft is 16 pixels", args: []string{"barycenter", "--method", "convolutional", "--grid", "disc,ring", "--iters", "5", "--preset", "draft", "--backend", "cpu32", "--json"},
			stderr: []string{"preset draft (FastSB-OT) sets --size=16"},
			check: func(t *testing.T, stdout, _ string) {
				if m := jsonObject(t, stdout); m["h"] != 16.0 || m["w"] != 16.0 {
					t.Errorf("draft barycenter: %v x %v, want 16 x 16", m["h"], m["w"])
				}
			}},
		{name: "barycenter bad preset", args: []string{"barycenter", "--method", "convolutional", "--grid", "disc,ring", "--preset", "huge"}, code: 2,
			stderr: []string{`--preset "huge": want one of draft`}},
	})
}
