package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSolveSpecialValues: `otplay solve` never reports `converged` over
// special values, on any backend. A NaN or infinite coordinate is refused
// before computing (exit 2, the point named); on the GPU, finite points
// whose squared distances overflow float32 (1e20 apart, eps 1e40, which
// the float64 backends solve) end in a numerical failure naming the
// iteration (exit 1), not in a converged plan of NaN.
func TestSolveSpecialValues(t *testing.T) {
	if os.Getenv("OTPLAY_REQUIRE_GPU") != "1" {
		if _, err := openGPU(); err != nil {
			t.Skipf("no GPU here (%v); OTPLAY_REQUIRE_GPU=1 makes this a failure", err)
		}
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	y := write("y.csv", "0.1,0.2\n0.3,0.4\n0.5,0.1\n0.7,0.7\n")
	nan := write("nan.csv", "0.1,0.2\n0.3,nan\n0.5,0.1\n0.9,0.9\n")
	inf := write("inf.csv", "0.1,0.2\n0.3,inf\n0.5,0.1\n0.9,0.9\n")
	far := write("far.csv", "1e20,0.2\n0.3,0.4\n0.5,0.1\n0.9,0.9\n")
	farY := write("fary.csv", "3e19,0.2\n0.3,0.4\n-1e19,0.1\n0.7,0.7\n")
	var cases []cliCase
	for _, b := range []string{"cpu", "cpu32", "gpu"} {
		cases = append(cases,
			cliCase{name: b + " NaN point", args: []string{"solve", "--x", nan, "--y", y, "--backend", b, "--json"}, code: 2,
				stderr: []string{"value nan is not finite (point 1, coordinate 1)"}},
			cliCase{name: b + " infinite point", args: []string{"solve", "--x", inf, "--y", y, "--backend", b, "--json"}, code: 2,
				stderr: []string{"value inf is not finite (point 1, coordinate 1)"}})
	}
	cases = append(cases, cliCase{name: "gpu float32 overflow", args: []string{"solve", "--x", far, "--y", farY, "--backend", "gpu", "--eps", "1e40", "--json"},
		code: 1, stderr: []string{"numerical failure: residual NaN"}})
	runCases(t, cases)
}
