package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/otplay/otplay/batch"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/gpu"
)

func init() {
	register(command{name: "info", summary: "show the compute backends, GPU adapter, limits and features", run: runInfo})
}

type infoReport struct {
	Version string       `json:"version"`
	GoOS    string       `json:"goos"`
	GoArch  string       `json:"goarch"`
	CPU     compute.Info `json:"cpu"`
	GPU     *gpuInfo     `json:"gpu,omitempty"`
	GPUErr  string       `json:"gpu_error,omitempty"`
	// Adapters lists every WebGPU adapter found (gpu.Adapters); Auto is
	// what --backend auto picks among them, and why.
	Adapters []adapterSummary `json:"adapters"`
	Auto     batch.AutoChoice `json:"auto"`
	// Presets are the --preset settings of sample and solve on the GPU
	// adapter (when one opened) and on the cpu32 backend, each with why.
	Presets    []batch.Preset `json:"presets_gpu,omitempty"`
	PresetsCPU []batch.Preset `json:"presets_cpu"`
}

type adapterSummary struct {
	Name     string `json:"name"`
	Backend  string `json:"backend"`
	Type     string `json:"type"`
	Software bool   `json:"software"`
}

type gpuInfo struct {
	Adapter  string     `json:"adapter"`
	Vendor   string     `json:"vendor,omitempty"`
	Backend  string     `json:"backend"`
	Type     string     `json:"type"`
	Driver   string     `json:"driver,omitempty"`
	Fallback bool       `json:"software"`
	Features []string   `json:"features"`
	Limits   gpu.Limits `json:"limits"`
}

func runInfo(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("info", `info [--json]

Shows the CPU backend, the WebGPU adapter otplay would use (name, API,
type), its limits and optional features, every adapter found, and what
--backend auto picks and why (a hardware GPU; cpu32 where the only
adapters are CPU drivers such as lavapipe), and the settings each
--preset of sample, solve, patch and barycenter gets on this adapter and
on the CPU, and why (storage-binding limit, software adapter, shader-f16;
the image work's resolution: the largest image whose buffers fit one
storage binding, capped at the preset's level). Exits 0 even without a GPU:
the report then says why there is none.`, stdout, stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	rep := infoReport{Version: version, GoOS: runtime.GOOS, GoArch: runtime.GOARCH, CPU: compute.NewCPU(0).Info()}
	adapters, aerr := gpu.Adapters()
	rep.Adapters = []adapterSummary{}
	for _, a := range adapters {
		rep.Adapters = append(rep.Adapters, adapterSummary{Name: a.Adapter, Backend: a.Backend, Type: a.Type, Software: a.Fallback})
	}
	rep.Auto = batch.ChooseAuto(adapters, aerr)
	if d, err := gpu.Open(gpu.Options{}); err != nil {
		rep.GPUErr = err.Error()
	} else {
		i := d.Info()
		rep.GPU = &gpuInfo{Adapter: i.Adapter, Vendor: i.Vendor, Backend: i.Backend, Type: i.Type, Driver: i.Driver,
			Fallback: i.Fallback, Features: i.Features, Limits: i.Limits}
		rep.Presets = batch.Presets(batch.HardwareFromGPU(i))
		d.Close()
	}
	rep.PresetsCPU = batch.Presets(batch.Hardware{Backend: "cpu32", Device: rep.CPU.Device})
	if *asJSON {
		return writeJSON(stdout, stderr, "info", rep)
	}
	fmt.Fprintf(stdout, "otplay %s (%s/%s)\n\n", rep.Version, rep.GoOS, rep.GoArch)
	fmt.Fprintf(stdout, "CPU backend   %s, %s\n", rep.CPU.Device, rep.CPU.Precision)
	if rep.GPU == nil {
		fmt.Fprintf(stdout, "GPU backend   none: %s\n", rep.GPUErr)
		fmt.Fprintf(stdout, "auto picks    %s: %s\n", rep.Auto.Backend, strings.TrimPrefix(rep.Auto.Reason, "auto: "))
		printPresets(stdout, "cpu32", rep.PresetsCPU)
		return 0
	}
	g := rep.GPU
	soft := ""
	if g.Fallback {
		soft = " (software: results are right, speed is a CPU's)"
	}
	fmt.Fprintf(stdout, "GPU backend   %s via %s, %s%s\n", g.Adapter, g.Backend, g.Type, soft)
	if g.Driver != "" {
		fmt.Fprintf(stdout, "  driver      %s\n", g.Driver)
	}
	l := g.Limits
	fmt.Fprintf(stdout, "  limits      storage binding %d MiB, buffer %d MiB, %d workgroups/dim, %d B workgroup memory, %d invocations/workgroup, %d storage buffers/stage\n",
		l.MaxStorageBufferBindingSize>>20, l.MaxBufferSize>>20, l.MaxComputeWorkgroupsPerDim, l.MaxWorkgroupStorageSize,
		l.MaxInvocationsPerWorkgroup, l.MaxStorageBuffersPerStage)
	fmt.Fprintf(stdout, "  features    %v\n", g.Features)
	if len(rep.Adapters) > 1 {
		for _, a := range rep.Adapters {
			fmt.Fprintf(stdout, "  adapter     %s via %s, %s\n", a.Name, a.Backend, a.Type)
		}
	}
	fmt.Fprintf(stdout, "auto picks    %s: %s\n", rep.Auto.Backend, strings.TrimPrefix(rep.Auto.Reason, "auto: "))
	printPresets(stdout, "gpu", rep.Presets)
	printPresets(stdout, "cpu32", rep.PresetsCPU)
	return 0
}

// printPresets prints the --preset table of one backend.
func printPresets(w io.Writer, backend string, ps []batch.Preset) {
	fmt.Fprintf(w, "\npresets on %s (--preset NAME; explicit flags override)\n", backend)
	fmt.Fprintf(w, "  %-9s %-10s %s\n", "name", "from", "sample | solve")
	for _, p := range ps {
		fmt.Fprintf(w, "  %-9s %-10s %s | %s\n", p.Name, p.Origin, flagList(p.SampleFlags()), flagList(p.SolveFlags()))
	}
	printReasons(w, ps, func(p batch.Preset) string { return p.Reason })
	// The image work's resolution (patch --width, barycenter --size).
	fmt.Fprintf(w, "  %-9s %-10s %s\n", "name", "", "patch | barycenter (resolution)")
	for _, p := range ps {
		fmt.Fprintf(w, "  %-9s %-10s %s | %s\n", p.Name, "", flagList(p.PatchFlags()), flagList(p.BarycenterFlags()))
	}
	printReasons(w, ps, func(p batch.Preset) string { return p.ResolutionReason })
}

// printReasons prints each distinct reason of ps once, after the presets
// it explains.
func printReasons(w io.Writer, ps []batch.Preset, reason func(batch.Preset) string) {
	var order []string
	names := map[string][]string{}
	for _, p := range ps {
		r := reason(p)
		if names[r] == nil {
			order = append(order, r)
		}
		names[r] = append(names[r], p.Name)
	}
	for _, r := range order {
		fmt.Fprintf(w, "  why (%s): %s\n", strings.Join(names[r], ", "), r)
	}
}

func flagList(kv [][2]string) string {
	parts := make([]string, len(kv))
	for i, f := range kv {
		parts[i] = "--" + f[0] + "=" + f[1]
	}
	return strings.Join(parts, " ")
}
