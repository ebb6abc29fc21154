package ui

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/patch"
)

func TestPatchSchema(t *testing.T) {
	if err := PatchSchema.Check(); err != nil {
		t.Fatal(err)
	}
	st := mustDecodeTestState(t, PatchSchema, "method=sliced&mass=0.5&space=lab&eps=0.01&seed=4")
	c := PatchColorSettings(st)
	if c.Method != patch.Sliced || c.Mass != 0.5 || c.Space != imageio.Lab || c.Eps != 0.01 || c.Seed != 4 {
		t.Errorf("colour settings %+v", c)
	}
	if c := PatchColorSettings(PatchSchema.Defaults()); c.Mass != 0 || c.Eps != 0 || c.Method != patch.Entropic {
		t.Errorf("default colour settings %+v (mass 1 must mean balanced: 0)", c)
	}
}

// The built-in photographs decode to 320 x 213 and resize with the
// aspect ratio kept; an upload is required before "upload" is used.
func TestPatchImage(t *testing.T) {
	img, err := PatchImage("flower", "tgt", 400)
	if err != nil || img.Width != 320 || img.Height != 213 {
		t.Fatalf("flower: %v, %v", img, err)
	}
	small, err := PatchImage("china", "src", 64)
	if err != nil || small.Width != 64 || small.Height != 43 {
		t.Fatalf("china at 64: %dx%d, %v", small.Width, small.Height, err)
	}
	patchUploads.Lock()
	patchUploads.imgs = nil
	patchUploads.Unlock()
	if _, err := PatchImage("upload", "src", 64); err == nil || !strings.Contains(err.Error(), "src = upload") {
		t.Errorf("missing upload: %v", err)
	}
}

// Bad and oversize uploads are refused with a message naming the file; a
// good one is used.
func TestPatchUpload(t *testing.T) {
	if err := SetPatchUpload("src", "notes.txt", []byte("hello")); !errors.Is(err, imageio.ErrFormat) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("text file: %v", err)
	}
	if err := SetPatchUpload("src", "big.png", make([]byte, MaxUploadBytes+1)); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversize file: %v", err)
	}
	im, _ := imageio.New(30, 20)
	for i := range im.Pix {
		im.Pix[i] = float64(i%7) / 6
	}
	var buf bytes.Buffer
	if err := imageio.EncodePNG(&buf, im); err != nil {
		t.Fatal(err)
	}
	if err := SetPatchUpload("tgt", "mine.png", buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	st := mustDecodeTestState(t, PatchSchema, "tgt=upload&width=40&backend=cpu")
	r := RunPatch(st)
	if r.Error != "" || r.Target != [2]int{30, 20} || r.Source != [2]int{40, 27} {
		t.Errorf("with the upload: %q, target %v source %v", r.Error, r.Target, r.Source)
	}
}

