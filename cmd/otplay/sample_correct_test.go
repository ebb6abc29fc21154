package main

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

func sampleJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	var o, e bytes.Buffer
	if code := run(append([]string{"sample", "--json", "--backend", "cpu"}, args...), &o, &e); code != 0 {
		t.Fatalf("sample %v: exit %d, stderr %s", args, code, e.String())
	}
	var m map[string]any
	if err := json.Unmarshal(o.Bytes(), &m); err != nil {
		t.Fatalf("sample %v: %v", args, err)
	}
	return m
}

// TestSampleCorrect: with a misspecified model (the gmm denoiser on the
// moons) the Schrodinger-bridge correction lowers the sliced W_2 and the
// Sinkhorn divergence to held-out data at the same NFE (measured: SW_2
// 0.178 -> 0.128, S 0.128 -> 0.058 with DDIM, 16 steps, 400 samples, 300
// reference points), and reports 15 corrections between 16 steps.
func TestSampleCorrect(t *testing.T) {
	args := []string{"--data", "moons:300", "--model", "gmm", "--sampler", "ddim", "--steps", "16", "--n", "400"}
	plain := sampleJSON(t, args...)
	corr := sampleJSON(t, append(args, "--correct")...)
	q0, q1 := plain["quality"].(map[string]any), corr["quality"].(map[string]any)
	t.Logf("SW_2 %.4f -> %.4f, Sinkhorn divergence %.4f -> %.4f, NFE %v -> %v", q0["sliced_w2"], q1["sliced_w2"], q0["sinkhorn_divergence"], q1["sinkhorn_divergence"], plain["nfe"], corr["nfe"])
	if !(q1["sliced_w2"].(float64) < 0.9*q0["sliced_w2"].(float64)) {
		t.Errorf("--correct SW_2 %v, plain %v: want a clear improvement", q1["sliced_w2"], q0["sliced_w2"])
	}
	if !(q1["sinkhorn_divergence"].(float64) < q0["sinkhorn_divergence"].(float64)) {
		t.Errorf("--correct Sinkhorn divergence %v, plain %v", q1["sinkhorn_divergence"], q0["sinkhorn_divergence"])
	}
	if corr["corrections"] != 15.0 || plain["corrections"] != nil || corr["nfe"] != plain["nfe"] {
		t.Errorf("corrections %v (plain %v), nfe %v vs %v; want 15, absent, equal", corr["corrections"], plain["corrections"], corr["nfe"], plain["nfe"])
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--correct-every", "2"}, "turn the correction on with --correct"},
		{[]string{"--correct", "--correct-relax", "1.5"}, "--correct-relax 1.5"},
		{[]string{"--correct", "--sampler", "ode-adaptive"}, "no fixed steps"},
	} {
		var o, e bytes.Buffer
		code := run(append([]string{"sample", "--data", "moons:50", "--n", "20", "--backend", "cpu"}, c.args...), &o, &e)
		if code != 2 || !strings.Contains(e.String(), c.want) {
			t.Errorf("sample %v: exit %d, stderr %q; want 2 and %q", c.args, code, e.String(), c.want)
		}
	}
}

// TestSamplePatchGuidance: --patch-guidance on the digits (8x8x1 by
// default for 64-D data) guides every evaluation at t <= --patch-tmax at
// the plain NFE and changes the samples; bad settings are refused. (Its
// effect on quality needs hundreds of samples: see BenchmarkGuidedSampling
// in solvers/patch.)
func TestSamplePatchGuidance(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--data", "digits:200", "--sampler", "ddim", "--steps", "3", "--n", "8", "--quality=false"}
	plainOut, guidedOut := filepath.Join(dir, "p.npy"), filepath.Join(dir, "g.npy")
	plain := sampleJSON(t, append(args, "--out", plainOut)...)
	guided := sampleJSON(t, append(args, "--out", guidedOut, "--patch-guidance", "0.5", "--patch-tmax", "1", "--patch-size", "2")...)
	if plain["nfe"] != guided["nfe"] || guided["patch_guided_calls"] != guided["nfe"] {
		t.Errorf("nfe plain %v, guided %v, guided calls %v: want all equal", plain["nfe"], guided["nfe"], guided["patch_guided_calls"])
	}
	p, err := data.Load(plainOut)
	if err != nil {
		t.Fatal(err)
	}
	g, err := data.Load(guidedOut)
	if err != nil {
		t.Fatal(err)
	}
	diff := 0.0
	for i := range p.Points {
		if math.IsNaN(g.Points[i]) || math.IsInf(g.Points[i], 0) {
			t.Fatalf("guided value %d = %v", i, g.Points[i])
		}
		diff = max(diff, math.Abs(p.Points[i]-g.Points[i]))
	}
	if diff < 1e-3 {
		t.Errorf("guidance changed the samples by at most %.3g", diff)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--patch-guidance", "2"}, "--patch-guidance 2"},
		{[]string{"--patch-size", "2"}, "turn patch guidance on"},
		{[]string{"--patch-guidance", "0.3", "--data", "moons:50"}, "--image HxWxC"},
		{[]string{"--patch-guidance", "0.3", "--image", "4x4x2"}, "--image 4x4x2 has 32 values"},
	} {
		var o, e bytes.Buffer
		code := run(append([]string{"sample", "--data", "digits:50", "--n", "4", "--steps", "2", "--backend", "cpu"}, c.args...), &o, &e)
		if code != 2 || !strings.Contains(e.String(), c.want) {
			t.Errorf("sample %v: exit %d, stderr %q; want 2 and %q", c.args, code, e.String(), c.want)
		}
	}
}

// TestSampleMMDSteps: the MMD-adaptive time grid lowers SW_2 to held-out
// data at equal NFE for the exact denoiser of the moons (measured 0.122 ->
// 0.083 with 500 samples, DDIM, 10 steps), and refuses --spacing and the
// adaptive sampler.
func TestSampleMMDSteps(t *testing.T) {
	args := []string{"--data", "moons:1000", "--model", "empirical", "--sampler", "ddim", "--steps", "10", "--n", "500"}
	plain := sampleJSON(t, args...)
	mmd := sampleJSON(t, append(args, "--mmd-steps")...)
	s0 := plain["quality"].(map[string]any)["sliced_w2"].(float64)
	s1 := mmd["quality"].(map[string]any)["sliced_w2"].(float64)
	t.Logf("SW_2 default grid %.4f, MMD grid %.4f (NFE %v, %v)", s0, s1, plain["nfe"], mmd["nfe"])
	if !(s1 < 0.9*s0) || plain["nfe"] != mmd["nfe"] {
		t.Errorf("--mmd-steps SW_2 %.4f vs %.4f, nfe %v vs %v: want lower at equal NFE", s1, s0, mmd["nfe"], plain["nfe"])
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mmd-steps", "--spacing", "karras"}, "drop --spacing karras"},
		{[]string{"--mmd-steps", "--sampler", "ode-adaptive"}, "picks its own steps"},
	} {
		var o, e bytes.Buffer
		code := run(append([]string{"sample", "--data", "moons:50", "--n", "20", "--backend", "cpu"}, c.args...), &o, &e)
		if code != 2 || !strings.Contains(e.String(), c.want) {
			t.Errorf("sample %v: exit %d, stderr %q; want 2 and %q", c.args, code, e.String(), c.want)
		}
	}
}
