package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/otplay/otplay/solvers/data"
	"github.com/otplay/otplay/solvers/imageio"
)

// barycenterRef is solvers/barycenter/testdata/pot_ref.json (POT 0.8.2,
// make_ref.py there).
type barycenterRef struct {
	Histograms []struct {
		Method     string
		Eps, Tol   float64
		MaxIter    int `json:"max_iter"`
		Weights    []float64
		Hists      [][]float64
		Support    []float64
		D          int
		Barycenter []float64
		Iterations int
	}
	Convolutional []struct {
		Method     string
		Eps, Tol   float64
		MaxIter    int `json:"max_iter"`
		Weights    []float64
		H, W       int
		Images     [][]float64
		Barycenter []float64
		Iterations int
	}
	FreeSupport []struct {
		Method     string
		Weights    []float64
		Clouds     [][]float64
		D          int
		Init       []float64
		Barycenter []float64
		Iterations int
	} `json:"free_support"`
}

func loadBarycenterRef(t *testing.T) barycenterRef {
	t.Helper()
	raw, err := os.ReadFile("../../solvers/barycenter/testdata/pot_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r barycenterRef
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// barycenterCLI runs `otplay barycenter args...` through the real entry
// point.
func barycenterCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append([]string{"barycenter"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func writeNPY(t *testing.T, dir, name string, v []float64, shape ...int) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := data.WriteNPY(f, v, shape...); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeNPY3 writes a k x h x w float64 array in the .npy format (version
// 1.0, C order), which data.WriteNPY (1-D and 2-D) does not.
func writeNPY3(t *testing.T, dir, name string, v []float64, k, h, w int) string {
	t.Helper()
	hdr := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d, %d), }", k, h, w)
	hdr += strings.Repeat(" ", (64-(10+len(hdr)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	binary.Write(&b, binary.LittleEndian, v)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readNPY(t *testing.T, p string) []float64 {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, _, err := data.ReadNPY(f)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBarycenterCommandMatchesPOT runs every POT reference case of
// solvers/barycenter through `otplay barycenter` with .npy inputs and
// outputs: histograms with --support (1-D) and --cost (2-D), images as
// H x W .npy files, clouds with --init. Results within 1e-6 of POT's, the
// same iteration counts in the JSON report.
func TestBarycenterCommandMatchesPOT(t *testing.T) {
	ref := loadBarycenterRef(t)
	dir := t.TempDir()
	g := jsonNum
	check := func(name string, args []string, want []float64, iters int) {
		t.Helper()
		out := filepath.Join(dir, name+".npy")
		code, stdout, stderr := barycenterCLI(t, append(args, "--out", out, "--json", "--backend", "cpu")...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		rep := jsonObject(t, stdout)
		got := readNPY(t, out)
		d := maxDiff(got, want)
		t.Logf("%s: %v iterations, |b - b_POT| = %.2e", name, rep["iterations"], d)
		if d > 1e-6 {
			t.Errorf("%s: differs from POT by %.3g", name, d)
		}
		if iters > 0 && int(rep["iterations"].(float64)) != iters {
			t.Errorf("%s: %v iterations, POT %d", name, rep["iterations"], iters)
		}
	}
	for i, c := range ref.Histograms[4:6] {
		n := len(c.Barycenter)
		var hists []float64
		for _, h := range c.Hists {
			hists = append(hists, h...)
		}
		cost := make([]float64, n*n)
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				for k := 0; k < c.D; k++ {
					d := c.Support[a*c.D+k] - c.Support[b*c.D+k]
					cost[a*n+b] += d * d
				}
			}
		}
		args := []string{"--method", c.Method, "--hists", writeNPY(t, dir, "h.npy", hists, len(c.Hists), n),
			"--weights", writeNPY(t, dir, "w.npy", c.Weights, len(c.Weights)),
			"--eps", g(c.Eps), "--tol", g(c.Tol), "--iters", g(float64(c.MaxIter))}
		if i == 0 {
			args = append(args, "--cost", writeNPY(t, dir, "m.npy", cost, n, n))
		} else {
			args = append(args, "--support", writeNPY(t, dir, "s.npy", c.Support, n, c.D))
		}
		check("hist-"+c.Method, args, c.Barycenter, c.Iterations)
	}
	for _, c := range ref.Convolutional[:1] {
		var files []string
		for k, im := range c.Images {
			files = append(files, writeNPY(t, dir, "img"+string(rune('a'+k))+".npy", im, c.H, c.W))
		}
		check("convolutional", []string{"--method", "convolutional", "--grid", strings.Join(files, ","),
			"--weights", writeNPY(t, dir, "wc.npy", c.Weights, len(c.Weights)),
			"--eps", g(c.Eps), "--tol", g(c.Tol), "--iters", g(float64(c.MaxIter))}, c.Barycenter, c.Iterations)
		// The same images as one K x H x W array (POT's A).
		var all []float64
		for _, im := range c.Images {
			all = append(all, im...)
		}
		check("convolutional-stack", []string{"--method", "convolutional", "--grid", writeNPY3(t, dir, "A.npy", all, len(c.Images), c.H, c.W),
			"--weights", writeNPY(t, dir, "wc.npy", c.Weights, len(c.Weights)),
			"--eps", g(c.Eps), "--tol", g(c.Tol), "--iters", g(float64(c.MaxIter))}, c.Barycenter, c.Iterations)
	}
	c := ref.FreeSupport[0]
	var clouds []string
	for k, cl := range c.Clouds {
		clouds = append(clouds, writeNPY(t, dir, "cloud"+string(rune('a'+k))+".npy", cl, len(cl)/c.D, c.D))
	}
	check("free-support", []string{"--method", "free-support", "--clouds", strings.Join(clouds, ","),
		"--init", writeNPY(t, dir, "init.npy", c.Init, len(c.Init)/c.D, c.D),
		"--weights", writeNPY(t, dir, "wf.npy", c.Weights, len(c.Weights)), "--tol", "1e-12"}, c.Barycenter, c.Iterations)
}

func jsonNum(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestBarycenterSquare: --square 2 of four built-in shapes writes a PNG
// mosaic of 2 x 2 cells with a gutter, and its corners are the inputs
// (weights one-hot): the darkest pixel of the top-left cell lies inside
// the disc, of the bottom-right inside the ring's band.
func TestBarycenterSquare(t *testing.T) {
	out := filepath.Join(t.TempDir(), "square.png")
	code, stdout, stderr := barycenterCLI(t, "--method", "convolutional", "--grid", "disc,square,cross,ring",
		"--size", "16", "--square", "2", "--eps", "0.01", "--backend", "cpu", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := jsonObject(t, stdout)
	if rep["cells"].(float64) != 4 || rep["converged"] != true {
		t.Errorf("report %v", rep)
	}
	img, err := imageio.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 33 || img.Height != 33 {
		t.Fatalf("mosaic %d x %d, want 33 x 33", img.Width, img.Height)
	}
	// The gutter column is white; the ring's centre (bottom-right cell)
	// is lighter than its band.
	if img.Pix[(0*33+16)*3] != 1 {
		t.Errorf("gutter pixel %v, want white", img.Pix[(0*33+16)*3])
	}
	centre, band := img.Pix[((17+8)*33+17+8)*3], img.Pix[((17+8)*33+17+1)*3]
	if !(centre > band) {
		t.Errorf("ring cell: centre %.3g not lighter than the band %.3g", centre, band)
	}
}

// TestBarycenterRefusesBadInput: each bad invocation exits 2 with a
// message naming the problem, and no output file appears.
func TestBarycenterRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	h := writeNPY(t, dir, "h.npy", []float64{0.5, 0.5, 0, 0, 0.5, 0.5}, 2, 3)
	s := writeNPY(t, dir, "s.npy", []float64{0, 1, 2}, 3, 1)
	nan := writeNPY(t, dir, "nan.npy", []float64{0.5, math.NaN(), 0, 0, 0.5, 0.5}, 2, 3)
	w9 := writeNPY(t, dir, "w9.npy", []float64{0.4, 0.5}, 2)
	out := filepath.Join(dir, "b.npy")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--method", "entropic", "--support", s}, "needs --hists"},
		{[]string{"--method", "entropic", "--hists", h}, "one of --cost"},
		{[]string{"--method", "entropic", "--hists", h, "--support", s, "--weights", w9}, "sum to 0.9"},
		{[]string{"--method", "entropic", "--hists", nan, "--support", s}, "NaN"},
		{[]string{"--method", "entropic", "--hists", h, "--support", s, "--eps", "1e-18"}, "precision"},
		{[]string{"--method", "entropic", "--hists", h, "--support", s, "--eps", "-1"}, "--eps"},
		{[]string{"--method", "wasserstein", "--hists", h, "--support", s}, "--method"},
		{[]string{"--method", "convolutional", "--grid", "disc,blob"}, "unknown shape"},
		{[]string{"--method", "convolutional", "--grid", "disc,ring", "--square", "3"}, "exactly 4"},
		{[]string{"--method", "free-support", "--clouds", "moons:20"}, "--n"},
	} {
		code, _, stderr := barycenterCLI(t, append(c.args, "--out", out, "--backend", "cpu")...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v: wrote %s", c.args, out)
		}
	}
	code, _, stderr := barycenterCLI(t, "--method", "entropic", "--hists", h, "--support", s, "--out", filepath.Join(dir, "b.txt"))
	if code != 2 || !strings.Contains(stderr, ".npy") {
		t.Errorf("--out b.txt: exit %d, %q", code, stderr)
	}
}
