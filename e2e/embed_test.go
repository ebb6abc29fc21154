package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The example page embeds /embed/ot in an iframe and scripts it with
// postMessage: results arrive, otplay:set changes the state (the view
// recomputes with the new eps), a bad value is refused with an error
// message naming it, and otplay:get answers with the latest result.
//
// It runs the view on the CPU backend: the message API is the subject
// here, and the browser GPU path has its own tests.
func TestEmbedPostMessage(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/web/embed-example.html?backend=cpu"))
	first := poll[float64](t, tb, `(() => { const m = window.lastMessages["otplay:result"]; return m && m.page === "/ot" && m.result.done && !m.result.error ? m.result.eps : false; })()`, 40*time.Second)
	if first != 0.1 {
		t.Errorf("first result eps %g, want 0.1 from the iframe's URL", first)
	}
	click(t, tb, "eps-large")
	poll[bool](t, tb, `(() => { const m = window.lastMessages["otplay:result"]; return !!(m && m.result.eps === 0.5 && m.result.done); })()`, 40*time.Second)
	// The iframe's URL carries the merged state.
	src := eval[string](t, tb, `document.getElementById("view").contentWindow.location.search`)
	if !strings.Contains(src, "eps=0.5") || !strings.Contains(src, "n=80") || !strings.Contains(src, "y=circles") {
		t.Errorf("iframe query %q, want eps=0.5 merged into n=80, y=circles", src)
	}
	click(t, tb, "bad")
	errText := poll[string](t, tb, `(() => { const m = window.lastMessages["otplay:error"]; return m ? m.error : false; })()`, 20*time.Second)
	if !strings.Contains(errText, "eps = -1") {
		t.Errorf("error message %q, want it to name eps = -1", errText)
	}
	eval[chromedp.Void](t, tb, `window.lastMessages["otplay:result"] = null`)
	click(t, tb, "get")
	poll[bool](t, tb, `(() => { const m = window.lastMessages["otplay:result"]; return !!(m && m.result && m.result.eps === 0.5); })()`, 20*time.Second)
	// The embedded view is bare: no nav.
	if n := eval[int](t, tb, `document.getElementById("view").contentDocument.querySelectorAll("nav").length`); n != 0 {
		t.Errorf("embedded view has %d nav bars", n)
	}
	tb.checkConsole(t)
}

// The example page's two views are scripted: each sends otplay:ready and
// its content height (which the page sets as the frame's height), shows
// the one view its view= parameter names, and obeys step, play, pause
// and reset, with step and converged events on the way.
func TestEmbedScripting(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/web/embed-example.html?backend=cpu"))
	for _, id := range []string{"view", "view2"} {
		poll[bool](t, tb, `!!window.messagesFrom.`+id+`["otplay:ready"]`, 60*time.Second)
		h := poll[float64](t, tb, `(() => { const m = window.messagesFrom.`+id+`["otplay:height"]; return m ? m.height : false; })()`, 20*time.Second)
		frameH := eval[float64](t, tb, `document.getElementById("`+id+`").getBoundingClientRect().height`)
		if h < 200 || frameH < h || frameH > h+4 { // +2 px border
			t.Errorf("%s: reported height %g, frame height %g: want the frame sized to the view", id, h, frameH)
		}
		// view=: the chosen view shown, the others hidden.
		shown := eval[[]string](t, tb, `[...document.getElementById("`+id+`").contentDocument.querySelectorAll("[data-view]")].filter((e) => e.getBoundingClientRect().height > 0).map((e) => e.dataset.view)`)
		want := map[string]string{"view": "ot-plan", "view2": "diffusion-view"}[id]
		if len(shown) != 1 || shown[0] != want {
			t.Errorf("%s: views shown %v, want only %s", id, shown, want)
		}
	}
	// The /ot view at iteration 0; step moves it one frame.
	iter := `(() => { const m = window.messagesFrom.view["otplay:result"]; return m ? m.result.iteration : -1; })()`
	if it := eval[float64](t, tb, iter); it != 0 {
		t.Errorf("first /ot frame at iteration %g, want 0", it)
	}
	click(t, tb, "ot-step")
	poll[bool](t, tb, iter+` === 1`, 20*time.Second)
	if n := eval[float64](t, tb, `window.eventCounts.view["otplay:step"] || 0`); n < 1 {
		t.Errorf("no otplay:step event after a step")
	}
	// play, pause: frames while playing, then a paused frame.
	click(t, tb, "ot-play")
	poll[bool](t, tb, `(() => { const m = window.messagesFrom.view["otplay:result"]; return !!m && m.result.playing && m.result.iteration > 1; })()`, 20*time.Second)
	click(t, tb, "ot-pause")
	poll[bool](t, tb, `(() => { const m = window.messagesFrom.view["otplay:result"]; return !!m && !m.result.playing; })()`, 20*time.Second)
	// reset: back to iteration 0.
	click(t, tb, "ot-reset")
	poll[bool](t, tb, iter+` === 0`, 20*time.Second)
	// A blurry plan converges quickly: play until the converged event.
	click(t, tb, "eps-large")
	poll[bool](t, tb, `(() => { const m = window.messagesFrom.view["otplay:ready"]; return !!m && m.result.eps === 0.5; })()`, 40*time.Second)
	click(t, tb, "ot-play")
	conv := poll[map[string]any](t, tb, `window.messagesFrom.view["otplay:converged"] || false`, 60*time.Second)
	if r, _ := conv["result"].(map[string]any); r == nil || r["converged"] != true {
		t.Errorf("converged event %v, want a converged result", conv)
	}
	// The view= and backend parameters survived the set.
	if src := eval[string](t, tb, `document.getElementById("view").contentWindow.location.search`); !strings.Contains(src, "view=ot-plan") {
		t.Errorf("iframe query %q lost view=ot-plan", src)
	}
	// A message the page cannot obey now is refused with a reason.
	eval[chromedp.Void](t, tb, `window.messagesFrom.view["otplay:error"] = null`)
	click(t, tb, "ot-pause") // not playing: Pause is disabled
	if e := poll[string](t, tb, `(() => { const m = window.messagesFrom.view["otplay:error"]; return m ? m.error : false; })()`, 10*time.Second); !strings.Contains(e, "pause") {
		t.Errorf("error %q, want it to name pause", e)
	}
	// The diffusion view steps too.
	click(t, tb, "diff-step")
	poll[bool](t, tb, `(() => { const m = window.messagesFrom.view2["otplay:result"]; return !!m && m.result.step >= 1; })()`, 30*time.Second)
	tb.checkConsole(t)
}

// autoplay=1 starts the view playing once its first result is in.
func TestEmbedAutoplay(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+"/embed/ot?backend=cpu&n=60&m=60&eps=0.5&autoplay=1"))
	poll[bool](t, tb, `(() => { const r = window.otplayResult; return !!r && r.iteration > 0; })()`, 60*time.Second)
	tb.checkConsole(t)
}
