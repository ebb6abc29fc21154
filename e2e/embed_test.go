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
