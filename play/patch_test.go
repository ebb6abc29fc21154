package play

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
	"github.com/otplay/otplay/figure"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/patch"
)

// runPatch computes the transfer of a /patch query on b.
func runPatch(t *testing.T, query string, b compute.Backend) (PatchFrame, error) {
	t.Helper()
	p := typed(t, PatchSchema, ParsePatch, query)
	run, err := p.Start(context.Background(), b, func(Progress) {})
	if err != nil {
		return PatchFrame{}, err
	}
	defer run.Close()
	return run.Step(context.Background(), 0, false)
}

func TestPatchSchema(t *testing.T) {
	if err := PatchSchema.Check(); err != nil {
		t.Fatal(err)
	}
	c := typed(t, PatchSchema, ParsePatch, "method=sliced&mass=0.5&space=lab&eps=0.01&seed=4").ColorSettings()
	if c.Method != patch.Sliced || c.Mass != 0.5 || c.Space != imageio.Lab || c.Eps != 0.01 || c.Seed != 4 {
		t.Errorf("colour settings %+v", c)
	}
	if c := typed(t, PatchSchema, ParsePatch, "").ColorSettings(); c.Mass != 0 || c.Eps != 0 || c.Method != patch.Entropic {
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
	r, err := runPatch(t, "tgt=upload&width=40&backend=cpu", compute.NewCPU(0))
	if err != nil || r.Target != [2]int{30, 20} || r.Source != [2]int{40, 27} {
		t.Errorf("with the upload: %v, target %v source %v", err, r.Target, r.Source)
	}
}

// The page's colour transfer is patch.TransferColor of the same images
// and settings, pixel for pixel.
func TestRunPatchColorCPU(t *testing.T) {
	r, err := runPatch(t, "width=48&backend=cpu", compute.NewCPU(0))
	if err != nil {
		t.Fatal(err)
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
	if len(r.Images) != 3 || !strings.HasPrefix(r.Images["out"], "data:image/png;base64,") || len(r.Colors.Points) != 3 {
		t.Errorf("views: %d images, %d colour clouds", len(r.Images), len(r.Colors.Points))
	}
	if err := r.Colors.Draw(&figure.Recorder{}); err != nil {
		t.Error(err)
	}
	if csv := r.ColorsCSV(); !strings.HasPrefix(csv, "r,g,b,r_out") || strings.Count(csv, "\n") < 100 {
		t.Errorf("colour CSV: %.80q", csv)
	}
}

// Sliced and exact colour transfer and patch OT run through the page.
func TestRunPatchMethods(t *testing.T) {
	for _, q := range []string{"method=sliced", "method=exact&space=lab", "method=entropic&mass=0.6", "mode=patch&size=4&stride=4&levels=1"} {
		r, err := runPatch(t, q+"&width=32&backend=cpu", compute.NewCPU(0))
		t.Logf("%s: cost %.4g, %d iterations, points %v, levels %d, %v ms", q, r.Cost, r.Iterations, r.Points, len(r.Levels), r.TimingsMS["transport"])
		if err != nil || !(r.Cost > 0) || r.Output != r.Source {
			t.Errorf("%s: error %v, cost %g, output %v", q, err, r.Cost, r.Output)
		}
	}
	if _, err := runPatch(t, "mode=patch&size=16&width=16&backend=cpu", compute.NewCPU(0)); err == nil {
		t.Error("16 x 16 patches on a 16 x 11 image accepted")
	}
}

func TestRunPatchGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	c, errC := runPatch(t, "width=48", compute.NewCPU(0))
	g, errG := runPatch(t, "width=48", gpu)
	if errC != nil || errG != nil {
		t.Fatal(errC, errG)
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
	r, err := runPatch(t, "mode=patch&size=4&stride=4&levels=2&width=32&seed=3&backend=cpu", compute.NewCPU(0))
	if err != nil {
		t.Fatal(err)
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

// width=0 takes the preset's resolution on the page's backend
// (preset.Resolution for the page's patch side and stride): draft's 96
// pixels on the CPU; on a GPU (lavapipe: the 128 MiB storage binding),
// ultra with 16x16 patches at stride 1 is held to 162 pixels by
// compute.MaxIndex (2^24 values of patch index: 147^2 patches of 768
// values), 8x8 at stride 4 gets the full 320; an explicit width wins; a
// width below 16 other than 0 is refused.
func TestPatchPresetResolution(t *testing.T) {
	f, err := runPatch(t, "preset=draft&method=sliced", compute.NewCPU(0))
	if err != nil {
		t.Fatal(err)
	}
	if f.Width != 96 || f.Source[0] != 96 || f.Preset == nil || !strings.Contains(f.Preset.Text(), "draft (FastSB-OT) set width = 96 px; why: CPU backend") {
		t.Errorf("draft on the CPU: width %d, source %v, read-out %+v", f.Width, f.Source, f.Preset)
	}
	if f, err := runPatch(t, "preset=draft&method=sliced&width=50", compute.NewCPU(0)); err != nil || f.Width != 50 || f.Preset != nil {
		t.Errorf("explicit width 50: width %d, read-out %+v, %v", f.Width, f.Preset, err)
	}
	st, _ := PatchSchema.DecodeQuery("width=8")
	if _, err := ParsePatch(st); err == nil || !strings.Contains(err.Error(), "want 0 (the preset's) or 16 to 320") {
		t.Errorf("width 8: error %v", err)
	}
	gpu := gputest.Backend(t)
	for _, c := range []struct {
		query string
		want  int
	}{{"preset=ultra&mode=patch&size=16&stride=1", 162}, {"preset=ultra&mode=patch", 320}} {
		p := typed(t, PatchSchema, ParsePatch, c.query)
		w, r, err := p.resolve(gpu)
		if err != nil || w != c.want {
			t.Errorf("%s on %s: width %d (%v), want %d", c.query, gpu.Info().Device, w, err, c.want)
			continue
		}
		t.Logf("%s on %s: %s", c.query, gpu.Info().Device, r.Text())
	}
}
