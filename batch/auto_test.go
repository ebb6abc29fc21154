//go:build !js

package batch

import (
	"errors"
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
		{"lavapipe only", []gpu.Info{lvp}, nil, "cpu32", "", []string{"the only WebGPU adapter is llvmpipe", "CPU driver", "cpu32", "2-D", "--backend gpu forces it"}},
		{"two CPU drivers", []gpu.Info{lvp, swift}, nil, "cpu32", "", []string{"adapters are llvmpipe", "SwiftShader", "CPU drivers"}},
		{"none", nil, nil, "cpu32", "", []string{"no WebGPU adapter", "none found"}},
		{"error", nil, errors.New("gpu: no WebGPU adapter: vulkan missing"), "cpu32", "", []string{"vulkan missing", "cpu32"}},
	} {
		c := ChooseAuto(tc.adapters, tc.err)
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
