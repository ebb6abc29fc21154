package e2e

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// The /ot figures draw axes with tick labels (listed by each canvas in
// data-ticks): before the first iteration the residual chart shows its
// axes and the "no data yet" note; after a step its log axis is labelled
// in powers of ten (never e-notation); the plan heatmap has its colourbar
// scale; hovering the plan view shows a read-out of the data coordinates.
func TestPlotTicksAndHover(t *testing.T) {
	tb := newTab(t)
	query := "x=gaussian&y=moons&n=60&m=50&eps=0.3&seed=4&k=2&steps=10&backend=cpu" // 10 iterations a frame
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?"+query))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	ticks := func(id string) (x, y, cb []string) {
		t.Helper()
		s := poll[string](t, tb, `(() => { const c = document.getElementById("`+id+`"); return c && c.dataset.ticks ? c.dataset.ticks : false; })()`, 10*time.Second)
		for _, part := range strings.Split(s, "; ") {
			name, labels, _ := strings.Cut(part, ": ")
			switch name {
			case "x":
				x = strings.Fields(labels)
			case "y":
				y = strings.Fields(labels)
			case "colorbar":
				cb = strings.Fields(labels)
			}
		}
		return x, y, cb
	}
	x, y, _ := ticks("ot-plan")
	if len(x) < 3 || len(y) < 3 {
		t.Errorf("plan view tick labels x %q, y %q; want at least 3 each", x, y)
	}
	x, y, _ = ticks("ot-chart")
	if len(x) < 2 || len(y) < 2 {
		t.Errorf("empty chart tick labels x %q, y %q; want its axes drawn before Play", x, y)
	}
	_, _, cb := ticks("ot-heat")
	if strings.Join(cb, " ") != "−4 −3 −2 −1 0" {
		t.Errorf("plan heatmap colourbar labels %q, want −4 … 0 (log10 P/max)", cb)
	}
	click(t, tb, "play")
	f := waitOT(t, tb, "f.iteration >= 20 || f.converged", 30*time.Second)
	eval[bool](t, tb, `(() => { const b = document.getElementById("pause"); if (b && !b.disabled) b.click(); return true; })()`)
	if r := f.Residuals; len(r) < 2 || !(r[0] > 10*r[len(r)-1]) {
		t.Fatalf("residuals %v do not span a decade", r)
	}
	poll[bool](t, tb, `!document.getElementById("ot-chart").dataset.ticks.startsWith("x: −1.0")`, 10*time.Second)
	_, y, _ = ticks("ot-chart")
	for _, l := range y {
		if strings.Contains(l, "e") || !strings.Contains(l, "10") {
			t.Errorf("log axis label %q among %q, want powers of ten (10⁻ᵏ)", l, y)
		}
	}
	// Hover: a mousemove at the plan view's centre shows the read-out.
	tip := eval[string](t, tb, `(() => {
		const c = document.getElementById("ot-plan"), r = c.getBoundingClientRect();
		c.dispatchEvent(new MouseEvent("mousemove", {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true}));
		const tip = document.getElementById("ot-plan-readout");
		return tip.style.display === "block" ? tip.textContent : "hidden";
	})()`)
	if !strings.HasPrefix(tip, "x ") && !strings.Contains(tip, "#") {
		t.Errorf("plan view read-out %q, want the data coordinates or the nearest point", tip)
	}
	hidden := eval[string](t, tb, `(() => {
		document.getElementById("ot-plan").dispatchEvent(new MouseEvent("mouseleave"));
		return document.getElementById("ot-plan-readout").style.display;
	})()`)
	if hidden != "none" {
		t.Errorf("read-out display %q after mouseleave, want none", hidden)
	}
	tb.checkConsole(t)
}

// At device pixel ratio 2 the canvas holds twice the pixels and the
// read-out still maps the pointer onto the figure: the centre of the plan
// view reads out a point inside its data area, the bottom-right corner
// (the tick-label margin) none.
func TestPlotHoverAtPixelRatio2(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 10*time.Second, chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(2)))
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?x=gaussian&y=moons&n=60&m=50&eps=0.3&seed=4&backend=cpu"))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	got := eval[[]string](t, tb, `(() => {
		const c = document.getElementById("ot-plan"), r = c.getBoundingClientRect(), tip = document.getElementById("ot-plan-readout");
		const at = (fx, fy) => {
			c.dispatchEvent(new MouseEvent("mousemove", {clientX: r.left + fx * r.width, clientY: r.top + fy * r.height, bubbles: true}));
			return tip.style.display === "block" ? tip.textContent : "hidden";
		};
		return [String(Math.round(c.width / c.clientWidth)), at(0.5, 0.5), at(0.99, 0.99)];
	})()`)
	if len(got) != 3 || got[0] != "2" {
		t.Fatalf("canvas backing scale %v, want 2 (device pixel ratio)", got)
	}
	if got[1] == "hidden" {
		t.Errorf("no read-out at the plan view's centre at pixel ratio 2")
	}
	if got[2] != "hidden" {
		t.Errorf("read-out %q at the bottom-right margin, want none", got[2])
	}
}

// At phone width (390 px, pixel ratio 3) a figure wider than the screen is
// laid out again at the width it is shown at, so its text keeps its size:
// the canvas holds displayed width x 3 pixels, and the read-out still maps
// the pointer (the centre of the plan view is inside its data area). The
// page is opened wide and then narrowed: the resize lays it out again.
func TestPlotAtPhoneWidth(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 10*time.Second, chromedp.EmulateViewport(1280, 800))
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?x=gaussian&y=moons&n=60&m=50&eps=0.3&seed=4&backend=cpu"))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	wide := eval[[]float64](t, tb, `(() => { const c = document.getElementById("ot-chart"); return [c.width, c.getBoundingClientRect().width]; })()`)
	if len(wide) != 2 || wide[0] < 400 || math.Abs(wide[0]-wide[1]) > 1 {
		t.Errorf("at 1280 px the chart is drawn %v px wide (drawn, shown); want the width it is shown at, over 400", wide)
	}
	tb.run(t, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(3)))
	// Wait for the layout to settle: a redraw may catch the canvas between
	// two widths (once seen: drawn 173 px wide while shown 374 px wide).
	// A chart that never matches its shown width fails the check below.
	settle, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	chromedp.Run(settle, chromedp.Poll[bool](`(() => { const c = document.getElementById("ot-chart"); return c.width / 3 < 400 && Math.abs(c.width / 3 - c.getBoundingClientRect().width) <= 1; })()`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	cancel()
	got := eval[[]float64](t, tb, `(() => {
		const c = document.getElementById("ot-chart"), r = c.getBoundingClientRect();
		const p = document.getElementById("ot-plan"), q = p.getBoundingClientRect(), tip = document.getElementById("ot-plan-readout");
		p.dispatchEvent(new MouseEvent("mousemove", {clientX: q.left + q.width / 2, clientY: q.top + q.height / 2, bubbles: true}));
		return [r.width, c.width / 3, tip.style.display === "block" ? 1 : 0];
	})()`)
	if len(got) != 3 || !(got[0] < 400) || math.Abs(got[0]-got[1]) > 1 {
		t.Errorf("chart shown %g px wide, drawn %g px wide; want it drawn at its displayed width (< 400)", got[0], got[1])
	}
	if len(got) == 3 && got[2] != 1 {
		t.Error("no read-out at the plan view's centre at phone width")
	}
}
