package e2e

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/ot"
	"github.com/otplay/otplay/ui"
)

// setControl sets a form control's value and fires its change event.
func setControl(t *testing.T, tb *tab, id, value string) {
	t.Helper()
	if !eval[bool](t, tb, `(() => { const s = document.getElementById("`+id+`"); if (!s) return false; s.value = "`+value+`"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`) {
		t.Fatalf("no control #%s\nconsole:\n%s", id, tb.console())
	}
}

// shown reports whether the element is in the page and drawn.
func shown(t *testing.T, tb *tab, id string) bool {
	t.Helper()
	return eval[bool](t, tb, `(() => { const e = document.getElementById("`+id+`"); return !!e && e.getClientRects().length > 0; })()`)
}

// The cost power and Richardson controls of /ot: choosing p = 1 and
// Richardson in the form and applying puts p=1&richardson=yes in the URL;
// the converged cost equals the ot package's with P = 1 natively, and the
// Richardson row shows ot.Richardson's extrapolated cost; the Richardson
// control is shown only for balanced OT; the formula C = |x - y|^p is
// typeset beside the p control.
func TestOTCostPowerAndRichardson(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?x=gaussian&y=moons&n=40&m=30&eps=0.2&backend=cpu"))
	waitOT(t, tb, "f.iteration === 0 && f.p === 2", 40*time.Second)
	if !eval[bool](t, tb, `(() => { const e = document.getElementById("in-p"); const f = e && e.closest(".otplay-field"); return !!f && !!f.querySelector("math msup"); })()`) {
		t.Errorf("no MathML C = |x - y|^p beside the p control")
	}
	setControl(t, tb, "in-p", "1")
	setControl(t, tb, "in-richardson", "yes")
	click(t, tb, "apply")
	poll[bool](t, tb, `location.search.includes("p=1") && location.search.includes("richardson=yes")`, 5*time.Second)
	waitOT(t, tb, "f.p === 1 && f.richardson && f.iteration === 0", 40*time.Second)
	click(t, tb, "play")
	f := waitOT(t, tb, "f.p === 1 && f.converged && !f.playing", 60*time.Second)

	st, err := ui.OTSchema.DecodeQuery("x=gaussian&y=moons&n=40&m=30&eps=0.2&p=1&richardson=yes")
	if err != nil {
		t.Fatal(err)
	}
	prob, _ := ui.OTProblem(st)
	cpu := compute.NewCPU(0)
	want, err := ot.Sinkhorn(cpu, prob, ui.OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	rs := ui.OTSettings(st)
	rs.CheckEvery = 0 // as the page's one-shot solve (play.otRichardson)
	rich, err := ot.Richardson(cpu, prob, rs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("p = 1: page cost %.9g (native %.9g); Richardson %.9g (native %.9g) from %.9g and %.9g", f.Cost, want.Cost, f.Richardson.Cost, rich.Cost, f.Richardson.Coarse, f.Richardson.Fine)
	if prob.P != 1 || relDiff(f.Cost, want.Cost) > 1e-6 {
		t.Errorf("page cost %.9g, ot.Sinkhorn P = %g: %.9g", f.Cost, prob.P, want.Cost)
	}
	if f.Richardson == nil || relDiff(f.Richardson.Cost, rich.Cost) > 1e-9 {
		t.Errorf("page Richardson %+v, ot.Richardson %.9g", f.Richardson, rich.Cost)
	}
	if c := eval[string](t, tb, `document.getElementById("ot-richardson").dataset.cost`); c == "" {
		t.Errorf("no Richardson row")
	}
	setControl(t, tb, "in-method", "partial")
	poll[bool](t, tb, `(() => { const e = document.getElementById("in-richardson"); return !e || e.getClientRects().length === 0; })()`, 5*time.Second)
	setControl(t, tb, "in-method", "balanced")
	poll[bool](t, tb, `(() => { const e = document.getElementById("in-richardson"); return !!e && e.getClientRects().length > 0; })()`, 5*time.Second)

	// The Hilbert Sinkhorn divergence with its features control (shown
	// with its MathML for hilbert only) and SPOT's fast preset: 30
	// iterations at most, said in the read-out; S equals the page model
	// run natively on the float64 CPU (play.ParseOT: the model test
	// checks it against kernel.HilbertDivergence).
	setControl(t, tb, "in-p", "2")
	setControl(t, tb, "in-method", "hilbert")
	poll[bool](t, tb, `(() => { const e = document.getElementById("in-features"); const f = e && e.closest(".otplay-field"); return !!f && e.getClientRects().length > 0 && !!f.querySelector("math"); })()`, 5*time.Second)
	setControl(t, tb, "in-features", "32")
	setControl(t, tb, "in-preset", "fast")
	click(t, tb, "apply")
	poll[bool](t, tb, `["method=hilbert", "features=32", "preset=fast"].every(s => location.search.includes(s))`, 10*time.Second)
	waitOT(t, tb, "f.hilbert && f.iteration === 0", 40*time.Second)
	click(t, tb, "play")
	h := waitOT(t, tb, "f.hilbert && (f.converged || f.iteration >= 30) && !f.playing", 60*time.Second)
	hst, _ := ui.OTSchema.DecodeQuery("x=gaussian&y=moons&n=40&m=30&eps=0.2&method=hilbert&features=32&preset=fast")
	ho, err := play.ParseOT(hst)
	if err != nil {
		t.Fatal(err)
	}
	hrun, err := ho.Start(context.Background(), cpu, func(play.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer hrun.Close()
	hn, err := hrun.Step(context.Background(), 1000, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hilbert, fast: S %.12g after %d iterations (native model %.12g after %d); %s", h.Divergence, h.Iteration, hn.Divergence, hn.Iteration, h.Preset.Text())
	if h.Iteration != hn.Iteration || h.MaxIter != 30 || relDiff(h.Divergence, hn.Divergence) > 1e-9 || h.Preset == nil ||
		!strings.Contains(eval[string](t, tb, `document.getElementById("ot-stats").textContent`), "fast (SPOT) set at most 30 iterations") {
		t.Errorf("hilbert, fast: %d iterations (native %d), cap %d, S %.12g (native %.12g), read-out %+v", h.Iteration, hn.Iteration, h.MaxIter, h.Divergence, hn.Divergence, h.Preset)
	}
	tb.checkConsole(t)
}

// The entropic map on /ot: in the "map" mode a click (1280x800) or a tap
// (390x844, touch) on the plan view adds a query point z where it landed
// and draws its arrow to T(z), which equals ot.EntropicMap at that z
// natively; a second one adds a second arrow; "clear" removes them. Screenshots at 1280x800 and 390x844 go to $OTPLAY_SCREENSHOTS if set.
func TestOTEntropicMapClick(t *testing.T) {
	tb := newTab(t)
	query := "x=gaussian&y=moons&n=60&m=50&eps=0.1&backend=cpu"
	st, _ := ui.OTSchema.DecodeQuery(query)
	prob, _ := ui.OTProblem(st)
	for _, vp := range [][2]int64{{1280, 800}, {390, 844}} {
		if vp[0] < 500 {
			tb.run(t, 10*time.Second, chromedp.EmulateViewport(vp[0], vp[1], chromedp.EmulateMobile, chromedp.EmulateTouch))
		} else {
			tb.run(t, 10*time.Second, chromedp.EmulateViewport(vp[0], vp[1]))
		}
		tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?"+query))
		waitOT(t, tb, "f.iteration === 0", 40*time.Second)
		click(t, tb, "play")
		waitOT(t, tb, "f.converged && !f.playing", 60*time.Second)
		if vp[0] < 500 {
			click(t, tb, "panel-button")
		}
		setControl(t, tb, "paint-mode", "map")
		if vp[0] < 500 {
			click(t, tb, "panel-button")
		}
		rect := eval[[]float64](t, tb, `(() => { const c = document.getElementById("ot-plan"); c.scrollIntoView({block: "center"}); const r = c.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
		for k, i := range []int{0, 7} {
			// At 1280x800 a mouse click on the pixel of x_i (the figure is
			// drawn at its 520x440 size); at phone width the figure is
			// drawn at its displayed size, so a tap at a fraction of it.
			if vp[0] > 500 {
				px, py := ui.OTPlanPixel(prob, "x", i)
				x, y := rect[0]+px, rect[1]+py
				tb.run(t, 10*time.Second,
					chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
					chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
			} else {
				tb.run(t, 10*time.Second, touchDrag(rect[0]+(0.3+0.3*float64(k))*rect[2], rect[1]+0.5*rect[3]))
			}
			poll[bool](t, tb, `(() => { const e = document.getElementById("ot-map"); return !!e && e.dataset.count === "`+strconv.Itoa(k+1)+`"; })()`, 10*time.Second)
			var zt [4]float64
			for c, key := range []string{"zx", "zy", "tx", "ty"} {
				zt[c], _ = strconv.ParseFloat(eval[string](t, tb, `document.getElementById("ot-map").dataset.`+key), 64)
			}
			want, _, err := ot.EntropicMap(compute.NewCPU(0), prob, ui.OTSettings(st), zt[:2])
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%dx%d: point %d (x_%d = (%.4g, %.4g) at 1280): z = (%.4g, %.4g), T(z) = (%.6g, %.6g), native (%.6g, %.6g)", vp[0], vp[1], k, i, prob.X[2*i], prob.X[2*i+1], zt[0], zt[1], zt[2], zt[3], want[0], want[1])
			if dz := max(math.Abs(zt[0]-prob.X[2*i]), math.Abs(zt[1]-prob.X[2*i+1])); vp[0] > 500 && dz > 0.1 {
				t.Errorf("the click landed at z = (%g, %g), %g from x_%d", zt[0], zt[1], dz, i)
			}
			if math.Abs(zt[2]-want[0]) > 1e-6 || math.Abs(zt[3]-want[1]) > 1e-6 {
				t.Errorf("page T(z) = (%.9g, %.9g), ot.EntropicMap (%.9g, %.9g)", zt[2], zt[3], want[0], want[1])
			}
		}
		shot(t, tb, "ot-map", int64(vp[0]))
		if vp[0] < 500 {
			click(t, tb, "panel-button")
		}
		click(t, tb, "clear-queries")
		poll[bool](t, tb, `!document.getElementById("ot-map")`, 5*time.Second)
		if vp[0] < 500 {
			click(t, tb, "panel-button")
		}
	}
	tb.checkConsole(t)
}

// Warm start on /ot: with warm=yes, after a converged run at ε = 0.05,
// changing ε to 0.04 and applying starts from the shown potentials; the
// warm-start row reports the cold iteration count (ot.Sinkhorn's from
// zeros, natively) and, once converged, the iterations saved.
func TestOTWarmStartControl(t *testing.T) {
	tb := newTab(t)
	// Ten iterations a frame (steps=10): one a frame drew some 1,100
	// frames, 40 s on the 2-core VM. The counts stay exact (the solver
	// checks every iteration; the frame that converges ends up to nine
	// past it, in the warm count and the saved ones alike).
	base := "x=gaussian&y=moons&n=60&m=50&backend=cpu&warm=yes&steps=10"
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?"+base+"&eps=0.05"))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	if !eval[bool](t, tb, `!!document.getElementById("in-warm")`) {
		t.Fatalf("no warm-start control")
	}
	click(t, tb, "play")
	waitOT(t, tb, "f.converged && !f.playing && !f.warm", 60*time.Second)
	eval[bool](t, tb, `(() => { const e = document.getElementById("in-eps"); e.value = "0.04"; e.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
	click(t, tb, "apply")
	waitOT(t, tb, "f.eps === 0.04 && f.warm && f.iteration === 0", 40*time.Second)
	click(t, tb, "play")
	f := waitOT(t, tb, "f.eps === 0.04 && f.converged && !f.playing", 60*time.Second)

	st, _ := ui.OTSchema.DecodeQuery(base + "&eps=0.04")
	prob, _ := ui.OTProblem(st)
	cold, err := ot.Sinkhorn(compute.NewCPU(0), prob, ui.OTSettings(st))
	if err != nil {
		t.Fatal(err)
	}
	saved := eval[string](t, tb, `document.getElementById("ot-warm").dataset.saved`)
	t.Logf("eps 0.05 -> 0.04: warm %d iterations, cold %d (native %d), saved %s; cost %.9g (cold %.9g)", f.Iteration, f.Warm.ColdIterations, cold.Iterations, saved, f.Cost, cold.Cost)
	if f.Warm.FromEps != 0.05 || f.Warm.ColdIterations != cold.Iterations || f.Iteration >= cold.Iterations || saved != strconv.Itoa(cold.Iterations-f.Iteration) || relDiff(f.Cost, cold.Cost) > 1e-4 {
		t.Errorf("warm %+v after %d iterations, row says %s saved; cold %d iterations", f.Warm, f.Iteration, saved, cold.Iterations)
	}
	tb.checkConsole(t)
}
