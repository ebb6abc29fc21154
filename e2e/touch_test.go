package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// touchDrag sends a one-finger drag through the points (x, y pairs):
// touchStart at the first, touchMove through the rest, touchEnd.
func touchDrag(xy ...float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		one := 1.0
		for i := 0; i < len(xy); i += 2 {
			typ := input.DispatchTouchEventTypeTouchMove
			if i == 0 {
				typ = input.DispatchTouchEventTypeTouchStart
			}
			p := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{{
				X: xy[i], Y: xy[i+1], RadiusX: &one, RadiusY: &one, Force: &one, ID: new(float64)}}}
			if _, err := cdp.Call(ctx, t, input.DispatchTouchEvent, p); err != nil {
				return err
			}
		}
		_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{
			Type: input.DispatchTouchEventTypeTouchEnd, TouchPoints: []*input.TouchPoint{}})
		return err
	})
}

// Touch painting on a phone: with the paint mode on "paint points of Y", a
// one-finger drag across the plan view adds points where it passed (pointer
// events, and touch-action: none on the canvas so the drag paints instead
// of scrolling the page).
func TestOTTouchPaint(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	query := "n=40&m=30&eps=0.1&backend=cpu"
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?"+query))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	eval[bool](t, tb, `(() => { const s = document.getElementById("paint-mode"); s.value = "y"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`)
	poll[bool](t, tb, `getComputedStyle(document.getElementById("ot-plan")).touchAction === "none"`, 5*time.Second)
	// A stroke across the middle of the plan view (the figure is drawn at
	// its displayed size, so CSS pixels inside the data area are enough).
	r := eval[[]float64](t, tb, `(() => { const r = document.getElementById("ot-plan").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	x0, y0 := r[0]+0.3*r[2], r[1]+0.5*r[3]
	pts := []float64{x0, y0}
	for k := 1; k <= 8; k++ {
		pts = append(pts, x0+float64(8*k), y0)
	}
	tb.run(t, 20*time.Second, touchDrag(pts...))
	f := waitOT(t, tb, "f.m > 30 && f.iteration === 0", 20*time.Second)
	if f.N != 40 || f.M <= 30 {
		t.Errorf("after a touch stroke: n = %d, m = %d (want 40 and more than 30)", f.N, f.M)
	}
	if y := eval[float64](t, tb, `window.scrollY`); y != 0 {
		t.Errorf("the drag scrolled the page to %g instead of painting only", y)
	}
	tb.checkConsole(t)
}
