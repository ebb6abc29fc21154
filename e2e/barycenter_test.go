package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/ui"
)

// waitBarycenter waits for /barycenter to publish a frame meeting cond
// (JavaScript over r) and returns it.
func waitBarycenter(t *testing.T, tb *tab, cond string, timeout time.Duration) ui.BarycenterResult {
	t.Helper()
	expr := `(() => { const r = window.otplayResult; return r && r.page === "/barycenter" && r.done && (r.error || (` + cond + `)) ? JSON.stringify(r) : false; })()`
	text := poll[string](t, tb, expr, timeout)
	var r ui.BarycenterResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatal(err)
	}
	if r.Error != "" {
		t.Fatalf("page error: %s\nconsole:\n%s", r.Error, tb.console())
	}
	return r
}

// /barycenter fills its square cell by cell on the browser's backends.
// On the wasm CPU (float64) every cell takes exactly the iterations of the
// same model run natively, and the worst errors agree to 1e-12; on the
// browser's WebGPU (SwiftShader, float32) every cell converges and the
// worst POT error stays under the tolerance. Screenshots at 1280x800 and
// 390x844 to $OTPLAY_SCREENSHOTS (debiased, GPU; a 2 x 2 square there: SwiftShader's cost is
// per dispatch, 210 of them a debiased iteration on these 16 x 16 grids,
// and a 3 x 3 square took 75-80 s of the 2-core VM, 4 cells 4/9 of it).
// The three run side by side, each in its own tab.
func TestBarycenterPage(t *testing.T) {
	t.Parallel()
	query := "a=disc&b=square&c=cross&d=ring&eps=0.01"
	st, err := play.BarycenterSchema.DecodeQuery(query + "&n=3&size=16&backend=cpu")
	if err != nil {
		t.Fatal(err)
	}
	model, err := play.ParseBarycenter(st)
	if err != nil {
		t.Fatal(err)
	}
	native := runNativeBarycenter(t, model)
	for _, c := range []struct {
		backend string
		w, h    int64
		n       int
		extra   string
	}{{"cpu", 1280, 800, 3, "&size=16"}, {"auto", 1280, 800, 3, "&size=16"}, {"auto", 390, 844, 2, "&debiased=on&preset=draft"}} {
		name := fmt.Sprintf("%s-%dx%d", c.backend, c.w, c.h)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tb := newTab(t)
			tb.run(t, 10*time.Second, chromedp.EmulateViewport(c.w, c.h))
			tb.run(t, 30*time.Second, chromedp.Navigate(fmt.Sprintf("%s%s?%s&n=%d%s&backend=%s", env.baseURL, ui.BarycenterPath, query, c.n, c.extra, c.backend)))
			r := waitBarycenter(t, tb, "r.cells >= 1", 90*time.Second)
			if r.Total != c.n*c.n || r.LastCell != 0 {
				t.Fatalf("first frame: %d of %d cells, last cell %d", r.BarycenterFrame.Done, r.Total, r.LastCell)
			}
			click(t, tb, "play")
			r = waitBarycenter(t, tb, "r.cells === r.total && !r.playing", 180*time.Second)
			t.Logf("%s: %d cells, %d iterations, worst err %.3g, marginal %.3g, %s, %v", r.Backend.Badge(), r.BarycenterFrame.Done, r.Iterations, r.WorstErr, r.WorstMarginal, r.Precision, r.TimingsMS)
			switch {
			case c.backend == "cpu":
				if r.Iterations != native.Iterations || math.Abs(r.WorstErr-native.WorstErr) > 1e-12 || r.Precision != "float64" {
					t.Errorf("wasm CPU: %d iterations, worst err %.15g; native %d, %.15g", r.Iterations, r.WorstErr, native.Iterations, native.WorstErr)
				}
			case r.Backend.Kind != ui.KindWebGPU:
				t.Errorf("backend=auto opened %s; the browser has WebGPU", r.Backend.Badge())
			case !r.Converged || r.WorstErr > 1e-4:
				t.Errorf("GPU: converged %v, worst err %.3g", r.Converged, r.WorstErr)
			}
			// Without a size the draft preset's 16 pixels fit SwiftShader's
			// 1 GiB binding; the read-out says so.
			if strings.Contains(c.extra, "preset=draft") && (r.Size != 16 || r.Preset == nil || !strings.Contains(r.Preset.Reason, "barycenter side 16 px (the quality's level; it fits)")) {
				t.Errorf("preset draft: size %d, read-out %+v", r.Size, r.Preset)
			}
			shot(t, tb, "barycenter-"+c.backend, c.w)
			tb.checkConsole(t)
		})
	}
}

// /embed/barycenter is the bare view: no panel, the same result.
func TestBarycenterEmbed(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+play.EmbedPrefix+ui.BarycenterPath+"?n=2&size=8&backend=cpu"))
	r := waitBarycenter(t, tb, "r.cells >= 1", 60*time.Second)
	if r.Total != 4 {
		t.Errorf("embed: %d cells in all, want 4", r.Total)
	}
	if eval[bool](t, tb, `!!document.getElementById("in-eps")`) {
		t.Error("the embed shows the settings panel")
	}
	if !eval[bool](t, tb, `!!document.querySelector('[data-view="barycenter-view"]')`) {
		t.Error("the embed has no view")
	}
	tb.checkConsole(t)
}

func runNativeBarycenter(t *testing.T, b play.Barycenter) play.BarycenterFrame {
	t.Helper()
	run, err := b.Start(context.Background(), compute.NewCPU(1), func(play.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 100, false)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
