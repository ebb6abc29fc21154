package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

func bridgeRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"bridge"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// bridgeReadCSV reads t,x0,x1 rows into a map from t to points.
func bridgeReadCSV(t *testing.T, path string) map[float64][][]float64 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if lines[0] != "t,x0,x1" {
		t.Fatalf("header %q, want t,x0,x1", lines[0])
	}
	out := map[float64][][]float64{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		v := make([]float64, len(f))
		for k := range f {
			if v[k], err = strconv.ParseFloat(f[k], 64); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
		}
		out[v[0]] = append(out[v[0]], v[1:])
	}
	return out
}

// TestBridgeStaticEnds: the static bridge's samples at t = 0 are source
// points and at t = 1 target points (the same data specs, regenerated
// here), the middle time lies between, and the JSON report carries the
// solve and the quality at t = 1.
func TestBridgeStaticEnds(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "b.csv")
	code, stdout, stderr := bridgeRun("--backend", "cpu", "--source", "gaussian:200:seed=1", "--target", "moons:150",
		"--sigma", "0.3", "--n", "250", "--times", "0,0.5,1", "--json", "--out", csvPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, stdout)
	}
	if rep["sinkhorn_converged"] != true || math.Abs(rep["eps"].(float64)-0.18) > 1e-12 {
		t.Errorf("report: converged %v, eps %v (want true, 2 sigma^2 = 0.18)", rep["sinkhorn_converged"], rep["eps"])
	}
	q, ok := rep["quality_at_1"].(map[string]any)
	if !ok || q["sliced_w2"] == nil {
		t.Fatalf("no quality at t = 1: %v", rep)
	}
	if sw := q["sliced_w2"].(float64); sw > 0.15 {
		t.Errorf("sliced W2 of the t = 1 samples to the target %g > 0.15", sw)
	}
	pts := bridgeReadCSV(t, csvPath)
	on := func(p []float64, spec string) bool {
		set := bridgeTestSet(t, spec)
		for i := 0; i < set.N; i++ {
			if set.Points[2*i] == p[0] && set.Points[2*i+1] == p[1] {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		t    float64
		spec string
	}{{0, "gaussian:200:seed=1"}, {1, "moons:150"}} {
		if len(pts[c.t]) != 250 {
			t.Fatalf("t = %g: %d rows, want 250", c.t, len(pts[c.t]))
		}
		for _, p := range pts[c.t] {
			if !on(p, c.spec) {
				t.Fatalf("t = %g: %v is not a point of %s", c.t, p, c.spec)
			}
		}
	}
	if len(pts[0.5]) != 250 {
		t.Fatalf("t = 0.5: %d rows", len(pts[0.5]))
	}
}

// TestBridgeSDE: the SDE mode moves new particles (--start) onto the target:
// the sliced W2 at t = 1 is small, and the text report names the mode.
func TestBridgeSDE(t *testing.T) {
	code, stdout, stderr := bridgeRun("--backend", "cpu", "--mode", "sde", "--source", "gaussian:200:seed=1", "--target", "moons:200",
		"--start", "gaussian:300:seed=7", "--sigma", "0.2", "--n", "300", "--steps", "20", "--times", "0,1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Mode    string    `json:"mode"`
		Steps   int       `json:"steps"`
		Times   []float64 `json:"times"`
		Quality struct {
			SW float64 `json:"sliced_w2"`
		} `json:"quality_at_1"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Mode != "sde" || rep.Steps != 20 || len(rep.Times) != 2 {
		t.Errorf("report %+v", rep)
	}
	if rep.Quality.SW <= 0 || rep.Quality.SW > 0.15 {
		t.Errorf("SDE end points: sliced W2 to the target %g, want (0, 0.15]", rep.Quality.SW)
	}
	code, stdout, _ = bridgeRun("--backend", "cpu", "--mode", "sde", "--source", "gaussian:50", "--target", "moons:50", "--n", "20", "--steps", "4")
	if code != 0 || !strings.Contains(stdout, "sde: 20 samples") {
		t.Errorf("text report: exit %d, %q", code, stdout)
	}
}

func TestBridgeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--mode", "ode"},
		{"--sigma", "0"},
		{"--sigma", "-1"},
		{"--times", "0,1.5"},
		{"--times", "a"},
		{"--times", ""},
		{"--n", "0"},
		{"--steps", "0", "--mode", "sde"},
		{"--start", "moons:10"},
		{"--source", "nosuchset:10"},
		{"--source", "gaussian:10:d=3", "--target", "moons:10"},
		{"--out", "x.txt"},
		{"--steps", "1e9"},
		{"--steps", "1000000", "--mode", "sde"},
		{"--n", "100000000"},
		{"--tol", "0"},
		{"extra"},
	} {
		code, _, stderr := bridgeRun(append([]string{"--backend", "cpu"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "otplay bridge") && !strings.Contains(stderr, "Usage") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	if code, stdout, _ := bridgeRun("-h"); code != 0 || !strings.Contains(stdout, "Schrodinger bridge") {
		t.Errorf("-h: exit %d, stdout %q", code, stdout)
	}
}

func bridgeTestSet(t *testing.T, spec string) data.Set {
	t.Helper()
	s, err := data.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
