package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

func sampleRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"sample"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestSampleJSON(t *testing.T) {
	code, out, errs := sampleRun(t, "--backend", "cpu", "--data", "8gaussians:300", "--n", "200", "--steps", "5", "--sampler", "dpmpp2m", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		NFE     int     `json:"nfe"`
		TimeMS  float64 `json:"time_ms"`
		N, D    int
		Quality map[string]any `json:"quality"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON %q: %v", out, err)
	}
	if rep.NFE != 6 || rep.N != 200 || rep.D != 2 || !(rep.TimeMS > 0) {
		t.Errorf("report %+v: want nfe 6 (5 steps + final denoise), n 200, d 2", rep)
	}
	for _, k := range []string{"mmd", "mmd2", "mmd_bandwidth", "sliced_w2", "sinkhorn_divergence", "sinkhorn_eps"} {
		if _, ok := rep.Quality[k]; !ok {
			t.Errorf("quality lacks %q: %v", k, rep.Quality)
		}
	}
	// The exact denoiser reproduces the data: 8gaussians samples are close
	// to fresh 8gaussians data.
	num := func(k string) float64 { v, _ := rep.Quality[k].(float64); return v }
	if num("sliced_w2") > 0.3 || num("mmd2") > 0.01 || num("sinkhorn_divergence") > 0.25 || rep.Quality["sinkhorn_converged"] != true {
		t.Errorf("quality %v: samples far from the data", rep.Quality)
	}
	// One DDIM step from pure noise lands near the posterior mean of x_1:
	// every metric must be worse.
	good := rep.Quality
	code, out, errs = sampleRun(t, "--backend", "cpu", "--data", "8gaussians:300", "--n", "200", "--steps", "1", "--sampler", "ddim", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rep.Quality = nil
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"mmd2", "sliced_w2", "sinkhorn_divergence"} {
		if !(num(k) > 2*good[k].(float64)) {
			t.Errorf("%s: 1 step %v, 5 steps %v: want clearly worse", k, num(k), good[k])
		}
	}
}

func TestSampleOutFilesAndSeed(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.csv", "b.csv", "c.npy"} {
		code, _, errs := sampleRun(t, "--backend", "cpu", "--data", "moons:200", "--model", "gmm", "--n", "50", "--steps", "4",
			"--sampler", "ddim", "--seed", "7", "--out", filepath.Join(dir, name))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.csv"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.csv"))
	if !bytes.Equal(a, b) || len(a) == 0 {
		t.Error("two runs with --seed 7 wrote different samples")
	}
	s, err := data.Load(filepath.Join(dir, "c.npy"))
	if err != nil || s.N != 50 || s.D != 2 {
		t.Fatalf("npy output: %v, %d x %d", err, s.N, s.D)
	}
	c, _ := data.Load(filepath.Join(dir, "a.csv"))
	for i := range c.Points {
		if c.Points[i] != s.Points[i] {
			t.Fatalf("csv and npy outputs differ at %d", i)
		}
	}
}

func TestSampleEverySampler(t *testing.T) {
	for _, sm := range []string{"ddpm", "ddim", "dpmpp2m", "dpmpp3m", "dpmpp2s", "heun", "euler-maruyama", "ode-adaptive"} {
		code, out, errs := sampleRun(t, "--backend", "cpu", "--data", "circles:100", "--n", "20", "--steps", "3", "--sampler", sm)
		if code != 0 || !strings.Contains(out, sm) {
			t.Errorf("%s: exit %d, out %q, err %q", sm, code, out, errs)
		}
	}
}

func TestSampleBadInput(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte("{not json"), 0o644)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--sampler", "euler"}, 2, "unknown sampler"},
		{[]string{"--steps", "0"}, 2, "--steps"},
		{[]string{"--n", "0"}, 2, "--n"},
		{[]string{"--eta", "1.5"}, 2, "--eta"},
		{[]string{"--data", "nosuchset"}, 2, "unknown data set"},
		{[]string{"--model", "vae"}, 2, "--model"},
		{[]string{"--model", "mlp"}, 2, "mlp:FILE"},
		{[]string{"--model", "rff", "--features", "0"}, 2, "--features = 0: want 1 .. 1048576"},
		{[]string{"--model", "rff:x"}, 2, "rff takes no file"},
		{[]string{"--schedule", "sqrt"}, 2, "unknown schedule"},
		{[]string{"--spacing", "geometric"}, 2, "unknown spacing"},
		{[]string{"--out", "x.txt"}, 2, "want a file name ending in .csv, .npy"},
		{[]string{"--out", filepath.Join(dir, "nope", "s.npy")}, 2, "does not exist"},
		{[]string{"--steps", "1000000000"}, 2, "--steps = 1000000000: want 1 .. 100000"},
		{[]string{"--n", "100000000"}, 2, "--n = 100000000: want 1 .. 4194304 points"},
		{[]string{"--model", "mlp:" + filepath.Join(dir, "missing.json")}, 1, "missing.json"},
		{[]string{"--model", "mlp:" + garbage}, 1, "not a model file"},
		{[]string{"extra"}, 2, "unexpected argument"},
	}
	for _, c := range cases {
		code, _, errs := sampleRun(t, append([]string{"--backend", "cpu", "--n", "10", "--steps", "2"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", c.args, code, c.code, errs, c.msg)
		}
	}
	if code, out, _ := sampleRun(t, "-h"); code != 0 || !strings.Contains(out, "dpmpp2m") {
		t.Errorf("-h: exit %d, help on stdout %q", code, out)
	}
}

func TestSampleJSONWithoutQuality(t *testing.T) {
	code, out, errs := sampleRun(t, "--backend", "cpu", "--data", "moons:100", "--n", "10", "--steps", "2", "--json", "--quality=false")
	if code != 0 || strings.Contains(out, "quality") || !strings.Contains(out, `"nfe": 3`) {
		t.Errorf("exit %d, out %s, err %s", code, out, errs)
	}
}

// TestSampleFreshFallback: digits has 183 threes; asking for 190 samples
// still reports quality (against as many fresh images as --data drew).
func TestSampleFreshFallback(t *testing.T) {
	code, out, errs := sampleRun(t, "--backend", "cpu", "--data", "digits:50:class=3", "--model", "gmm", "--n", "190", "--steps", "2", "--json")
	if code != 0 || !strings.Contains(out, "sliced_w2") {
		t.Errorf("exit %d, %s %s", code, out, errs)
	}
}

// TestSampleRFFModel runs otplay sample --model rff through its entry
// point: the samples must stay on the 8gaussians ring (quality within
// reach of the exact model's: sliced W2 < 1, the data's radius is 2) and
// the report name the model.
func TestSampleRFFModel(t *testing.T) {
	code, out, errs := sampleRun(t, "--backend", "cpu", "--model", "rff", "--features", "256", "--n", "200", "--steps", "10", "--data", "8gaussians:500", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep sampleReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Model != "rff" || rep.Quality == nil || rep.Quality.SlicedW2 == nil || !(*rep.Quality.SlicedW2 < 1) {
		t.Errorf("model %q, quality %+v: want rff and sliced W2 < 1", rep.Model, rep.Quality)
	}
}
