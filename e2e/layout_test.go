package e2e

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// mainViews is the main view of each page: what must be on the first
// screen without scrolling.
var mainViews = map[string]string{
	ui.OTPath: "ot-plan", "/sliced": "sliced-view", "/check": "check-clouds",
	"/diffusion": "diffusion-view", "/bridge": "bridge-view", "/truncate": "truncate-pair",
	"/patch": "patch-images", ui.BarycenterPath: "barycenter-view",
}

// smallURL is a page at its smallest sizes on the CPU: the layout is what
// is measured, and a page busy computing would hold the browser's thread.
func smallURL(p ui.Page) string {
	q := url.Values{"backend": {"cpu"}}
	for _, prm := range p.Schema {
		if prm.Kind == ui.KindInt && prm.Min > 0 {
			q.Set(prm.Name, strconv.Itoa(int(prm.Min)))
		}
	}
	return env.baseURL + p.Path + "?" + q.Encode()
}

// What a reader sees at 1280x800 and at 390x844: each page's main view
// inside the first screen (no scrolling), no two visible controls or
// views overlapping one another, no placeholder text once the first
// result is in, no number of a read-out table broken across two lines (as
// laid out, and again with each value cell squeezed to its narrowest),
// and at phone width the settings in a drawer that the Settings button
// opens. The two widths run side by side, a tab each; each page's
// picture goes to $OTPLAY_SCREENSHOTS as PAGE-WIDTH.png if set.
func TestReaderSeesPictureFirst(t *testing.T) {
	t.Parallel()
	for _, vp := range []struct {
		w, h   int
		mobile bool
	}{{1280, 800, false}, {390, 844, true}} {
		t.Run(fmt.Sprintf("%dx%d", vp.w, vp.h), func(t *testing.T) {
			t.Parallel()
			tb := newTab(t)
			defer tb.checkConsole(t)
			if vp.mobile {
				tb.run(t, 10*time.Second, chromedp.EmulateViewport(int64(vp.w), int64(vp.h), chromedp.EmulateMobile))
			} else {
				tb.run(t, 10*time.Second, chromedp.EmulateViewport(int64(vp.w), int64(vp.h)))
			}
			for _, p := range ui.Pages() {
				view, ok := mainViews[p.Path]
				if !ok {
					continue
				}
				tb.run(t, 30*time.Second, chromedp.Navigate(smallURL(p)))
				poll[bool](t, tb, `!!document.getElementById("backend-badge")`, 30*time.Second)
				got := waitResult(tb, p.Path, 60*time.Second)
				where := fmt.Sprintf("%s at %dx%d", p.Path, vp.w, vp.h)
				if !got {
					t.Errorf("%s: no result within 60 s", where)
					continue
				}
				box := eval[[]float64](t, tb, `(() => { const v = document.querySelector('[data-view="`+view+`"]'); if (!v) return []; const r = v.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, window.scrollY]; })()`)
				if len(box) != 5 {
					t.Errorf("%s: no main view %s", where, view)
					continue
				}
				if box[4] != 0 || box[0] < 0 || box[1] < 0 || box[2] > float64(vp.w)+0.5 || box[3] > float64(vp.h)+0.5 || box[3]-box[1] < 100 {
					t.Errorf("%s: main view %s at %v, want it inside the first screen (%dx%d)", where, view, box[:4], vp.w, vp.h)
				}
				// Overlaps between leaf boxes that a reader sees: controls,
				// canvases, images, labels, headings, table cells.
				overlaps := eval[[]string](t, tb, overlapJS)
				if len(overlaps) > 0 {
					t.Errorf("%s: overlapping elements: %s", where, strings.Join(overlaps, "; "))
				}
				placeholders := eval[[]string](t, tb, placeholderJS)
				if len(placeholders) > 0 {
					t.Errorf("%s: placeholder text after the first result: %s", where, strings.Join(placeholders, "; "))
				}
				shot(t, tb, strings.TrimPrefix(p.Path, "/"), int64(vp.w))
				if broken := eval[[]string](t, tb, brokenNumbersJS+"(false)"); len(broken) > 0 {
					t.Errorf("%s: numbers broken across lines: %s", where, strings.Join(broken, "; "))
				}
				if broken := eval[[]string](t, tb, brokenNumbersJS+"(true)"); len(broken) > 0 {
					t.Errorf("%s: numbers broken across lines in value cells squeezed to their narrowest: %s", where, strings.Join(broken, "; "))
				}
				if vp.mobile {
					// The drawer: closed, then opened by the Settings button,
					// with the form inside the screen.
					if w := eval[float64](t, tb, `document.getElementById("panel").getBoundingClientRect().width`); w != 0 {
						t.Errorf("%s: the settings drawer is open before Settings is pressed (width %g)", where, w)
					}
					click(t, tb, "panel-button")
					r := eval[[]float64](t, tb, `(() => { const r = document.getElementById("panel").getBoundingClientRect(); return [r.left, r.right, r.height]; })()`)
					if r[0] < 0 || r[1] > float64(vp.w) || r[2] < 200 {
						t.Errorf("%s: the opened drawer is at %v, want it on screen", where, r)
					}
					if n := eval[int](t, tb, `document.querySelectorAll("#panel .otplay-field").length`); n == 0 {
						t.Errorf("%s: the drawer holds no form fields", where)
					}
				}
			}
		})
	}
}

