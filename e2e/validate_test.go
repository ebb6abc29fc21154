package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/ui"
)

// The compute conformance suite passes on the browser's WebGPU backend
// (SwiftShader here): every kernel against float64 references.
func TestValidatePageWebGPU(t *testing.T) {
	tb := newTab(t)
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.ValidatePath))
	text := poll[string](t, tb, `window.otplayResult && window.otplayResult.page === "/validate" && window.otplayResult.done ? JSON.stringify(window.otplayResult) : false`, 90*time.Second)
	var r ui.ValidateResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatal(err)
	}
	if r.Backend.Kind != ui.KindWebGPU {
		t.Fatalf("backend %+v, want WebGPU (the browser has SwiftShader)", r.Backend)
	}
	if len(r.Checks) < 20 {
		t.Fatalf("only %d checks ran", len(r.Checks))
	}
	for _, c := range r.Checks {
		if !c.Pass {
			t.Errorf("%s %s: err %.3g tol %.3g %s", c.Op, c.Case, c.MaxErr, c.Tol, c.Error)
		}
	}
	t.Logf("%s: %d checks, %d failed, %.0f ms", r.Backend.Badge(), len(r.Checks), r.Failed, r.TimeMS)
	tb.checkConsole(t)
}
