package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
)

// classCentres returns the mean of each class of a labelled data spec.
func classCentres(t *testing.T, spec string) [][2]float64 {
	t.Helper()
	set, err := data.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	var sum [][2]float64
	var cnt []float64
	for i, l := range set.Labels {
		for len(sum) <= l {
			sum, cnt = append(sum, [2]float64{}), append(cnt, 0)
		}
		sum[l][0] += set.Points[2*i]
		sum[l][1] += set.Points[2*i+1]
		cnt[l]++
	}
	for k := range sum {
		sum[k][0] /= cnt[k]
		sum[k][1] /= cnt[k]
	}
	return sum
}

// classShare returns the fraction of the points of a file nearest to
// centre k.
func classShare(t *testing.T, path string, centres [][2]float64, k int) float64 {
	t.Helper()
	set, err := data.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	hit := 0
	for i := range set.N {
		best, bd := 0, math.Inf(1)
		for c, m := range centres {
			if d := math.Hypot(set.Points[2*i]-m[0], set.Points[2*i+1]-m[1]); d < bd {
				best, bd = c, d
			}
		}
		if best == k {
			hit++
		}
	}
	return float64(hit) / float64(set.N)
}

// TestSampleClassExact: --class with the exact models samples the class
// (the mixture / data restricted to it); --guidance 0 is unconditional;
// the report names class and guidance and measures quality against the
// class's held-out data.
func TestSampleClassExact(t *testing.T) {
	spec := "8gaussians:1000"
	centres := classCentres(t, spec)
	dir := t.TempDir()
	for _, c := range []struct {
		model string
		w     string
		lo    float64
	}{{"gmm", "1", 0.99}, {"empirical", "1", 0.99}, {"gmm", "3", 0.99}, {"gmm", "0", 0}} {
		out := filepath.Join(dir, c.model+c.w+".csv")
		code, stdout, errs := sampleRun(t, "--backend", "cpu", "--data", spec, "--model", c.model, "--class", "3", "--guidance", c.w,
			"--n", "300", "--steps", "15", "--out", out, "--json")
		if code != 0 {
			t.Fatalf("%s W=%s: exit %d: %s", c.model, c.w, code, errs)
		}
		var rep struct {
			Class    *int     `json:"class"`
			Guidance *float64 `json:"guidance"`
			Quality  struct {
				SlicedW2 float64 `json:"sliced_w2"`
			} `json:"quality"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Class == nil || *rep.Class != 3 || rep.Guidance == nil {
			t.Errorf("%s W=%s: report class %v guidance %v", c.model, c.w, rep.Class, rep.Guidance)
		}
		share := classShare(t, out, centres, 3)
		t.Logf("%s W=%s: share at centre 3 %.3f, sliced W2 %.4f", c.model, c.w, share, rep.Quality.SlicedW2)
		if c.w == "0" {
			if share > 0.3 {
				t.Errorf("%s W=0 (unconditional): %.3f of the samples at centre 3, want about 1/8", c.model, share)
			}
			continue
		}
		if share < c.lo {
			t.Errorf("%s W=%s: %.3f of the samples at centre 3, want >= %g", c.model, c.w, share, c.lo)
		}
		if c.w == "1" && rep.Quality.SlicedW2 > 0.15 {
			t.Errorf("%s W=1: sliced W2 to class 3's held-out data %.4f, want < 0.15", c.model, rep.Quality.SlicedW2)
		}
	}
}

// TestTrainConditionalThenSample trains a small class-conditional model
// through the command and samples a class with guidance.
func TestTrainConditionalThenSample(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "c.json")
	code, out, errs := trainRun(t, "--backend", "cpu", "--data", "8gaussians:500", "--steps", "300", "--batch", "128",
		"--hidden", "32,32", "--lr", "3e-3", "--conditional", "--out", model, "--json")
	if code != 0 {
		t.Fatalf("train --conditional: exit %d: %s", code, errs)
	}
	var rep trainReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Classes != 8 || rep.Params != (2+16+8)*32+32+32*32+32+32*2+2 {
		t.Errorf("report classes %d params %d", rep.Classes, rep.Params)
	}
	code, out, errs = sampleRun(t, "--backend", "cpu", "--data", "8gaussians:500", "--model", "mlp:"+model, "--class", "5", "--guidance", "2", "--n", "50", "--steps", "5")
	if code != 0 || !strings.Contains(out, "50 samples") {
		t.Fatalf("sample --class 5: exit %d, %q, %q", code, out, errs)
	}
	plain := filepath.Join(dir, "plain.json")
	if code, _, errs := trainRun(t, "--backend", "cpu", "--data", "8gaussians:200", "--steps", "2", "--hidden", "8", "--out", plain); code != 0 {
		t.Fatal(errs)
	}
	runCases(t, []cliCase{
		{args: []string{"sample", "--backend", "cpu", "--data", "8gaussians:200", "--model", "mlp:" + plain, "--class", "1"}, code: 2, stderr: []string{"not class-conditional"}},
		{args: []string{"sample", "--backend", "cpu", "--data", "8gaussians:200", "--model", "mlp:" + model, "--class", "8"}, code: 2, stderr: []string{"classes 0 .. 7"}},
		{args: []string{"sample", "--backend", "cpu", "--data", "8gaussians:200", "--guidance", "2"}, code: 2, stderr: []string{"needs --class"}},
		{args: []string{"sample", "--backend", "cpu", "--data", "8gaussians:200", "--class", "-2"}, code: 2, stderr: []string{"--class"}},
		{args: []string{"sample", "--backend", "cpu", "--data", "8gaussians:200", "--class", "9"}, code: 2, stderr: []string{"no point of class 9"}},
		{args: []string{"sample", "--backend", "cpu", "--data", "swissroll:200", "--class", "0"}, code: 2, stderr: []string{"no labels"}},
		{args: []string{"train", "--backend", "cpu", "--data", "swissroll:200", "--conditional", "--out", filepath.Join(dir, "x.json")}, code: 2, stderr: []string{"no labels"}},
		{args: []string{"train", "--backend", "cpu", "--conditional", "--label-dropout", "1", "--out", filepath.Join(dir, "x.json")}, code: 2, stderr: []string{"--label-dropout"}},
	})
}
