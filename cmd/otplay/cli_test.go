package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// One table per class of issue 9 parts 2-5 and issue 11 part 6: each
// row is a reproduction from the issue (or its close kin), run through
// the real entry point.

// cliCase is one command line and what must hold after it.
type cliCase struct {
	name   string
	args   []string
	code   int
	stdout []string // substrings of stdout
	stderr []string // substrings of stderr
	check  func(t *testing.T, stdout, stderr string)
}

func runCases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, c := range cases {
		code, stdout, stderr := coreRun(c.args...)
		if code != c.code {
			t.Errorf("%s: %v exited %d, want %d\nstderr: %s", c.name, c.args, code, c.code, stderr)
			continue
		}
		for _, w := range c.stdout {
			if !strings.Contains(stdout, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", c.name, w, stdout)
			}
		}
		for _, w := range c.stderr {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", c.name, w, stderr)
			}
		}
		if c.check != nil {
			c.check(t, stdout, stderr)
		}
	}
}

func jsonObject(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

// TestOutputsAlwaysPrint: issue 9 part 2.
func TestOutputsAlwaysPrint(t *testing.T) {
	dir := t.TempDir()
	pots := filepath.Join(dir, "fg.npz")
	runCases(t, []cliCase{
		{
			name: "--tau +Inf --json (documented as balanced) prints, with tau null and noted",
			args: []string{"solve", "--backend", "cpu", "--x", "moons:40", "--y", "8gaussians:30", "--method", "unbalanced", "--tau", "+Inf", "--json", "--potentials", pots},
			code: 0, stderr: []string{"/tau = +Inf"},
			check: func(t *testing.T, stdout, _ string) {
				m := jsonObject(t, stdout)
				if v, ok := m["tau"]; !ok || v != nil {
					t.Errorf("tau = %v (present %v), want null", v, ok)
				}
				if nf, _ := m["nonfinite"].(map[string]any); nf["/tau"] != "+Inf" {
					t.Errorf("nonfinite = %v, want /tau: +Inf", m["nonfinite"])
				}
				if _, err := os.Stat(pots); err != nil {
					t.Errorf("potentials not written: %v", err)
				}
			},
		},
		{
			name: "--tol 0 never stops early",
			args: []string{"solve", "--backend", "cpu", "--x", "moons:40", "--y", "8gaussians:30", "--eps", "1", "--tol", "0", "--iters", "70", "--json"},
			code: 0,
			check: func(t *testing.T, stdout, _ string) {
				m := jsonObject(t, stdout)
				if m["iterations"] != float64(70) || !strings.Contains(stdout, "--tol 0: ran all 70 iterations") {
					t.Errorf("--tol 0: iterations %v, notes %v; want all 70 and the note", m["iterations"], m["notes"])
				}
			},
		},
		{
			name: "the default tolerance still stops early",
			args: []string{"solve", "--backend", "cpu", "--x", "moons:40", "--y", "8gaussians:30", "--eps", "1", "--iters", "70", "--json"},
			code: 0,
			check: func(t *testing.T, stdout, _ string) {
				if m := jsonObject(t, stdout); m["converged"] != true || m["iterations"].(float64) >= 70 {
					t.Errorf("default tol: %v", m)
				}
			},
		},
	})
}

// TestWritesLoseNothing: issue 9 part 3 (the kill tests are in
// signals_test.go).
func TestWritesLoseNothing(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.npy")
	os.WriteFile(old, []byte("old"), 0o600)
	umask := syscall.Umask(0o22)
	syscall.Umask(umask)
	mode := func(p string) os.FileMode {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	plan := filepath.Join(dir, "plan.npy")
	runCases(t, []cliCase{
		{
			name: "solve's outputs get the umask's mode (they came out 0600)",
			args: []string{"solve", "--backend", "cpu", "--x", "moons:20", "--y", "moons:20:seed=1", "--plan", plan},
			code: 0,
			check: func(t *testing.T, _, _ string) {
				if got, want := mode(plan), os.FileMode(0o666&^umask); got != want {
					t.Errorf("plan mode %v, want %v", got, want)
				}
			},
		},
		{
			name: "a replaced file keeps its mode",
			args: []string{"sample", "--backend", "cpu", "--n", "50", "--steps", "2", "--out", old},
			code: 0,
			check: func(t *testing.T, _, _ string) {
				if mode(old) != 0o600 {
					t.Errorf("replaced file mode %v, want 0600 kept", mode(old))
				}
			},
		},
		{
			name: "sample --out into a missing folder fails before the work",
			args: []string{"sample", "--backend", "cpu", "--out", filepath.Join(dir, "missing", "s.npy")},
			code: 2, stderr: []string{"folder", "does not exist"},
		},
		{
			name: "train --out with an unknown extension fails before training",
			args: []string{"train", "--backend", "cpu", "--steps", "50", "--out", filepath.Join(dir, "model.bin")},
			code: 2, stderr: []string{"want a file name ending in .json"},
			check: func(t *testing.T, _, stderr string) {
				if strings.Contains(stderr, "loss") {
					t.Errorf("training ran before the output was refused: %s", stderr)
				}
			},
		},
		{
			name: "train refuses a model sample could not read (the 359 MB --hidden 4096,4096)",
			args: []string{"train", "--backend", "cpu", "--hidden", "4096,4096", "--out", filepath.Join(dir, "big.json")},
			code: 2, stderr: []string{"parameters exceed the model limit of 10737418", "256 MiB"},
		},
		{
			name: "truncate --out on a file fails before the work",
			args: []string{"truncate", "--backend", "cpu", "--quick", "--out", old},
			code: 2, stderr: []string{"is not a folder"},
		},
		{
			name: "patch --out into a missing folder fails before the work",
			args: []string{"patch", "--source", "x.png", "--target", "y.png", "--out", filepath.Join(dir, "missing", "o.png")},
			code: 2, stderr: []string{"does not exist"},
		},
	})
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// TestBoundsNamedUpFront: issue 9 part 4.
func TestBoundsNamedUpFront(t *testing.T) {
	dir := t.TempDir()
	h := "{'descr': '<f8', 'fortran_order': False, 'shape': (67108864, 1), }"
	b := append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), 0)
	b = append(append(b, h...), make([]byte, 32)...)
	lying := filepath.Join(dir, "lying.npy")
	os.WriteFile(lying, b, 0o644)
	runCases(t, []cliCase{
		{name: "sample --steps 1e9", args: []string{"sample", "--steps", "1000000000"}, code: 2, stderr: []string{"--steps = 1000000000: want 1 .. 100000"}},
		{name: "sample --n beyond the points limit", args: []string{"sample", "--n", "100000000"}, code: 2, stderr: []string{"--n = 100000000: want 1 .. 4194304"}},
		{name: "bridge --steps beyond the limit", args: []string{"bridge", "--steps", "100000000"}, code: 2, stderr: []string{"--steps = 100000000: want 1 .. 100000"}},
		{name: "bench --sizes 1e8", args: []string{"bench", "--sizes", "1e8"}, code: 2, stderr: []string{`--sizes: "1e8" is not a whole number in [1, 1048576]`}},
		{name: "bench --d beyond the kernels' limit", args: []string{"bench", "--d", "1000"}, code: 2, stderr: []string{"--d = 1000: want 1 .. 256"}},
		{name: "train --steps beyond the limit", args: []string{"train", "--steps", "100000000", "--out", filepath.Join(dir, "m.json")}, code: 2, stderr: []string{"--steps = 100000000: want 1 .. 10000000"}},
		{
			name: "a .npy header claiming 2^26 rows is refused by its size, not allocated",
			args: []string{"solve", "--backend", "cpu", "--x", lying, "--y", "moons:10"}, code: 2,
			stderr: []string{"declares shape [67108864 1] of <f8 (536870912 bytes) but the file holds 32 bytes"},
		},
	})
}

// TestInputFormats: issue 9 part 5, through otplay solve.
func TestInputFormats(t *testing.T) {
	td := "../../solvers/data/testdata"
	dir := t.TempDir()
	goLit := filepath.Join(dir, "go.csv")
	os.WriteFile(goLit, []byte("1,2\n1_000,3\n"), 0o644)
	hex := filepath.Join(dir, "hex.txt")
	os.WriteFile(hex, []byte("0x1p3 1\n2 3\n"), 0o644)
	n := func(want float64) func(t *testing.T, stdout, _ string) {
		return func(t *testing.T, stdout, _ string) {
			if m := jsonObject(t, stdout); m["n"] != want {
				t.Errorf("n = %v, want %v", m["n"], want)
			}
		}
	}
	solve := func(x string) []string {
		return []string{"solve", "--backend", "cpu", "--x", x, "--y", "gaussian:5:seed=1", "--json"}
	}
	runCases(t, []cliCase{
		{name: "np.savetxt default (spaces): the first line is data", args: solve(filepath.Join(td, "savetxt_spaces.txt")), code: 0, check: n(3)},
		{name: "tab-separated", args: solve(filepath.Join(td, "savetxt_tabs.tsv")), code: 0, check: n(3)},
		{name: "Fortran order .npy", args: []string{"solve", "--backend", "cpu", "--x", filepath.Join(td, "fortran.npy"), "--y", "gaussian:4:d=3", "--json"}, code: 0, check: n(2)},
		{name: "int64 .npy", args: []string{"solve", "--backend", "cpu", "--x", filepath.Join(td, "int64.npy"), "--y", "gaussian:4:d=1", "--json"}, code: 0, check: n(4)},
		{name: "big-endian float32 Fortran .npy", args: []string{"solve", "--backend", "cpu", "--x", filepath.Join(td, "f4_be_fortran.npy"), "--y", "gaussian:4:d=3", "--json"}, code: 0, check: n(2)},
		{name: ".npz with one array", args: solve(filepath.Join(td, "one_compressed.npz")), code: 0, check: n(3)},
		{name: "Go literal 1_000 refused", args: solve(goLit), code: 2, stderr: []string{`line 2, column 1: "1_000" is not a number`}},
		{name: "Go hex float 0x1p3 refused", args: solve(hex), code: 2, stderr: []string{`line 1, column 1: "0x1p3" is not a number`}},
	})
}

// TestCLIConventions: issue 11 part 6.
func TestCLIConventions(t *testing.T) {
	var cases []cliCase
	for _, c := range []string{"solve", "sample", "bridge", "train", "truncate", "patch", "bench", "info", "validate", "version"} {
		cases = append(cases,
			cliCase{name: c + " -h prints help to stdout", args: []string{c, "-h"}, code: 0, stdout: []string{"Usage: otplay " + c, "Flags:"},
				check: func(t *testing.T, _, stderr string) {
					if stderr != "" {
						t.Errorf("%s -h wrote to stderr: %q", c, stderr)
					}
				}},
			cliCase{name: c + " with a bad flag prints the error and the one-line usage", args: []string{c, "--no-such-flag"}, code: 2,
				stderr: []string{"otplay " + c + ": flag provided but not defined: -no-such-flag", "Usage: otplay " + c, "otplay " + c + " -h"},
				check: func(t *testing.T, stdout, stderr string) {
					if lines := strings.Count(stderr, "\n"); lines > 3 || stdout != "" {
						t.Errorf("%s: %d lines on stderr (want 3), stdout %q:\n%s", c, lines, stdout, stderr)
					}
				}},
		)
	}
	cases = append(cases,
		cliCase{name: "otplay -h to stdout", args: []string{"-h"}, code: 0, stdout: []string{"Commands:", "version"}},
		cliCase{name: "otplay version", args: []string{"version"}, code: 0, stdout: []string{"otplay ", "go1.", "WebGPU binding github.com/cogentcore/webgpu v"}},
		cliCase{name: "otplay --version", args: []string{"--version"}, code: 0, stdout: []string{"otplay ", "WebGPU binding"}},
		cliCase{name: "otplay version --json", args: []string{"version", "--json"}, code: 0,
			check: func(t *testing.T, stdout, _ string) {
				m := jsonObject(t, stdout)
				if !strings.HasPrefix(m["go"].(string), "go1.") || !strings.Contains(m["webgpu_binding"].(string), "cogentcore/webgpu") {
					t.Errorf("version JSON %v", m)
				}
			}},
		cliCase{name: "no progress frames off a terminal (solve --json 2>&1 stays JSON)",
			args: []string{"solve", "--backend", "cpu", "--x", "moons:300", "--y", "moons:300:seed=1", "--eps", "1e-3", "--iters", "3000", "--json"}, code: 0,
			check: func(t *testing.T, stdout, stderr string) {
				if strings.ContainsAny(stdout+stderr, "\r\x1b") {
					t.Errorf("carriage returns or escapes in the output of a run off a terminal: stderr %q", stderr)
				}
			}},
	)
	runCases(t, cases)
}

// TestBridgeOutNPY: bridge samples as .npy, rows (t, x0, x1).
func TestBridgeOutNPY(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.npy")
	code, _, stderr := coreRun("bridge", "--backend", "cpu", "--source", "gaussian:50", "--target", "moons:50", "--n", "40", "--times", "0,1", "--out", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s, err := dataLoad(p)
	if err != nil || s.N != 80 || s.D != 3 || s.Points[0] != 0 || s.Points[3*40] != 1 {
		t.Errorf("bridge .npy: %d x %d, %v; want 80 x 3 with t = 0 then 1", s.N, s.D, err)
	}
}

func dataLoad(p string) (data.Set, error) { return data.Load(p) }
