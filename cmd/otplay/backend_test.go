package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/otplay/otplay/gpu"
)

// --backend auto takes a hardware adapter and cpu32 when the only adapters
// are CPU drivers, saying why.
func TestChooseAuto(t *testing.T) {
	h100 := gpu.Info{Adapter: "NVIDIA H100 80GB HBM3", Backend: "Vulkan", Type: "discrete GPU"}
	igpu := gpu.Info{Adapter: "Intel(R) UHD Graphics 630", Backend: "Vulkan", Type: "integrated GPU"}
	lvp := gpu.Info{Adapter: "llvmpipe (LLVM 15.0.6, 256 bits)", Backend: "Vulkan", Type: "CPU", Fallback: true}
	swift := gpu.Info{Adapter: "SwiftShader Device (Subzero)", Backend: "Vulkan", Type: "CPU", Fallback: true}
	for _, tc := range []struct {
		name     string
		adapters []gpu.Info
		err      error
		backend  string
		adapter  string
		says     []string
	}{
		{"discrete", []gpu.Info{h100}, nil, "gpu", h100.Adapter, []string{"hardware", "discrete GPU"}},
		{"integrated", []gpu.Info{igpu}, nil, "gpu", igpu.Adapter, []string{"hardware", "integrated GPU"}},
		{"hardware after a CPU driver", []gpu.Info{lvp, h100}, nil, "gpu", h100.Adapter, []string{"NVIDIA"}},
		{"lavapipe only", []gpu.Info{lvp}, nil, "cpu32", "", []string{"the only WebGPU adapter is llvmpipe", "CPU driver", "cpu32", "--backend gpu forces it"}},
		{"two CPU drivers", []gpu.Info{lvp, swift}, nil, "cpu32", "", []string{"adapters are llvmpipe", "SwiftShader", "CPU drivers"}},
		{"none", nil, nil, "cpu32", "", []string{"no WebGPU adapter", "none found"}},
		{"error", nil, errors.New("gpu: no WebGPU adapter: vulkan missing"), "cpu32", "", []string{"vulkan missing", "cpu32"}},
	} {
		c := chooseAuto(tc.adapters, tc.err)
		if c.Backend != tc.backend || c.Adapter != tc.adapter {
			t.Errorf("%s: chose (%q, %q), want (%q, %q)", tc.name, c.Backend, c.Adapter, tc.backend, tc.adapter)
		}
		for _, s := range tc.says {
			if !strings.Contains(c.Reason, s) {
				t.Errorf("%s: reason %q does not say %q", tc.name, c.Reason, s)
			}
		}
	}
}

// Through the real entry point: info says what auto picks, consistently with
// the adapters it lists; solve --backend auto uses that backend and says why
// when it is cpu32; --backend gpu takes the adapter whatever its type
// (lavapipe in CI).
func TestAutoThroughTheCLI(t *testing.T) {
	code, stdout, stderr := coreRun("info", "--json")
	if code != 0 {
		t.Fatalf("info --json: exit %d, stderr %s", code, stderr)
	}
	var rep infoReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("info --json: %v\n%s", err, stdout)
	}
	hardware := false
	for _, a := range rep.Adapters {
		hardware = hardware || !a.Software
	}
	if want := map[bool]string{true: "gpu", false: "cpu32"}[hardware]; rep.Auto.Backend != want || rep.Auto.Reason == "" {
		t.Fatalf("info: auto = %+v with adapters %+v; want backend %s and a reason", rep.Auto, rep.Adapters, want)
	}
	args := []string{"solve", "--x", "gaussian:64:d=2:seed=1", "--y", "gaussian:64:d=2:seed=2", "--eps", "0.5", "--json"}
	var res struct {
		Backend string   `json:"backend"`
		Notes   []string `json:"notes"`
	}
	code, stdout, stderr = coreRun(append(args, "--backend", "auto")...)
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("solve --backend auto: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if res.Backend != rep.Auto.Backend {
		t.Errorf("solve --backend auto used %q; info said auto picks %q", res.Backend, rep.Auto.Backend)
	}
	if res.Backend == "cpu32" && !strings.Contains(strings.Join(res.Notes, "\n"), "cpu32") {
		t.Errorf("solve --backend auto took cpu32 without a note saying why: notes %q", res.Notes)
	}
	if os.Getenv("OTPLAY_REQUIRE_GPU") != "1" {
		return
	}
	code, stdout, stderr = coreRun(append(args, "--backend", "gpu")...)
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil || res.Backend != "gpu" {
		t.Errorf("solve --backend gpu: exit %d, backend %q\n%s", code, res.Backend, stderr)
	}
}
