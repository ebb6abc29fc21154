package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func truncateRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(append([]string{"truncate"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestTruncateTable runs a tiny grid and checks the four outputs: the
// JSON rows (count, NFE = T_trunc for the full DDPM chain, NFE 1 at
// T_trunc = 1, finite quality), the CSV and Markdown tables, and the SVG
// (well-formed XML with one polyline per prior and sampler).
func TestTruncateTable(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := truncateRun("--backend", "cpu", "--quick", "--ttrunc", "10,1", "--samplers", "ddpm:full,ddim:3",
		"--n", "120", "--train", "150", "--held", "200", "--fit-samples", "150", "--sliced-steps", "30", "--out", dir, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep truncateReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	if len(rep.Rows) != 2*3*2 || len(rep.Floors) != 1 || rep.Floors[0].Data != "moons" {
		t.Fatalf("%d rows and floors %+v; want 12 rows and one moons floor", len(rep.Rows), rep.Floors)
	}
	for _, r := range rep.Rows {
		want := r.TTrunc
		if r.Sampler == "ddim:3" && r.TTrunc == 10 {
			want = 4
		}
		if r.NFE != want {
			t.Errorf("%s T_trunc %d %s: NFE %d, want %d", r.Prior, r.TTrunc, r.Sampler, r.NFE, want)
		}
		if r.SlicedW2 == nil || r.Sinkhorn == nil || *r.SlicedW2 <= 0 || *r.SlicedW2 > 2 {
			t.Errorf("%s T_trunc %d %s: quality %v %v", r.Prior, r.TTrunc, r.Sampler, r.SlicedW2, r.Sinkhorn)
		}
	}
	f, err := os.Open(filepath.Join(dir, "truncate.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 13 || recs[0][0] != "data" || recs[0][5] != "nfe" {
		t.Errorf("CSV: %d records, err %v, header %v", len(recs), err, recs[0])
	}
	md, err := os.ReadFile(filepath.Join(dir, "truncate.md"))
	if err != nil || !strings.Contains(string(md), "| data | T_trunc | prior | sampler |") || strings.Count(string(md), "| moons | ") != 13 {
		t.Errorf("Markdown table missing or wrong: err %v\n%s", err, md)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "truncate.svg"))
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	polylines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 3*2 {
		t.Errorf("SVG has %d polylines, want 6 (3 priors x 2 samplers)", polylines)
	}
	if _, err := os.Stat(filepath.Join(dir, "truncate.json")); err != nil {
		t.Error(err)
	}
}

// TestTruncateCorrectRows: --correct adds a Sinkhorn-corrected row per
// sampler where there are steps to correct between.
func TestTruncateCorrectRows(t *testing.T) {
	code, stdout, stderr := truncateRun("--backend", "cpu", "--data", "moons", "--ttrunc", "20", "--priors", "gaussian",
		"--samplers", "dpmpp2m:4", "--correct", "--n", "100", "--train", "120", "--held", "150", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("CSV: %v, %d records", err, len(recs))
	}
	if recs[1][3] != "dpmpp2m:4" || recs[2][3] != "dpmpp2m:4+sinkhorn" || recs[2][5] != "5" {
		t.Errorf("rows %v / %v", recs[1], recs[2])
	}
}

// TestTruncateMLPModel: --model mlp trains a network per data set and
// samples with it (a smoke run: 20 training steps).
func TestTruncateMLPModel(t *testing.T) {
	code, stdout, stderr := truncateRun("--backend", "cpu", "--data", "moons", "--model", "mlp", "--train-steps", "20", "--ttrunc", "5",
		"--priors", "gaussian", "--samplers", "ddim:2", "--n", "50", "--train", "100", "--held", "100", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep truncateReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Model != "mlp" || rep.TrainSteps != 20 || len(rep.Rows) != 1 || rep.Rows[0].NFE != 3 {
		t.Errorf("report: model %q, train steps %d, rows %+v", rep.Model, rep.TrainSteps, rep.Rows)
	}
	if !strings.Contains(stderr, "MLP trained") {
		t.Errorf("stderr %q does not report the training", stderr)
	}
}

func TestTruncateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--ttrunc", "0"},
		{"--ttrunc", "1001"},
		{"--ttrunc", "ten"},
		{"--priors", "wasserstein"},
		{"--samplers", "ddpm"},
		{"--samplers", "euler:3"},
		{"--samplers", "ddpm:0"},
		{"--samplers", "ode-adaptive:5"},
		{"--model", "unet"},
		{"--format", "xml"},
		{"--data", "nosuchset"},
		{"--n", "1"},
		{"--sliced-steps", "0"},
	} {
		code, _, stderr := truncateRun(append([]string{"--backend", "cpu"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "otplay truncate:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
	if code, stdout, _ := truncateRun("-h"); code != 0 || !strings.Contains(stdout, "optimal-transport prior") {
		t.Errorf("-h: exit %d", code)
	}
}
