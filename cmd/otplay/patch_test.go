package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/imageio"
)

// patchTestImages writes the shipped photographs, shrunk to width w, as
// PNGs in a temporary folder and returns their paths.
func patchTestImages(t *testing.T, w int) (src, tgt string) {
	t.Helper()
	dir := t.TempDir()
	for i, name := range []string{"china.jpg", "flower.jpg"} {
		img, err := imageio.Load(filepath.Join("..", "..", "solvers", "imageio", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		small, err := imageio.Resize(img, w, w*img.Height/img.Width)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, []string{"src.png", "tgt.png"}[i])
		if err := imageio.Save(p, small); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			src = p
		} else {
			tgt = p
		}
	}
	return src, tgt
}

func patchRun(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(append([]string{"patch"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func TestPatchCommandColor(t *testing.T) {
	src, tgt := patchTestImages(t, 40)
	out := filepath.Join(t.TempDir(), "out.png")
	for _, method := range []string{"sliced", "entropic", "exact"} {
		code, stdout, stderr := patchRun("--source", src, "--target", tgt, "--method", method, "--backend", "cpu",
			"--subsample", "200", "--out", out, "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d, stderr %s", method, code, stderr)
		}
		var rep patchReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%s: output is not JSON: %v\n%s", method, err, stdout)
		}
		if rep.Mode != "color" || rep.Method != method || rep.Backend != "cpu" || rep.Source != [2]int{40, 26} ||
			!(rep.Cost > 0) || !(rep.TimeMS > 0) || rep.Points[0] < 2 || rep.Out != out {
			t.Errorf("%s: report %+v", method, rep)
		}
		img, err := imageio.Load(out)
		if err != nil || img.Width != 40 || img.Height != 26 {
			t.Fatalf("%s: --out image: %v", method, err)
		}
	}
	// Text output, Lab, partial.
	code, stdout, stderr := patchRun("--source", src, "--target", tgt, "--space", "lab", "--mass", "0.7", "--backend", "cpu")
	if code != 0 || !strings.Contains(stdout, "color transfer (entropic)") {
		t.Errorf("text output: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestPatchCommandPatchMode(t *testing.T) {
	src, tgt := patchTestImages(t, 32)
	out := filepath.Join(t.TempDir(), "out.jpg")
	code, stdout, stderr := patchRun("--source", src, "--target", tgt, "--mode", "patch", "--patch", "4", "--stride", "2",
		"--levels", "2", "--backend", "cpu", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var rep patchReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout)
	}
	// 32 x 21 with 4 x 4 patches at stride 2: 15 x 9 origins (0..28 and
	// 0..16, plus 17 flush with the border) = 15 x 10.
	if rep.SourcePatches != 15*10 || rep.TargetPatches != 15*10 || len(rep.Levels) != 2 || rep.Mode != "patch" || !(rep.Cost > 0) {
		t.Errorf("report %+v", rep)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("--out not written: %v", err)
	}
	code, stdout, _ = patchRun("--source", src, "--target", tgt, "--mode", "patch", "--patch", "4", "--stride", "4", "--levels", "1", "--backend", "cpu")
	if code != 0 || !strings.Contains(stdout, "patch transfer") || !strings.Contains(stdout, "level 32 x 21") {
		t.Errorf("text output: exit %d, %q", code, stdout)
	}
}

func TestPatchCommandErrors(t *testing.T) {
	src, tgt := patchTestImages(t, 12)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "bad.png")
	os.WriteFile(corrupt, []byte("\x89PNG\r\n\x1a\nthis is not a png"), 0o644)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	usage := [][]string{
		{},
		{"--source", src},
		{"--source", src, "--target", tgt, "--mode", "blend"},
		{"--source", src, "--target", tgt, "--method", "median"},
		{"--source", src, "--target", tgt, "--mode", "patch", "--stride", "0"},
		{"--source", src, "--target", tgt, "--mode", "patch", "--patch", "17"},
		{"--source", src, "--target", tgt, "--mode", "patch", "--patch", "4", "--stride", "5"},
		{"--source", src, "--target", tgt, "--mass", "0"},
		{"--source", src, "--target", tgt, "--mass", "1.5"},
		{"--source", src, "--target", tgt, "--eps", "-1"},
		{"--source", src, "--target", tgt, "--method", "sliced", "--mass", "0.5"},
		{"--source", src, "--target", tgt, "--space", "hsv"},
		{"--source", src, "--target", tgt, "--out", "x.gif"},
		{"--source", src, "--target", tgt, "--backend", "tpu"},
		{"--source", src, "--target", tgt, "--bins", "1"},
		{"--source", src, "--target", tgt, "--no-such-flag"},
		{"--source", src, "--target", tgt, "extra"},
	}
	for _, args := range usage {
		if code, _, stderr := patchRun(args...); code != 2 || stderr == "" {
			t.Errorf("%q: exit %d (want 2), stderr %q", args, code, stderr)
		}
	}
	runtime := []struct {
		args []string
		want string
	}{
		{[]string{"--source", corrupt, "--target", tgt}, "unsupported or corrupt"},
		{[]string{"--source", src, "--target", text}, "unsupported or corrupt"},
		{[]string{"--source", filepath.Join(dir, "missing.png"), "--target", tgt}, "missing.png"},
		{[]string{"--source", src, "--target", tgt, "--mode", "patch", "--patch", "16", "--stride", "8", "--backend", "cpu"}, "larger than the"},
	}
	for _, c := range runtime {
		code, _, stderr := patchRun(c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d (want 1), stderr %q (want %q)", c.args, code, stderr, c.want)
		}
	}
	code, stdout, _ := patchRun("-h")
	if code != 0 || !strings.Contains(stdout, "--mode color") || !strings.Contains(stdout, "-stride") {
		t.Errorf("-h: exit %d, help on stdout %q", code, stdout)
	}
}
