package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The stepped pages outside /ot and /sliced also move to the CPU when the
// WebGPU device is lost: the run starts again there and the published
// frame's backend says why.
func TestDeviceLostOtherPages(t *testing.T) {
	for _, page := range []string{"/diffusion?particles=200&n=200&steps=5&backend=auto", "/bridge?n=60&m=60&backend=auto"} {
		route := strings.SplitN(page, "?", 2)[0]
		t.Run(strings.TrimPrefix(route, "/"), func(t *testing.T) {
			tb := newTab(t)
			tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+page))
			kind := poll[string](t, tb, `(() => { const f = window.otplayResult; return f && f.page === "`+route+`" && f.backend && f.backend.kind ? f.backend.kind : false; })()`, 60*time.Second)
			if kind != "webgpu" {
				t.Skipf("%s opened %q, not the browser's WebGPU (this test needs it)", route, kind)
			}
			if !eval[bool](t, tb, `(() => { if (!window.otplayGPUDevice) return false; otplayGPUDevice.destroy(); return true; })()`) {
				t.Fatal("window.otplayGPUDevice is not set")
			}
			reason := poll[string](t, tb, `(() => { const f = window.otplayResult; return f && f.page === "`+route+`" && f.backend && f.backend.kind === "cpu" && !f.error ? f.backend.reason : false; })()`, 60*time.Second)
			if !strings.Contains(reason, "WebGPU device was lost") {
				t.Errorf("%s after destroy(): reason %q does not say the device was lost", route, reason)
			}
		})
	}
}
