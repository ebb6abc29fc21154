//go:build !js

package batch

import (
	"errors"
	"strings"

	"github.com/otplay/otplay/gpu"
	"github.com/otplay/otplay/solvers/preset"
)

// The presets of --preset (FastSB-OT's draft, balanced, ultra; SPOT's
// fast, repro; ATLAS's batch and resolution from the adapter's limits)
// are package preset's, which the pages share; this file describes an
// opened WebGPU adapter for them and turns an unknown name into a usage
// error.

// PresetNames are the values of --preset, FastSB-OT's then SPOT's.
var PresetNames = preset.Names

// PresetHelp documents --preset.
const PresetHelp = preset.Help

// Hardware is what presets are chosen from (preset.Hardware).
type Hardware = preset.Hardware

// Preset is one named set of settings and why this hardware gets them
// (preset.Preset).
type Preset = preset.Preset

// HardwareFromGPU describes an opened (or listed) WebGPU adapter: its
// storage-binding and buffer limits, whether it is a software adapter,
// its features.
func HardwareFromGPU(i gpu.Info) Hardware {
	return Hardware{Backend: "gpu", Device: i.Adapter, Software: i.Fallback, Features: i.Features,
		Limits: preset.Limits{MaxStorageBufferBindingSize: i.Limits.MaxStorageBufferBindingSize, MaxBufferSize: i.Limits.MaxBufferSize}}
}

// Presets returns every preset for hardware h, in PresetNames' order.
func Presets(h Hardware) []Preset { return preset.All(h) }

// PresetFor returns the preset name for hardware h, or a UsageError
// naming the presets when name is not one of PresetNames.
func PresetFor(name string, h Hardware) (Preset, error) {
	p, err := preset.For(name, h)
	if errors.Is(err, preset.ErrUnknown) {
		return Preset{}, usage("--preset %q: want one of %s", name, strings.Join(PresetNames, ", "))
	}
	return p, err
}