// overlapJS lists pairs of visible leaf elements whose boxes overlap by
// more than 2 px each way (one inside the other, as a label's text inside
// its label, does not count: only elements neither of which contains the
// other).
const overlapJS = `(() => {
	const sel = "button, input, select, canvas, img, label, h1, h2, legend, summary, td, th, a, .otplay-badge, progress, math";
	const els = [...document.querySelectorAll(sel)].filter((e) => {
		const r = e.getBoundingClientRect(), s = getComputedStyle(e);
		const closed = e.closest("details:not([open])");
		if (closed && e.tagName !== "SUMMARY") return false; // inside a collapsed section: not seen
		return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.opacity !== "0" && !e.closest(".otplay-drawer-toggle");
	});
	const out = [];
	for (let i = 0; i < els.length && out.length < 8; i++) {
		const a = els[i], ra = a.getBoundingClientRect();
		for (let j = i + 1; j < els.length; j++) {
			const b = els[j];
			if (a.contains(b) || b.contains(a)) continue;
			const rb = b.getBoundingClientRect();
			const ox = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
			const oy = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
			if (ox > 2 && oy > 2) {
				const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.textContent ? "(" + e.textContent.trim().slice(0, 20) + ")" : "");
				out.push(name(a) + " / " + name(b));
			}
		}
	}
	return out;
})()`

// brokenNumbersJS, called with squeeze, lists the numbers of the read-out
// tables' value cells ("1.399e-05", "-0.25", as ui's numberPattern reads
// them, digits ending a word left out) whose text lies on more than one
// line. With squeeze every read-out table and value cell is first made as
// narrow as its content allows (width 1px, so each column is its
// narrowest content), the worst case a phone can give; the widths are
// restored after.
const brokenNumbersJS = `((squeeze) => {
	const re = /(?<![\w.])[-+\u2212]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN/g;
	const cells = [...document.querySelectorAll(".otplay-result td")].filter((td) => td.getClientRects().length > 0);
	const tables = [...document.querySelectorAll(".otplay-result table")];
	if (squeeze) for (const e of [...tables, ...cells]) e.style.width = "1px";
	const out = [];
	for (const td of cells) {
		const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
		for (let n = walk.nextNode(); n; n = walk.nextNode()) {
			for (const m of n.data.matchAll(re)) {
				const r = document.createRange();
				r.setStart(n, m.index);
				r.setEnd(n, m.index + m[0].length);
				const tops = new Set([...r.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)));
				if (tops.size > 1 && out.length < 8) out.push(JSON.stringify(m[0]) + " in " + JSON.stringify(td.textContent.trim().slice(0, 50)));
			}
		}
	}
	if (squeeze) for (const e of [...tables, ...cells]) e.style.width = "";
	return out;
})`

// placeholderJS lists texts that are placeholders, not results: "NaN",
// "undefined", "null" as a value, "opening..." once the result is in.
const placeholderJS = `(() => {
	const out = [];
	for (const el of document.querySelectorAll("td, th, .otplay-result, .otplay-badge, .otplay-timing")) {
		const t = el.textContent;
		if (/\bNaN\b|\bundefined\b|\bnull\b|opening\.\.\./.test(t)) out.push((el.id || el.tagName.toLowerCase()) + ": " + t.trim().slice(0, 60));
	}
	return out.slice(0, 8);
})()`

// Every tour link of every page loads its state and computes: the page
// publishes a result without an error, and the tour's caption is shown.
// The pages run side by side, a tab each (the tours compute on the
// one-thread wasm CPU: a tab keeps about one core busy).
func TestToursLoadAndCompute(t *testing.T) {
	t.Parallel()
	for _, p := range ui.Pages() {
		t.Run(strings.TrimPrefix(p.Path, "/"), func(t *testing.T) {
			t.Parallel()
			tb := newTab(t)
			defer tb.checkConsole(t)
			for i, tour := range p.Tours {
				if p.Path == "/validate" && strings.Contains(tour.Query, "full=yes") {
					continue // the full suite takes minutes on SwiftShader
				}
				if p.Path == "/validate" && tour.Query == "" {
					// The quick suite on the browser's GPU: TestValidatePageWebGPU
					// opens this state, waits for its result and checks the
					// caption (one run of the suite, not two).
					continue
				}
				q := tour.Query
				if !strings.Contains(q, "backend=") {
					// The CPU: dozens of pages in a row, the state is the
					// subject.
					q += "&backend=cpu"
				}
				tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+p.Path+"?"+strings.TrimPrefix(q, "&")))
				where := fmt.Sprintf("%s tour %d %q", p.Path, i, tour.Name)
				timeout := 90 * time.Second
				if p.Path == "/patch" {
					timeout = 240 * time.Second // patch OT on the one-thread wasm CPU
				}
				if !waitResult(tb, p.Path, timeout) {
					t.Errorf("%s: no result within %v", where, timeout)
					continue
				}
				res := eval[map[string]any](t, tb, `window.otplayResult`)
				if e, _ := res["error"].(string); e != "" {
					t.Errorf("%s: the page failed: %s", where, e)
				}
				caption := eval[string](t, tb, `(() => { const c = document.getElementById("tour-caption"); return c ? c.textContent : ""; })()`)
				if !strings.Contains(caption, tour.Name) {
					t.Errorf("%s: caption %q, want the tour's", where, caption)
				}
			}
		})
	}
}
