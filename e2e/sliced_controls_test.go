package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/sliced"
	"github.com/otplay/otplay/ui"
)

// The order p and max-sliced controls of /sliced (a live form): choosing
// p = 1 puts it in the URL and the page's SW_1 equals sliced.Distance's
// with P = 1 natively; turning max-sliced on shows max-SW_2 equal to
// sliced.Max's and its row. Screenshots at 1280x800 and 390x844 go to
// $OTPLAY_SCREENSHOTS if set.
func TestSlicedOrderAndMax(t *testing.T) {
	tb := newTab(t)
	base := "x=gaussian&y=moons&n=150&m=120&L=64&seed=3&backend=cpu"
	for _, vp := range [][2]int64{{1280, 800}, {390, 844}} {
		if vp[0] < 500 {
			tb.run(t, 10*time.Second, chromedp.EmulateViewport(vp[0], vp[1], chromedp.EmulateMobile))
		} else {
			tb.run(t, 10*time.Second, chromedp.EmulateViewport(vp[0], vp[1]))
		}
		tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.SlicedPath+"?"+base))
		waitSliced(t, tb, "r.p === 2")
		setControl(t, tb, "in-p", "1")
		poll[bool](t, tb, `location.search.includes("p=1")`, 10*time.Second)
		r := waitSliced(t, tb, "r.p === 1 && !r.maxDirection")
		setControl(t, tb, "in-max", "yes")
		poll[bool](t, tb, `location.search.includes("max=yes")`, 10*time.Second)
		rm := waitSliced(t, tb, "r.p === 1 && r.maxSW > 0")

		st, err := ui.SlicedSchema.DecodeQuery(base + "&p=1&max=yes")
		if err != nil {
			t.Fatal(err)
		}
		s, err := play.ParseSliced(st)
		if err != nil {
			t.Fatal(err)
		}
		x, y, _ := s.Measures()
		cpu := compute.NewCPU(0)
		want, err := sliced.Distance(cpu, x, y, s.Settings())
		if err != nil {
			t.Fatal(err)
		}
		wantMax, err := sliced.Max(cpu, x, y, s.MaxSettings())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%dx%d: SW_1 = %.12g (native %.12g), max-SW_2 = %.9g along %.4g (native %.9g)", vp[0], vp[1], r.SW, want.SW, rm.MaxSW, rm.MaxDirection, wantMax.MaxSW)
		if relDiff(r.SW, want.SW) > 1e-12 || relDiff(rm.SW, want.SW) > 1e-12 {
			t.Errorf("page SW_1 %.15g then %.15g, sliced.Distance P = 1: %.15g", r.SW, rm.SW, want.SW)
		}
		if relDiff(rm.MaxSW, wantMax.MaxSW) > 1e-9 {
			t.Errorf("page max-SW_2 %.12g, sliced.Max %.12g", rm.MaxSW, wantMax.MaxSW)
		}
		if v := eval[string](t, tb, `(() => { const e = document.getElementById("sliced-max"); return e ? e.dataset.maxsw : ""; })()`); v == "" {
			t.Errorf("no max-SW_2 row")
		}
		shot(t, tb, "sliced-max", int64(vp[0]))
	}
	tb.checkConsole(t)
}
