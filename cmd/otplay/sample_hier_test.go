package main

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// TestSampleHierarchical runs --hierarchical through the real entry point:
// the seed's predictor (probability-flow Euler) with and without the
// smoothing at the same NFE, the Sinkhorn iterations reported, the samples
// moved; -h lists the flags and bad settings are refused.
func TestSampleHierarchical(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--data", "moons:200", "--sampler", "euler-maruyama", "--deterministic", "--steps", "5", "--n", "100", "--quality=false"}
	plainOut, hierOut := filepath.Join(dir, "p.npy"), filepath.Join(dir, "h.npy")
	plain := sampleJSON(t, append(args, "--out", plainOut)...)
	hier := sampleJSON(t, append(args, "--out", hierOut, "--hierarchical", "--hierarchical-eps", "0.05", "--hierarchical-scales", "0.5,1,2")...)
	if plain["nfe"] != hier["nfe"] || plain["hierarchical_iterations"] != nil {
		t.Errorf("nfe plain %v, hierarchical %v; plain hierarchical_iterations %v: want equal NFE and none", plain["nfe"], hier["nfe"], plain["hierarchical_iterations"])
	}
	if it, _ := hier["hierarchical_iterations"].(float64); it < 5 {
		t.Errorf("hierarchical_iterations %v: want >= 1 per step (5 steps)", hier["hierarchical_iterations"])
	}
	p, err := data.Load(plainOut)
	if err != nil {
		t.Fatal(err)
	}
	h, err := data.Load(hierOut)
	if err != nil {
		t.Fatal(err)
	}
	moved := 0.0
	for i := range p.Points {
		moved = math.Max(moved, math.Abs(p.Points[i]-h.Points[i]))
	}
	if !(moved > 1e-3) {
		t.Errorf("--hierarchical moved the samples by at most %g: want a visible change", moved)
	}
	var o, e bytes.Buffer
	if code := run([]string{"sample", "-h"}, &o, &e); code != 0 {
		t.Fatalf("sample -h: exit %d", code)
	}
	for _, f := range []string{"-hierarchical-eps", "-hierarchical-scales", "-hierarchical-barycentric", "-hierarchical-averaged", "ATLAS hierarchical sampler"} {
		if !strings.Contains(o.String()+e.String(), f) {
			t.Errorf("sample -h does not mention %q", f)
		}
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--hierarchical-eps", "0.1"}, 2, "turn the smoothing on with --hierarchical"},
		{[]string{"--hierarchical", "--hierarchical-eps", "-1"}, 2, "--hierarchical-eps -1"},
		{[]string{"--hierarchical", "--hierarchical-eps", "NaN"}, 2, "--hierarchical-eps NaN"},
		{[]string{"--hierarchical", "--hierarchical-scales", "1,x"}, 2, "--hierarchical-scales"},
		{[]string{"--hierarchical", "--hierarchical-scales", "1,0"}, 2, "--hierarchical-scales"},
		{[]string{"--hierarchical", "--sampler", "ode-adaptive"}, 2, "no fixed steps"},
		// eps = 0.1 on 300 moons: 20 alternating Sinkhorn iterations
		// leave the marginals off by more than 0.01 at some step, and the
		// run stops as the seed's does.
		{[]string{"--hierarchical", "--hierarchical-eps", "0.1", "--data", "moons:500", "--n", "300", "--sampler", "euler-maruyama", "--deterministic", "--steps", "20"}, 1, "marginal error"},
		// The averaged iteration meets it on the same run.
		{[]string{"--hierarchical", "--hierarchical-averaged", "--hierarchical-eps", "0.1", "--data", "moons:500", "--n", "300", "--sampler", "euler-maruyama", "--deterministic", "--steps", "20"}, 0, ""},
		{[]string{"--hierarchical-averaged"}, 2, "turn the smoothing on with --hierarchical"},
	} {
		var o, e bytes.Buffer
		code := run(append([]string{"sample", "--data", "moons:50", "--n", "40", "--backend", "cpu"}, c.args...), &o, &e)
		if code != c.code || !strings.Contains(e.String(), c.want) {
			t.Errorf("sample %v: exit %d, stderr %q; want %d and %q", c.args, code, e.String(), c.code, c.want)
		}
	}
}
