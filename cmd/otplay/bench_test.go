package main

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
)

// bench --d LIST --kernel sinkhorn: one row per (d, n, kernel), the CPU
// backends by name, eps 0.05 d/2 by default, the Sinkhorn iteration's
// pairs counted twice, CPU time reported; bad lists and kernels exit 2.
func TestBenchSinkhornDims(t *testing.T) {
	for _, be := range []string{"cpu", "cpuref", "cpu32"} {
		code, stdout, stderr := coreRun("bench", "--backend", be, "--kernel", "sinkhorn,softmin", "--d", "2,5",
			"--sizes", "70", "--data", "normal", "--reps", "2", "--batch", "1", "--json")
		if code != 0 {
			t.Fatalf("bench --backend %s: exit %d, %s", be, code, stderr)
		}
		var rows []benchRow
		if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
			t.Fatalf("bench --json: %v\n%s", err, stdout)
		}
		if len(rows) != 4 {
			t.Fatalf("bench --backend %s: %d rows, want 4 (2 dimensions x 2 kernels): %+v", be, len(rows), rows)
		}
		for k, r := range rows {
			wantD, wantKernel := []int{2, 2, 5, 5}[k], []string{"sinkhorn", "softmin", "sinkhorn", "softmin"}[k]
			if r.Backend != be || r.D != wantD || r.Kernel != wantKernel || r.Data != "normal" || r.Eps != 0.05*float64(wantD)/2 {
				t.Errorf("row %d = %+v, want backend %s, d %d, kernel %s, data normal, eps 0.05 d/2", k, r, be, wantD, wantKernel)
			}
			pairs := 70.0 * 70
			if r.Kernel == "sinkhorn" {
				pairs *= 2
			}
			if got := r.PairsPerSec * r.MedianMS / 1e3; got < pairs*0.999 || got > pairs*1.001 {
				t.Errorf("row %d: pairs/s x median = %g pairs, want %g", k, got, pairs)
			}
			if !(r.CPUMS >= 0) {
				t.Errorf("row %d: cpu_ms = %v", k, r.CPUMS)
			}
		}
	}
	// --kernel solver: the ot.Solver's iteration, two soft-mins' pairs, a
	// finite potential.
	code, stdout, stderr := coreRun("bench", "--backend", "cpu", "--kernel", "solver", "--sizes", "60", "--reps", "2", "--batch", "20", "--json")
	var rows []benchRow
	if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil || len(rows) != 1 {
		t.Fatalf("bench --kernel solver: exit %d, %s %s", code, stdout, stderr)
	}
	if r := rows[0]; r.Kernel != "solver" || r.PairsPerSec*r.MedianMS/1e3 < 2*60*60*0.999 || r.PairsPerSec*r.MedianMS/1e3 > 2*60*60*1.001 {
		t.Errorf("bench --kernel solver: %+v, want kernel solver and 2 x 60 x 60 pairs a call", r)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--d", "2,x"}, "--d = x"},
		{[]string{"--d", "2,300"}, "--d = 300"},
		{[]string{"--kernel", "sinkhorn,fft"}, `unknown kernel "fft"`},
		{[]string{"--data", "spiral"}, `--data "spiral"`},
		{[]string{"--values", "v"}, `--values "v"`},
	} {
		code, _, stderr := coreRun(append([]string{"bench", "--backend", "cpu", "--sizes", "10"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("bench %v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.msg)
		}
	}
}

// bench --kernel softmean times the denoiser's SoftMeanY by default
// (values "y") and SoftMean of an array of its own with --values apart;
// each row names its values.
func TestBenchSoftMeanValues(t *testing.T) {
	for _, values := range []string{"y", "apart"} {
		code, stdout, stderr := coreRun("bench", "--backend", "cpu", "--kernel", "softmean", "--d", "2,8", "--sizes", "50",
			"--values", values, "--reps", "1", "--batch", "1", "--json")
		var rows []benchRow
		if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil || len(rows) != 2 {
			t.Fatalf("bench --values %s: exit %d, %s %s", values, code, stdout, stderr)
		}
		for _, r := range rows {
			if r.Values != values || !(r.MedianMS > 0) {
				t.Errorf("bench --values %s: row %+v", values, r)
			}
		}
	}
}

// TestBenchSpecial: bench --special runs every special value through both
// kernels, and benchSpecial puts each where its name says: the CPU's
// soft-min is then -Inf everywhere for inf-potential, NaN for
// nan-potential, +Inf at row N/2 only for inf-point, +Inf everywhere for
// no-weight and finite for none; an unknown name is refused.
func TestBenchSpecial(t *testing.T) {
	code, stdout, stderr := coreRun("bench", "--backend", "cpu", "--kernel", "softmin,softmean", "--d", "2", "--sizes", "40",
		"--special", strings.Join(benchSpecials, ","), "--reps", "1", "--batch", "1", "--json")
	var rows []benchRow
	if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil || len(rows) != 2*len(benchSpecials) {
		t.Fatalf("bench --special: exit %d, %s %s", code, stdout, stderr)
	}
	for i, r := range rows {
		if r.Special != benchSpecials[i/2] {
			t.Errorf("row %d: special %q, want %q", i, r.Special, benchSpecials[i/2])
		}
	}
	if code, _, _ := coreRun("bench", "--backend", "cpu", "--special", "none,bogus"); code != 2 {
		t.Errorf("bench --special none,bogus: exit %d, want 2", code)
	}
	b := compute.NewCPU(0)
	const n, d = 9, 2
	for _, special := range benchSpecials {
		x, _ := b.Upload(make([]float64, n*d))
		y, _ := b.Upload(make([]float64, n*d))
		g, _ := b.Alloc(n)
		logw, _ := b.Upload(slices.Repeat([]float64{-math.Log(n)}, n))
		out, _ := b.Alloc(n)
		p := compute.Pairs{X: x, Y: y, N: n, M: n, D: d, Eps: 0.1}
		if err := benchSpecial(b, &p, g, logw, special); err != nil {
			t.Fatal(err)
		}
		if err := b.SoftMin(out, p); err != nil {
			t.Fatal(err)
		}
		f := make([]float64, n)
		if err := b.Read(f, out); err != nil {
			t.Fatal(err)
		}
		for i, v := range f {
			var ok bool
			switch special {
			case "none":
				ok = !math.IsNaN(v) && !math.IsInf(v, 0)
			case "inf-potential":
				ok = math.IsInf(v, -1)
			case "nan-potential":
				ok = math.IsNaN(v)
			case "inf-point":
				ok = math.IsInf(v, 1) == (i == n/2) && !math.IsNaN(v)
			case "no-weight":
				ok = math.IsInf(v, 1)
			}
			if !ok {
				t.Errorf("%s: soft-min row %d = %v", special, i, v)
			}
		}
	}
}
