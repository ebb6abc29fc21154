package e2e

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/patch"
	"github.com/otplay/otplay/ui"
)

// waitPatch waits until /patch has published a result for the state
// (canonical query) and returns it; a page error fails the test unless
// allowErr.
func waitPatch(t *testing.T, tb *tab, state string, timeout time.Duration) ui.PatchResult {
	t.Helper()
	expr := `(() => { const r = window.otplayResult; return r && r.page === "/patch" && r.done && r.state === ` + jsString(state) + ` ? JSON.stringify(r) : false; })()`
	text := poll[string](t, tb, expr, timeout)
	var r ui.PatchResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatalf("decoding the result: %v\n%s", err, text)
	}
	if r.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", r.Error, tb.console())
	}
	return r
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }

// /patch on WebGPU and on the wasm CPU backend: the colour transfer
// matches patch.TransferColor run natively on the same images; the three
// images and the colour clouds are drawn; Apply moves to the URL of the
// new state; an upload is used and a bad file refused.
func TestPatchPage(t *testing.T) {
	for _, backend := range []string{"auto", "cpu"} {
		t.Run(backend, func(t *testing.T) { testPatchPage(t, backend) })
	}
}

func testPatchPage(t *testing.T, backend string) {
	tb := newTab(t)
	query := "width=48&backend=" + backend
	st := mustDecodeState(t, ui.PatchSchema, query)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.PatchPath+"?"+query))
	r := waitPatch(t, tb, st.Encode(), 60*time.Second)
	if backend == "auto" && r.Backend.Kind != ui.KindWebGPU {
		t.Errorf("backend=auto opened %s; the browser has WebGPU", r.Backend.Badge())
	}
	src, _ := ui.PatchImage("china", "src", 48)
	tgt, _ := ui.PatchImage("flower", "tgt", 48)
	out, res, err := patch.TransferColor(compute.NewCPU(0), src, tgt, patch.ColorSettings{})
	if err != nil {
		t.Fatal(err)
	}
	// The wasm CPU backend runs the same float64 code. WebGPU: float32
	// Sinkhorn on ~200 colour bins, the ui package's native GPU test
	// measures 1.2e-5 relative on the cost and 1.7e-5 on pixels.
	tolCost, tolPix := 1e-12, 1e-12
	if r.Backend.Kind == ui.KindWebGPU {
		tolCost, tolPix = 1e-3, 5e-3
	}
	d := 0.0
	for k, i := 0, 0; i < out.Width*out.Height; k, i = k+1, i+ui.PatchSampleStride {
		for c := 0; c < 3; c++ {
			d = math.Max(d, math.Abs(r.Sample[3*k+c]-out.Pix[3*i+c]))
		}
	}
	t.Logf("%s: cost %.7g (native %.7g), %d iterations (native %d), pixels differ by %.3g, %v", r.Backend.Badge(), r.Cost, res.Cost, r.Iterations, res.Iterations, d, r.TimingsMS)
	if math.Abs(r.Cost-res.Cost) > tolCost*res.Cost || !(d <= tolPix) || r.Output != [2]int{48, 32} {
		t.Errorf("cost %g vs native %g (tolerance %g), pixels differ by %g (tolerance %g), output %v", r.Cost, res.Cost, tolCost, d, tolPix, r.Output)
	}
	// The result image is shown and not blank; the colour clouds are drawn.
	seen := eval[[]float64](t, tb, `(() => {
		const img = document.getElementById("patch-out");
		const c = document.createElement("canvas");
		c.width = img.naturalWidth; c.height = img.naturalHeight;
		const g = c.getContext("2d", {willReadFrequently: true});
		g.drawImage(img, 0, 0);
		const px = g.getImageData(0, 0, c.width, c.height).data;
		let s = 0, s2 = 0, n = 0;
		for (let k = 0; k < px.length; k += 4) { s += px[k+1]; s2 += px[k+1] * px[k+1]; n++; }
		const pc = document.getElementById("patch-colors");
		const q = pc.getContext("2d").getImageData(0, 0, pc.width, pc.height).data;
		let green = 0;
		for (let k = 0; k < q.length; k += 4) if (q[k] < 90 && q[k+1] > 130 && q[k+2] < 90) green++;
		return [img.naturalWidth, img.naturalHeight, s / n, Math.sqrt(s2 / n - (s / n) * (s / n)), green];
	})()`)
	if len(seen) != 5 || seen[0] != 48 || seen[1] != 32 || math.Abs(seen[2]/255-r.Mean[1]) > 0.01 || seen[3] < 5 || seen[4] < 50 {
		t.Errorf("result image %vx%v, green mean %.1f (want %.1f), std %.1f; colour cloud ink %v", seen[0], seen[1], seen[2], 255*r.Mean[1], seen[3], seen[4])
	}

	if backend == "cpu" {
		// Apply a changed form: the page moves to the new state's URL.
		eval[bool](t, tb, `(() => { const s = document.getElementById("in-method"); s.value = "sliced"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
		click(t, tb, "apply")
		st2, _ := st.With("method", "sliced")
		r2 := waitPatch(t, tb, st2.Encode(), 30*time.Second)
		if loc := eval[string](t, tb, `location.search`); !strings.Contains(loc, "method=sliced") || r2.Iterations != 30 {
			t.Errorf("after Apply: location %q, %d rotations", loc, r2.Iterations)
		}

		// Uploads: a text file is refused with a message; a PNG is used.
		dir := t.TempDir()
		bad := filepath.Join(dir, "notes.txt")
		os.WriteFile(bad, []byte("not an image"), 0o644)
		tb.run(t, 10*time.Second, chromedp.SetUploadFiles("#upload-tgt", []string{bad}))
		msg := poll[string](t, tb, `(() => { const e = document.getElementById("upload-error"); return e ? e.textContent : false; })()`, 10*time.Second)
		if !strings.Contains(msg, "notes.txt") {
			t.Errorf("upload error message %q", msg)
		}
		im, _ := imageio.New(20, 10)
		for i := range im.Pix {
			im.Pix[i] = float64(i%5) / 4
		}
		good := filepath.Join(dir, "mine.png")
		if err := imageio.Save(good, im); err != nil {
			t.Fatal(err)
		}
		tb.run(t, 10*time.Second, chromedp.SetUploadFiles("#upload-tgt", []string{good}))
		st3, _ := st2.With("tgt", "upload")
		r3 := waitPatch(t, tb, st3.Encode(), 30*time.Second)
		if r3.Target != [2]int{20, 10} {
			t.Errorf("uploaded target %v, want 20 x 10", r3.Target)
		}

		// Width 0 takes the preset's resolution (draft: 96 pixels on the
		// wasm CPU, which has no binding limit; the uploaded 20 x 10 target
		// is never enlarged) and says so.
		setControl(t, tb, "in-width", "0")
		setControl(t, tb, "in-preset", "draft")
		click(t, tb, "apply")
		sp, _ := st3.With("width", "0")
		sp, _ = sp.With("preset", "draft")
		rp := waitPatch(t, tb, sp.Encode(), 60*time.Second)
		if rp.Width != 96 || rp.Output[0] != 96 || rp.Preset == nil || !strings.Contains(eval[string](t, tb, `document.getElementById("patch-stats").textContent`), "draft (FastSB-OT) set width = 96 px") {
			t.Errorf("preset draft at width 0: width %d, output %v, read-out %+v", rp.Width, rp.Output, rp.Preset)
		}
	}
	tb.checkConsole(t)
}
