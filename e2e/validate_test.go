package e2e

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/ui"
)

// The compute conformance suite passes on the browser's WebGPU backend
// (SwiftShader here): every kernel against float64 references. This is
// also the page's first tour, "The quick suite" (TestToursLoadAndCompute
// leaves it to this test): its caption shows. At 390 px wide no number
// of the table breaks across lines. The page at 1280x800 and 390x844 goes
// to $OTPLAY_SCREENSHOTS if set.
func TestValidatePageWebGPU(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	tb.run(t, 10*time.Second, chromedp.EmulateViewport(1280, 800))
	tb.run(t, 30*time.Second, chromedp.Navigate(env.baseURL+ui.ValidatePath))
	// While it runs the page says which check of how many it is on, and
	// the number rises.
	checkAt := func(after int) (k, total int, phase string) {
		t.Helper()
		phase = poll[string](t, tb, fmt.Sprintf(`(() => { const p = document.getElementById("progress"); const m = p && /check (\d+) of (\d+): \S/.exec(p.dataset.phase || ""); return m && +m[1] > %d ? p.dataset.phase : false; })()`, after), 60*time.Second)
		m := regexp.MustCompile(`check (\d+) of (\d+): `).FindStringSubmatch(phase)
		k, _ = strconv.Atoi(m[1])
		total, _ = strconv.Atoi(m[2])
		return k, total, phase
	}
	k1, total, phase := checkAt(0)
	k2, total2, _ := checkAt(k1)
	t.Logf("progress: %q, later check %d", phase, k2)
	// The quick suite has 346 checks (cost kernels, SoftMeanY, special values):
	// 31-62 s on SwiftShader on the loaded 2-core VM, hence the margin.
	text := poll[string](t, tb, `window.otplayResult && window.otplayResult.page === "/validate" && window.otplayResult.done ? JSON.stringify(window.otplayResult) : false`, 180*time.Second)
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
	if total != len(r.Checks) || total2 != total || k2 <= k1 {
		t.Errorf("progress said check %d of %d, then %d of %d; %d checks ran", k1, total, k2, total2, len(r.Checks))
	}
	for _, c := range r.Checks {
		if !c.Pass {
			t.Errorf("%s %s: err %.3g tol %.3g %s", c.Op, c.Case, c.MaxErr, c.Tol, c.Error)
		}
	}
	caption := eval[string](t, tb, `(() => { const c = document.getElementById("tour-caption"); return c ? c.textContent : ""; })()`)
	if tour := play.ValidateTours[0]; tour.Query != "" || !strings.Contains(caption, tour.Name) {
		t.Errorf("caption %q, want the tour %q (query %q)", caption, tour.Name, tour.Query)
	}
	t.Logf("%s: %d checks, %d failed, %.0f ms; slowest: %s", r.Backend.Badge(), len(r.Checks), r.Failed, r.TimeMS, slowestChecks(r.Checks, 12))
	shot(t, tb, "validate", 1280)
	// At phone width the table of checks keeps every number whole.
	tb.run(t, 10*time.Second, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if broken := eval[[]string](t, tb, brokenNumbersJS+"(false)"); len(broken) > 0 {
		t.Errorf("/validate at 390 px: numbers broken across lines: %s", strings.Join(broken, "; "))
	}
	shot(t, tb, "validate", 390)
	tb.checkConsole(t)
}

// slowestChecks names the n slowest checks with their times: on
// SwiftShader most of a check's time is compiling its kernels.
func slowestChecks(cs []ui.ValidateCheck, n int) string {
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b ui.ValidateCheck) int { return cmp.Compare(b.MS, a.MS) })
	var parts []string
	for _, c := range cs[:min(n, len(cs))] {
		parts = append(parts, fmt.Sprintf("%s %s %.0f ms", c.Op, c.Case, c.MS))
	}
	return strings.Join(parts, "; ")
}
