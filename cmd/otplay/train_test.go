package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func trainRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"train"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestTrainThenSample trains a tiny model through the command, then
// samples with it through otplay sample.
func TestTrainThenSample(t *testing.T) {
	model := filepath.Join(t.TempDir(), "m.json")
	code, out, errs := trainRun(t, "--backend", "cpu", "--data", "8gaussians:500", "--steps", "60", "--batch", "64",
		"--hidden", "16,16", "--schedule", "cosine", "--log-every", "20", "--out", model, "--json")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	var rep trainReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if rep.Steps != 60 || len(rep.Losses) != 3 || rep.Params != (2+16)*16+16+16*16+16+16*2+2 || rep.Schedule != "cosine" {
		t.Errorf("report %+v", rep)
	}
	code, out, errs = sampleRun(t, "--backend", "cpu", "--data", "8gaussians:500", "--model", "mlp:"+model, "--n", "30", "--steps", "4")
	if code != 0 || !strings.Contains(out, "cosine schedule") {
		t.Fatalf("sample with the trained model: exit %d, %q, %q", code, out, errs)
	}
	code, _, errs = sampleRun(t, "--backend", "cpu", "--data", "8gaussians:500", "--model", "mlp:"+model, "--schedule", "linear", "--n", "5", "--steps", "2")
	if code != 2 || !strings.Contains(errs, "trained with the cosine schedule") {
		t.Errorf("schedule mismatch: exit %d, %q", code, errs)
	}
	code, _, errs = sampleRun(t, "--backend", "cpu", "--data", "gaussian:50:d=3", "--model", "mlp:"+model, "--n", "5", "--steps", "2")
	if code != 1 || !strings.Contains(errs, "dimension") {
		t.Errorf("dimension mismatch: exit %d, %q", code, errs)
	}
}

func TestTrainBadInput(t *testing.T) {
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{}, "--out"},
		{[]string{"--out", "m.json", "--hidden", "8,x"}, "--hidden"},
		{[]string{"--out", "m.json", "--activation", "tanh"}, "--activation"},
		{[]string{"--out", "m.json", "--steps", "0"}, "--steps"},
		{[]string{"--out", "m.json", "--lr", "-1"}, "--lr"},
		{[]string{"--out", "m.json", "--schedule", "sqrt"}, "unknown schedule"},
		{[]string{"--out", "m.json", "--data", "nosuch"}, "unknown data set"},
		{[]string{"--out", "m.json", "--ema", "1"}, "--ema"},
	}
	for _, c := range cases {
		code, _, errs := trainRun(t, append([]string{"--backend", "cpu"}, c.args...)...)
		if code != 2 || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q (want %q)", c.args, code, errs, c.msg)
		}
	}
}
