package ui

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRunCheckCPU(t *testing.T) {
	st, err := CheckSchema.DecodeQuery("n=20&m=30&d=2&eps=0.4&seed=5&backend=cpu")
	if err != nil {
		t.Fatal(err)
	}
	r := RunCheck(st)
	if !r.Done || r.Error != "" || r.Backend.Kind != KindCPU || !r.Agree || r.MaxRelDiff != 0 || len(r.Values) != 20 {
		t.Fatalf("RunCheck = %+v", r)
	}
	if !strings.Contains(r.Backend.Badge(), "CPU (requested with backend=cpu)") {
		t.Errorf("badge %q", r.Backend.Badge())
	}
	// The published JSON has the fields the e2e test and embedders read.
	text, err := resultJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(text), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"page", "done", "backend", "values", "maxRelDiff", "tolerance", "agree", "timingsMs"} {
		if _, ok := back[k]; !ok {
			t.Errorf("result JSON lacks %q: %s", k, text[:min(len(text), 300)])
		}
	}
	// Sizes past the limits are reported, not run.
	st, _ = CheckSchema.DecodeQuery("n=8192&m=8192&backend=cpu")
	if r := RunCheck(st); !r.Done || !strings.Contains(r.Error, "n*m") {
		t.Errorf("oversized check: %+v", r.Error)
	}
}