// The page's colour transfer is patch.TransferColor of the same images
// and settings, pixel for pixel.
func TestRunPatchColorCPU(t *testing.T) {
	st := mustDecodeTestState(t, PatchSchema, "width=48&backend=cpu")
	r := RunPatch(st)
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	src, _ := PatchImage("china", "src", 48)
	tgt, _ := PatchImage("flower", "tgt", 48)
	out, res, err := patch.TransferColor(compute.NewCPU(0), src, tgt, patch.ColorSettings{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cost %.6g (direct %.6g), %d iterations, points %v, mean %v", r.Cost, res.Cost, r.Iterations, r.Points, r.Mean)
	if math.Abs(r.Cost-res.Cost) > 1e-12*res.Cost || r.Iterations != res.Iterations || !r.Converged {
		t.Errorf("cost %g vs %g, iterations %d vs %d, converged %v", r.Cost, res.Cost, r.Iterations, res.Iterations, r.Converged)
	}
	for k, i := 0, 0; i < out.Width*out.Height; k, i = k+1, i+PatchSampleStride {
		for c := 0; c < 3; c++ {
			if d := math.Abs(r.Sample[3*k+c] - out.Pix[3*i+c]); d > 1e-12 {
				t.Fatalf("pixel %d channel %d: %g vs %g", i, c, r.Sample[3*k+c], out.Pix[3*i+c])
			}
		}
	}
	if len(r.images) != 3 || !strings.HasPrefix(r.images["out"], "data:image/png;base64,") || len(r.colors.Points) != 3 {
		t.Errorf("views: %d images, %d colour clouds", len(r.images), len(r.colors.Points))
	}
	if err := r.colors.Draw(&Recorder{}); err != nil {
		t.Error(err)
	}
	page := &PatchPage{state: st, form: newParamForm(PatchSchema, st), result: &r}
	html := app.HTMLString(page)
	for _, want := range []string{`data-status="done"`, `id="patch-out"`, `id="upload-src"`, "transport cost", `id="export-out"`} {
		if !strings.Contains(html, want) {
			t.Errorf("/patch lacks %q", want)
		}
	}
	if csv := page.colorsCSV(); !strings.HasPrefix(csv, "r,g,b,r_out") || strings.Count(csv, "\n") < 100 {
		t.Errorf("colour CSV: %.80q", csv)
	}
}

// Sliced and exact colour transfer and patch OT run through the page.
func TestRunPatchMethods(t *testing.T) {
	for _, q := range []string{"method=sliced", "method=exact&space=lab", "method=entropic&mass=0.6", "mode=patch&size=4&stride=4&levels=1"} {
		st := mustDecodeTestState(t, PatchSchema, q+"&width=32&backend=cpu")
		r := RunPatch(st)
		t.Logf("%s: cost %.4g, %d iterations, points %v, levels %d, %v ms", q, r.Cost, r.Iterations, r.Points, len(r.Levels), r.TimingsMS["transport"])
		if r.Error != "" || !(r.Cost > 0) || r.Output != r.Source {
			t.Errorf("%s: error %q, cost %g, output %v", q, r.Error, r.Cost, r.Output)
		}
	}
	st := mustDecodeTestState(t, PatchSchema, "mode=patch&size=16&width=16&backend=cpu")
	if r := RunPatch(st); r.Error == "" {
		t.Error("16 x 16 patches on a 16 x 11 image accepted")
	}
}

func TestRunPatchGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	st := mustDecodeTestState(t, PatchSchema, "width=48")
	c := runPatchOn(BackendStatus{Backend: compute.NewCPU(0), Kind: KindCPU}, st)
	g := runPatchOn(BackendStatus{Backend: gpu, Kind: KindWebGPU}, st)
	if c.Error != "" || g.Error != "" {
		t.Fatal(c.Error, g.Error)
	}
	d := 0.0
	for i := range c.Sample {
		d = math.Max(d, math.Abs(c.Sample[i]-g.Sample[i]))
	}
	t.Logf("cost CPU %.6g GPU %.6g; sampled pixels differ by %.3g", c.Cost, g.Cost, d)
	if math.Abs(c.Cost-g.Cost) > 1e-3*c.Cost || d > 5e-3 {
		t.Errorf("GPU differs: cost %g vs %g, pixels by %g", g.Cost, c.Cost, d)
	}
}

// Patch mode is patch.Transfer of the same images and settings.
func TestRunPatchTransferCPU(t *testing.T) {
	st := mustDecodeTestState(t, PatchSchema, "mode=patch&size=4&stride=4&levels=2&width=32&seed=3&backend=cpu")
	r := RunPatch(st)
	if r.Error != "" {
		t.Fatal(r.Error)
	}
	src, _ := PatchImage("china", "src", 32)
	tgt, _ := PatchImage("flower", "tgt", 32)
	out, res, err := patch.Transfer(compute.NewCPU(0), src, tgt, patch.Settings{Size: 4, Stride: 4, Levels: 2, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cost %.6g (direct %.6g), %d levels, finest %+v", r.Cost, res.Cost, len(r.Levels), r.Levels[len(r.Levels)-1])
	if math.Abs(r.Cost-res.Cost) > 1e-12*res.Cost || len(r.Levels) != 2 || r.Points != [2]int{res.SourcePatches, res.TargetPatches} {
		t.Errorf("cost %g vs %g, %d levels, points %v", r.Cost, res.Cost, len(r.Levels), r.Points)
	}
	for k, i := 0, 0; i < out.Width*out.Height; k, i = k+1, i+PatchSampleStride {
		for c := 0; c < 3; c++ {
			if d := math.Abs(r.Sample[3*k+c] - out.Pix[3*i+c]); d > 1e-12 {
				t.Fatalf("pixel %d channel %d: %g vs %g", i, c, r.Sample[3*k+c], out.Pix[3*i+c])
			}
		}
	}
}
