package e2e

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// At phone width (a 390 x 844 mobile viewport) no page overflows
// horizontally: every element's box ends inside the viewport (or inside
// a box that scrolls sideways, which itself ends inside it), the
// document does not scroll sideways, and on /ot the formula beside each
// control is still shown. The home page at 390 px goes to
// $OTPLAY_SCREENSHOTS if set.
func TestPhoneWidth(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	// Each page at its smallest sizes (every integer parameter with a
	// positive minimum at that minimum) on the CPU: the layout is what is
	// measured, and a page busy computing would hold the browser's thread.
	urls := map[string]string{"/": env.baseURL + "/"}
	paths := []string{"/"}
	for _, p := range ui.Pages() {
		q := url.Values{"backend": {"cpu"}}
		for _, prm := range p.Schema {
			if prm.Kind == ui.KindInt && prm.Min > 0 {
				q.Set(prm.Name, strconv.Itoa(int(prm.Min)))
			}
		}
		paths = append(paths, p.Path)
		urls[p.Path] = env.baseURL + p.Path + "?" + q.Encode()
	}
	for _, path := range paths {
		u := urls[path]
		tb.run(t, 30*time.Second, chromedp.Navigate(u))
		// The layout, then (briefly) the page's first result, whose
		// tables and plots are part of what must fit.
		poll[bool](t, tb, `!!document.getElementById("backend-badge")`, 30*time.Second)
		start := time.Now()
		got := path != "/" && waitResult(tb, path, 6*time.Second)
		if path == "/" {
			// The gallery, once go-app's loading screen has gone (it
			// covers the page until the wasm runs) and the badge names the
			// backend the pages will use.
			got = poll[bool](t, tb, `!document.getElementById("app-wasm-loader") && document.getElementById("backend-badge").dataset.kind !== "pending"`, 30*time.Second)
		}
		t.Logf("%s: result %v after %v", path, got, time.Since(start).Round(time.Millisecond))
		over := eval[[]string](t, tb, `(() => {
			const w = document.documentElement.clientWidth, out = [];
			if (document.documentElement.scrollWidth > w) out.push("document scrollWidth " + document.documentElement.scrollWidth + " > " + w);
			// Inside a box that scrolls sideways (/validate's table) an
			// element may reach past the screen: the reader scrolls the
			// box; the box itself must fit.
			const inScroller = (el) => {
				for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
					const o = getComputedStyle(a).overflowX;
					if (o === "auto" || o === "scroll") return true;
				}
				return false;
			};
			for (const el of document.body.querySelectorAll("*")) {
				const r = el.getBoundingClientRect();
				if (r.width > 0 && r.right > w + 0.5 && !inScroller(el)) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && el.className.baseVal === undefined ? "." + el.className : "") + " right " + Math.round(r.right));
			}
			return out.slice(0, 12);
		})()`)
		if len(over) > 0 {
			t.Errorf("%s at 390 px: overflows: %s", path, strings.Join(over, "; "))
		}
		if path == "/" { // the pages' are TestReaderSeesPictureFirst's and TestValidatePageWebGPU's
			shot(t, tb, "home", 390)
		}
	}
	// Fields keep their visible explanations at phone width.
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?backend=cpu"))
	poll[bool](t, tb, `!!document.getElementById("help-eps")`, 30*time.Second)
	waitResult(tb, ui.OTPath, 30*time.Second) // the page mounted (the drawer's state is the client's)
	click(t, tb, "panel-button")              // the settings are in a drawer at phone width
	if h := eval[float64](t, tb, `document.getElementById("help-eps").getBoundingClientRect().height`); !(h > 5) {
		t.Errorf("the help of eps is not shown at phone width (height %g)", h)
	}
	tb.checkConsole(t)
}

// waitResult waits up to timeout for the page at path to publish a
// result; it reports whether one came (slow pages are measured anyway).
func waitResult(tb *tab, path string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const r = window.otplayResult; return !!r && r.page === "`+path+`"; })()`))
		cancel()
		if err == nil && ok {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
