package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/otplay/otplay/ui"
)

// The keyboard shortcuts on /ot, typed as real key events: the right
// arrow steps, space plays and pauses, and keys typed into a form field
// do neither.
func TestKeyboardShortcuts(t *testing.T) {
	tb := newTab(t)
	// A small, slowly converging problem: playing lasts long enough to
	// pause it.
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?n=40&m=40&eps=0.005&k=0&backend=cpu"))
	waitOT(t, tb, "f.iteration === 0", 40*time.Second)

	tb.run(t, 5*time.Second, chromedp.KeyEvent(kb.ArrowRight))
	waitOT(t, tb, "f.iteration === 1", 10*time.Second)

	// In the eps field the arrow moves the caret, it does not step.
	tb.run(t, 5*time.Second, chromedp.Focus("#in-eps"), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(" "), chromedp.Sleep(300*time.Millisecond))
	if it := eval[int](t, tb, `window.otplayResult.iteration`); it != 1 {
		t.Errorf("keys typed into the eps field moved the run to iteration %d", it)
	}
	if v := eval[string](t, tb, `document.getElementById("in-eps").value`); v != "0.005 " {
		t.Errorf("eps field holds %q after typing a space, want %q", v, "0.005 ")
	}

	// Out of the field (focus on the Step button, whose own activation by
	// space must not add a step): space plays, space again pauses.
	tb.run(t, 5*time.Second, chromedp.Focus("#step"), chromedp.KeyEvent(" "))
	f := waitOT(t, tb, "f.playing && f.iteration > 2", 20*time.Second)
	t.Logf("playing at iteration %d", f.Iteration)
	tb.run(t, 5*time.Second, chromedp.KeyEvent(" "))
	poll[bool](t, tb, `document.getElementById("pause").disabled && !document.getElementById("play").disabled`, 10*time.Second)
	tb.run(t, 5*time.Second, chromedp.Sleep(200*time.Millisecond))
	at := eval[int](t, tb, `window.otplayResult.iteration`)
	tb.run(t, 5*time.Second, chromedp.Sleep(400*time.Millisecond))
	if later := eval[int](t, tb, `window.otplayResult.iteration`); later != at || eval[bool](t, tb, `window.otplayResult.playing`) {
		t.Errorf("after the second space the run went on: iteration %d, then %d", at, later)
	}
	// And the arrow steps exactly once from there.
	tb.run(t, 5*time.Second, chromedp.KeyEvent(kb.ArrowRight))
	waitOT(t, tb, "f.iteration === "+itoa(at+1), 10*time.Second)
	tb.run(t, 5*time.Second, chromedp.Sleep(300*time.Millisecond))
	if it := eval[int](t, tb, `window.otplayResult.iteration`); it != at+1 {
		t.Errorf("one right arrow: iteration %d -> %d", at, it)
	}
	tb.checkConsole(t)
}

// The shortcuts come with the foundation's buttons: /diffusion (built on
// them) steps with the right arrow without any code of its own.
func TestKeyboardOnDiffusion(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/diffusion?particles=100&n=100&steps=20&backend=cpu"))
	poll[bool](t, tb, `(() => { const b = document.getElementById("step"); return !!b && !b.disabled && !!window.otplayResult; })()`, 60*time.Second)
	before := eval[int](t, tb, `window.otplayResult.step`)
	tb.run(t, 5*time.Second, chromedp.KeyEvent(kb.ArrowRight))
	poll[bool](t, tb, `window.otplayResult.step === `+itoa(before+1), 10*time.Second)
	tb.checkConsole(t)
}
