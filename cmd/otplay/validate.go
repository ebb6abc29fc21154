package main

import (
	"fmt"
	"io"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/conformance"
)

func init() {
	register(command{name: "validate", summary: "check this machine's GPU (and CPU) against float64 references", run: runValidate})
}

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := newCommandFlags("validate", `validate [--backend auto|gpu|cpu|all] [--quick] [--json] [-v]

Runs the kernel conformance suite (compute/conformance): every fused
kernel at sizes 1, 63, 64, 65 and 4097, dimensions 1 to 64, eps from 1e-4
to 1e3, compared with float64 references within documented tolerances.
Prints a table and exits 1 on any failure: a first check that your GPU
gives right answers.`, stdout, stderr)
	which := fs.String("backend", "all", "which backends to check: all (CPU and GPU), gpu, cpu")
	quick := fs.Bool("quick", false, "a reduced set of sizes")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	verbose := fs.Bool("v", false, "print every check, not only the failures")
	if st, ok := parseFlags(fs, args); !ok {
		return st
	}
	var backends []compute.Backend
	switch *which {
	case "all", "cpu", "gpu":
	default:
		fmt.Fprintf(stderr, "otplay validate: --backend %q: want all, gpu or cpu\n", *which)
		return 2
	}
	if *which != "gpu" {
		backends = append(backends, compute.NewCPU(0))
	}
	if *which != "cpu" {
		g, err := openGPU()
		if err != nil {
			fmt.Fprintf(stderr, "otplay validate: no GPU to check: %v\n", err)
			if *which == "gpu" {
				return 1
			}
		} else {
			defer g.Close()
			backends = append(backends, g)
		}
	}
	type report struct {
		Backend string               `json:"backend"`
		Device  string               `json:"device"`
		Checks  int                  `json:"checks"`
		Failed  int                  `json:"failed"`
		Results []conformance.Result `json:"results"`
	}
	var reps []report
	failed := 0
	for _, b := range backends {
		rs := conformance.Run(b, conformance.Options{Quick: *quick})
		f := conformance.Failed(rs)
		failed += f
		info := b.Info()
		reps = append(reps, report{Backend: info.Name, Device: info.Device, Checks: len(rs), Failed: f, Results: rs})
		if *asJSON {
			continue
		}
		fmt.Fprintf(stdout, "%s backend: %s (%s, %s)\n", info.Name, info.Device, info.API, info.Precision)
		for _, r := range rs {
			if *verbose || !r.Pass {
				fmt.Fprintf(stdout, "  %s\n", r)
			}
		}
		byOp := map[string][2]float64{}
		var order []string
		for _, r := range rs {
			v, seen := byOp[r.Op]
			if !seen {
				order = append(order, r.Op)
			}
			if r.Tol > 0 {
				v[0] = max(v[0], r.MaxErr/r.Tol)
			}
			v[1]++
			byOp[r.Op] = v
		}
		fmt.Fprintf(stdout, "  %-10s %7s %22s\n", "op", "checks", "worst error / tolerance")
		for _, op := range order {
			fmt.Fprintf(stdout, "  %-10s %7.0f %22.3f\n", op, byOp[op][1], byOp[op][0])
		}
		fmt.Fprintf(stdout, "  %d checks, %d failed\n\n", len(rs), f)
	}
	if *asJSON {
		if st := writeJSON(stdout, stderr, "validate", reps); st != 0 {
			return st
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "otplay validate: %d checks failed\n", failed)
		return 1
	}
	return 0
}
