package e2e

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// The class and guidance controls of /diffusion, driven in the form at
// 1280x800 and 390x844: the class control is shown for labelled data
// (8gaussians) and not for swissroll; the guidance slider appears once a
// class is chosen, with its formula eps = eps_uncond + W (eps_cond -
// eps_uncond) typeset beside it; class 0 at W = 3, applied, is in the URL,
// and the played run ends with nearly every particle on centre 0 (class
// accuracy > 0.95) packed tighter than the class's own points, the
// read-outs shown in the stats table; the corrector and threshold are in
// the advanced settings and Heun's churn appears only for the heun
// sampler. Screenshots go to
// $OTPLAY_SCREENSHOTS if set.
func TestDiffusionGuidanceControls(t *testing.T) {
	for _, vp := range [][2]int{{1280, 800}, {390, 844}} {
		t.Run(strconv.Itoa(vp[0]), func(t *testing.T) {
			tb := newTab(t)
			tb.run(t, 10*time.Second, chromedp.EmulateViewport(int64(vp[0]), int64(vp[1])))
			base := "data=8gaussians&n=200&particles=100&steps=10&trail=0&backend=cpu"
			tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.DiffusionPath+"?"+base))
			waitDiffusion(t, tb, "f.step === 0", 40*time.Second)
			openDrawer := func() {
				// On a phone the form is in the settings drawer.
				if vp[0] < 600 && eval[float64](t, tb, `document.getElementById("panel").getBoundingClientRect().width`) == 0 {
					click(t, tb, "panel-button")
				}
			}
			openDrawer()
			if !shown(t, tb, "in-class") || shown(t, tb, "in-guidance") {
				t.Fatalf("8gaussians, class all: class control shown %v (want true), guidance shown %v (want false)", shown(t, tb, "in-class"), shown(t, tb, "in-guidance"))
			}
			setControl(t, tb, "in-class", "0")
			poll[bool](t, tb, `(() => { const e = document.getElementById("in-guidance"); return !!e && e.getClientRects().length > 0; })()`, 5*time.Second)
			if !eval[bool](t, tb, `(() => { const f = document.getElementById("field-guidance"); return !!f && !!f.querySelector("math msub") && f.querySelector("math").textContent.includes("W"); })()`) {
				t.Errorf("no guidance formula (MathML with W) beside the slider")
			}
			setControl(t, tb, "in-guidance", "3")
			click(t, tb, "apply")
			poll[bool](t, tb, `["class=0", "guidance=3"].every(s => location.search.includes(s))`, 5*time.Second)
			waitDiffusion(t, tb, "f.step === 0 && f.state.includes('guidance=3')", 40*time.Second)
			click(t, tb, "play")
			f := waitDiffusion(t, tb, "f.finished", 60*time.Second)
			t.Logf("%dx%d: class %d W %v: accuracy %.3f, spread %.3f (class's own %.3f), MMD(sample, data) %.4g", vp[0], vp[1], f.Class, f.Guidance, f.ClassAccuracy, f.Spread, f.ClassSpread, f.SampleMMD)
			if f.Class != 0 || f.Guidance != 3 || !(f.ClassAccuracy > 0.95) || !(f.Spread < f.ClassSpread) {
				t.Errorf("finished frame: class %d W %v accuracy %v spread %v (class's own %v): want class 0, W 3, accuracy > 0.95, spread below the class's", f.Class, f.Guidance, f.ClassAccuracy, f.Spread, f.ClassSpread)
			}
			if !eval[bool](t, tb, `document.getElementById("diffusion-stats").textContent.includes("class accuracy")`) {
				t.Errorf("the stats table has no class accuracy row")
			}
			if os.Getenv(screenshotsVar) != "" {
				// The form's guidance field, then (the drawer closed on a
				// phone) the page with its read-outs.
				openDrawer()
				eval[bool](t, tb, `(() => { document.getElementById("field-guidance").scrollIntoView(); return true; })()`)
				shot(t, tb, "diffusion-guidance-form", int64(vp[0]))
				eval[bool](t, tb, `(() => { const c = document.getElementById("panel-toggle"); c.checked = false; window.scrollTo(0, 0); return true; })()`)
				shot(t, tb, "diffusion-guidance", int64(vp[0]))
			}
			openDrawer()
			// Heun's churn is shown in the Advanced sampling settings for
			// the heun sampler only.
			eval[bool](t, tb, `(() => { document.querySelectorAll("#panel details").forEach(d => d.open = true); return true; })()`)
			if !shown(t, tb, "in-corrector") || !shown(t, tb, "in-threshold") || shown(t, tb, "in-churn") {
				t.Errorf("dpmpp2m: corrector shown %v, threshold shown %v (want both), churn shown %v (want not)", shown(t, tb, "in-corrector"), shown(t, tb, "in-threshold"), shown(t, tb, "in-churn"))
			}
			setControl(t, tb, "in-sampler", "heun")
			poll[bool](t, tb, `(() => { const e = document.getElementById("in-churn"); return !!e && e.getClientRects().length > 0; })()`, 5*time.Second)
			setControl(t, tb, "in-data", "swissroll")
			poll[bool](t, tb, `(() => { const e = document.getElementById("in-class"); return !e || e.getClientRects().length === 0; })()`, 5*time.Second)
			tb.checkConsole(t)
		})
	}
}
