package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
)

// presetHardware describes the hardware a run with --backend backend
// uses: the CPU backend named, or the WebGPU adapter (opened to read its
// limits) that gpu or auto (batch.ChooseAuto) takes.
func presetHardware(backend string) batch.Hardware {
	cpu := func(name string) batch.Hardware {
		return batch.Hardware{Backend: name, Device: compute.NewCPU(0).Info().Device}
	}
	switch backend {
	case "cpu32", "cpu", "cpuref":
		return cpu(backend)
	case "auto":
		if batch.ChooseAuto(gpu.Adapters()).Backend != "gpu" {
			return cpu("cpu32")
		}
	}
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		return cpu("cpu32")
	}
	defer d.Close()
	return batch.HardwareFromGPU(d.Info())
}

// applyPreset sets the flags of preset name (--preset) that the command
// line left unset: explicit flags override the preset. settings picks
// the command's flags (batch.Preset.SampleFlags or SolveFlags). It notes
// what it set, and why, on stderr.
func applyPreset(fs *flag.FlagSet, cmd, name string, settings func(batch.Preset) [][2]string, stderr io.Writer) error {
	return applyPresetAdjusted(fs, cmd, name, nil, settings, stderr)
}

// applyPresetAdjusted is applyPreset with the preset first adjusted to
// the command's other flags (adjust may be nil): patch's resolution
// depends on its --patch and --stride.
func applyPresetAdjusted(fs *flag.FlagSet, cmd, name string, adjust func(*batch.Preset, batch.Hardware), settings func(batch.Preset) [][2]string, stderr io.Writer) error {
	if name == "" {
		return nil
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	hw := presetHardware(fs.Lookup("backend").Value.String())
	p, err := batch.PresetFor(name, hw)
	if err != nil {
		return err
	}
	if adjust != nil {
		adjust(&p, hw)
	}
	if explicit["backend"] && p.Backend != "" {
		p.Reason = fmt.Sprintf("explicit --backend %s instead of %s's %s: repeatable only against runs on the same backend", fs.Lookup("backend").Value.String(), p.Name, p.Backend)
	}
	var set, kept []string
	for _, kv := range settings(p) {
		if explicit[kv[0]] {
			kept = append(kept, "--"+kv[0]+"="+fs.Lookup(kv[0]).Value.String())
			continue
		}
		if err := fs.Set(kv[0], kv[1]); err != nil {
			return fmt.Errorf("--preset %s: --%s=%s: %w", name, kv[0], kv[1], err)
		}
		set = append(set, "--"+kv[0]+"="+kv[1])
	}
	msg := fmt.Sprintf("otplay %s: preset %s (%s) sets %s", cmd, p.Name, p.Origin, strings.Join(set, " "))
	if len(kept) > 0 {
		msg += "; explicit " + strings.Join(kept, " ")
	}
	// The reason sizes sample's batch, and the image work's resolution;
	// solve has none unless the preset forces a backend.
	switch {
	case cmd == "patch" || cmd == "barycenter":
		msg += "; " + p.ResolutionReason
	case cmd == "sample" || p.Backend != "":
		msg += "; " + p.Reason
	}
	fmt.Fprintln(stderr, msg)
	return nil
}
