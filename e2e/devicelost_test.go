package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// A lost WebGPU device (otplayGPUDevice.destroy(), as a driver reset or a
// tab in the background would do) switches /ot to the CPU backend: the
// page starts again there, the badge says why, and Step still works.
func TestDeviceLostFallsBackToCPU(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.OTPath+"?n=40&m=30&eps=0.1&backend=auto"))
	f := waitOT(t, tb, "f.iteration === 0", 40*time.Second)
	if f.Backend.Kind != ui.KindWebGPU {
		t.Fatalf("the page opened %s; this test needs the browser's WebGPU", f.Backend.Badge())
	}
	click(t, tb, "step")
	waitOT(t, tb, "f.iteration === 1", 20*time.Second)

	if !eval[bool](t, tb, `(() => { if (!window.otplayGPUDevice) return false; otplayGPUDevice.destroy(); return true; })()`) {
		t.Fatal("window.otplayGPUDevice is not set")
	}
	f = waitOT(t, tb, `f.backend.kind === "cpu" && f.iteration === 0`, 20*time.Second)
	t.Logf("after destroy(): %s", f.Backend.Badge())
	if !strings.Contains(f.Backend.Reason, "WebGPU device was lost") || !strings.Contains(f.Backend.Reason, "destroyed") {
		t.Errorf("the reason does not say the device was lost: %q", f.Backend.Reason)
	}
	badge := eval[string](t, tb, `(() => { const b = document.getElementById("backend-badge"); return b.dataset.kind + " " + b.textContent; })()`)
	if !strings.HasPrefix(badge, "cpu CPU (the WebGPU device was lost") {
		t.Errorf("badge after the loss: %q", badge)
	}
	click(t, tb, "step")
	f = waitOT(t, tb, "f.iteration === 1", 20*time.Second)
	if f.Backend.Kind != ui.KindCPU || !(f.Cost > 0) || f.Error != "" {
		t.Errorf("Step after the loss: backend %s, cost %g", f.Backend.Badge(), f.Cost)
	}
	tb.checkConsole(t)
}
