package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// perfScript runs in every document of a perf tab before the page's own
// scripts: it notes when the first result is published (performance.now()
// counts from the navigation's start) and counts animation frames and
// published results.
const perfScript = `
window.__perf = {first: null, raf: 0, results: 0};
addEventListener("otplay:result", () => {
	if (window.__perf.first === null) window.__perf.first = performance.now();
	window.__perf.results++;
});
(function tick() { window.__perf.raf++; requestAnimationFrame(tick); })();
`

// perfTab opens a tab as on a first visit (HTTP cache disabled, service
// workers and their caches removed) with perfScript installed.
func perfTab(t *testing.T) *tab {
	t.Helper()
	tb := newTab(t)
	tb.run(t, 20*time.Second, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: perfScript})
		return err
	}))
	// Forget go-app's service worker and its caches, which earlier tests
	// installed: from a static page of the same origin.
	tb.run(t, 20*time.Second, chromedp.Navigate(env.baseURL+"/web/embed-example.html"))
	n := poll[float64](t, tb, `(async () => {
		const rs = await navigator.serviceWorker.getRegistrations();
		await Promise.all(rs.map(r => r.unregister()));
		await Promise.all((await caches.keys()).map(k => caches.delete(k)));
		return rs.length + 1;
	})()`, 10*time.Second)
	t.Logf("(unregistered %d service workers)", int(n)-1)
	return tb
}

// TestPerf measures the playground's speed figures for the README:
//   - the wasm's size, raw and gzipped (what the server sends precompressed);
//   - the time from navigation start to the first published result (the
//     first interactive page) on /check and /ot, on a first visit;
//   - frames per second while playing /ot at n = m = 1000 and /diffusion
//     with 5000 particles, on the CPU backend and on WebGPU (SwiftShader
//     in headless Chromium): animation frames the browser managed
//     (requestAnimationFrame; the wasm runs on the page's one thread, so
//     this is how fluid the page stays) and results the page published
//     (computed and drawn frames).
//
// It asserts no timings (they depend on the machine); it logs them. It
// runs only with OTPLAY_PERF=1: it takes about a minute of both cores and
// would slow the ordinary e2e run.
func TestPerf(t *testing.T) {
	if os.Getenv("OTPLAY_PERF") != "1" {
		t.Skip("speed figures only with OTPLAY_PERF=1 (a minute of CPU; they are logged, not asserted)")
	}
	perfWasmSize(t)
	for _, path := range []string{ui.CheckPath + "?backend=auto", ui.OTPath + "?backend=auto", ui.OTPath + "?backend=cpu"} {
		tb := perfTab(t)
		start := time.Now()
		tb.run(t, 60*time.Second, chromedp.Navigate(env.baseURL+path))
		first := poll[float64](t, tb, `window.__perf.first`, 90*time.Second)
		t.Logf("PERF first result %-22s %6.0f ms after navigation start (wall %v, no cache)", path, first, time.Since(start).Round(time.Millisecond))
	}
	for _, backend := range []string{"cpu", "auto"} {
		perfPlay(t, ui.OTPath+"?n=1000&m=1000&eps=0.01&backend="+backend, `window.otplayResult.iteration`, "iterations")
		perfPlay(t, "/diffusion?particles=5000&steps=1000&backend="+backend, `window.otplayResult.step`, "steps")
	}
}

func perfWasmSize(t *testing.T) {
	resp, err := http.Get(env.baseURL + "/web/app.wasm")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(raw)
	w.Close()
	req, _ := http.NewRequest("GET", env.baseURL+"/web/app.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	sent := "?"
	if resp, err := (&http.Client{Transport: tr}).Do(req); err == nil {
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		sent = fmt.Sprintf("%.2f MiB (Content-Encoding %q)", float64(n)/(1<<20), resp.Header.Get("Content-Encoding"))
	}
	t.Logf("PERF wasm: %.2f MiB raw, %.2f MiB gzip -9; the server sends %s", float64(len(raw))/(1<<20), float64(gz.Len())/(1<<20), sent)
}

// perfPlay opens the page, waits for it to be ready, presses Play and
// counts over a few seconds.
func perfPlay(t *testing.T, path, progress, unit string) {
	t.Helper()
	tb := perfTab(t)
	tb.run(t, 60*time.Second, chromedp.Navigate(env.baseURL+path))
	poll[bool](t, tb, `(() => { const b = document.getElementById("play"); return !!b && !b.disabled && !!window.otplayResult; })()`, 120*time.Second)
	badge := eval[string](t, tb, `document.getElementById("backend-badge").textContent`)
	// Count over at least 4 s, and until 5 results came or 15 s passed
	// (a software GPU can take seconds per frame at this size).
	counts := `[window.__perf.raf, window.__perf.results, ` + progress + `, performance.now()]`
	before := eval[[]float64](t, tb, counts)
	click(t, tb, "play")
	deadline := time.Now().Add(15 * time.Second)
	for minEnd := time.Now().Add(4 * time.Second); ; {
		tb.run(t, 5*time.Second, chromedp.Sleep(250*time.Millisecond))
		now := eval[[]float64](t, tb, counts)
		if time.Now().After(deadline) || (time.Now().After(minEnd) && now[1]-before[1] >= 5) {
			break
		}
	}
	after := eval[[]float64](t, tb, counts)
	eval[bool](t, tb, `(() => { const b = document.getElementById("pause"); if (b && !b.disabled) b.click(); return true; })()`)
	s := (after[3] - before[3]) / 1000
	t.Logf("PERF playing %-52s %-40s over %4.1f s: %5.1f animation frames/s, %5.2f results/s, %6.2f %s/s",
		path, badge, s, (after[0]-before[0])/s, (after[1]-before[1])/s, (after[2]-before[2])/s, unit)
}
