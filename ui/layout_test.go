package ui

import (
	"html"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func TestBadge(t *testing.T) {
	cases := []struct {
		s    BackendStatus
		want string
	}{
		{BackendStatus{Kind: KindWebGPU, Adapter: "google swiftshader (fallback)"}, "WebGPU: google swiftshader (fallback)"},
		{BackendStatus{Kind: KindCPU, Reason: "no WebGPU adapter"}, "CPU (no WebGPU adapter)"},
		{BackendStatus{Kind: KindCPU}, "CPU"},
		{BackendStatus{}, "backend: opening..."},
	}
	for _, c := range cases {
		if got := c.s.Badge(); got != c.want {
			t.Errorf("Badge(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestOpenBackendNative(t *testing.T) {
	// Outside a browser there is no navigator.gpu: auto falls back with a
	// reason, cpu says it was asked for, and the status is shared.
	s := OpenBackend(PreferAuto)
	if s.Kind != KindCPU || s.Reason != "not running in a browser" || s.Backend == nil {
		t.Errorf("auto: %+v", s)
	}
	if s2 := OpenBackend(PreferAuto); s2.Backend != s.Backend {
		t.Error("a second OpenBackend(auto) opened another backend")
	}
	if c := OpenBackend(PreferCPU); c.Kind != KindCPU || !strings.Contains(c.Reason, "backend=cpu") {
		t.Errorf("cpu: %+v", c)
	}
	if u := OpenBackend("tpu"); u.Kind != KindCPU || !strings.Contains(u.Reason, `unknown backend "tpu"`) {
		t.Errorf("unknown: %+v", u)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		412 * time.Microsecond:   "0.412 ms",
		1234 * time.Microsecond:  "1.23 ms",
		12345 * time.Microsecond: "12.3 ms",
		1530 * time.Millisecond:  "1530 ms",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestLayoutRender(t *testing.T) {
	s := BackendStatus{Kind: KindCPU, Reason: "requested with backend=cpu"}
	html := pageHTML(Layout{Path: CheckPath, Title: "T", Status: &s,
		Timings: []Timing{{"soft-min", 1500 * time.Microsecond}}}.Render(app.P().Text("body")))
	for _, want := range []string{
		`<nav class="otplay-nav">`, `href="/"`, `href="/check"`, `aria-current="page"`, `class="active"`,
		`id="backend-badge"`, `data-kind="cpu"`, "CPU (requested with backend=cpu)",
		`id="timings"`, "soft-min: ", "1.50 ms", "<p>body</p>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("layout lacks %q:\n%s", want, html)
		}
	}
	embed := pageHTML(Layout{Path: CheckPath, Title: "T", Embed: true}.Render())
	if strings.Contains(embed, "<nav") || !strings.Contains(embed, "otplay-embed") || !strings.Contains(embed, `data-kind="pending"`) {
		t.Errorf("embed layout:\n%s", embed)
	}
}

func TestGalleryRender(t *testing.T) {
	page := pageHTML(&Gallery{})
	for _, p := range Pages() {
		if !strings.Contains(page, `href="`+p.Path+`"`) || !strings.Contains(page, html.EscapeString(p.Summary)) {
			t.Errorf("gallery lacks the card of %s:\n%s", p.Path, page)
		}
	}
}

func TestCheckPageRender(t *testing.T) {
	p := &CheckPage{}
	html := pageHTML(p)
	for _, want := range []string{`id="check-result"`, `data-status="running"`, `<canvas`, `id="check-clouds"`, `id="in-eps"`, `id="run"`} {
		if !strings.Contains(html, want) {
			t.Errorf("initial page lacks %q:\n%s", want, html)
		}
	}
	st, _ := CheckSchema.DecodeQuery("n=16&m=16&backend=cpu")
	r := RunCheck(st)
	p = &CheckPage{state: st, result: &r}
	html = pageHTML(p)
	for _, want := range []string{`data-status="done"`, `data-backend="cpu"`, `data-agree="yes"`,
		"16 x 16 points in 2-D, eps = 0.5, seed 1", "the CPU backend is the float64 reference itself", "soft-min (warm): "} {
		if !strings.Contains(html, want) {
			t.Errorf("finished page lacks %q:\n%s", want, html)
		}
	}
	r = CheckResult{Done: true, Error: "gpu backend: device lost"}
	html = pageHTML(&CheckPage{state: st, result: &r})
	if !strings.Contains(html, `data-status="error"`) || !strings.Contains(html, "Failed: gpu backend: device lost") {
		t.Errorf("error page:\n%s", html)
	}
	// A GPU result shows the agreement against its tolerance.
	r = CheckResult{Done: true, Backend: BackendStatus{Kind: KindWebGPU, Adapter: "a"}, N: 1, M: 1, D: 1, Eps: 1, Values: []float64{1},
		MaxRelDiff: 3e-7, Tolerance: Float32Tolerance, Agree: true, TimingsMS: map[string]float64{"reference": 2}}
	html = pageHTML(&CheckPage{state: st, result: &r})
	if !strings.Contains(html, "3.00e-07 (tolerance 0.0001): agree") || !strings.Contains(html, "float64 CPU reference: ") {
		t.Errorf("GPU page:\n%s", html)
	}
}

func TestCheckFigure(t *testing.T) {
	st, _ := CheckSchema.DecodeQuery("n=10&m=3000&d=1")
	f := checkFigure(st)
	if len(f.Points) != 2 || len(f.Points[0].XY) != 20 || len(f.Points[1].XY) != 2*figureMaxPoints {
		t.Fatalf("points %d, %d", len(f.Points[0].XY), len(f.Points[1].XY))
	}
	// d = 1: drawn on y = 0.
	if f.Points[0].XY[1] != 0 || f.Points[0].XY[3] != 0 {
		t.Errorf("1-D cloud not on y = 0: %v", f.Points[0].XY[:4])
	}
	var r Recorder
	if err := f.Draw(&r); err != nil || count(r.Ops, "circle") != 10+figureMaxPoints+2 { // + the legend dots of X and Y
		t.Errorf("Draw: %v, %d circles", err, count(r.Ops, "circle"))
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
