package ui

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
)

// The page shows a finished run: its state, step, the static bridge and
// the formula of the SDE beside its control.
func TestBridgePageRender(t *testing.T) {
	html := pageHTML(newBridgePage())
	for _, want := range []string{`data-status="opening"`, `id="upload-x"`, "Solving the static bridge"} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /bridge lacks %q", want)
		}
	}
	st, _ := BridgeSchema.DecodeQuery("n=30&m=30&particles=20&steps=6&backend=cpu")
	s, _ := play.ParseBridge(st)
	run, err := s.Start(context.Background(), compute.NewCPU(0), func(play.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 6, false)
	if err != nil {
		t.Fatal(err)
	}
	page := newBridgePage()
	page.state, page.update = st, play.Update[play.BridgeFrame]{Frame: f, HasFrame: true}
	page.runner = &play.Runner[play.BridgeFrame]{}
	html = pageHTML(page)
	for _, want := range []string{`data-status="finished"`, `data-step="6"`, "eps = 2 sigma^2 = 0.08", `id="bridge-view"`, "σ √h Z_k"} {
		if !strings.Contains(html, want) {
			t.Errorf("/bridge lacks %q", want)
		}
	}
	if strings.Count(html, "disabled") != 3 { // finished: Step, Play; not playing: Pause
		t.Errorf("want Step, Play and Pause disabled at the end:\n%s", html)
	}
	if j := page.frameJSON(); !strings.Contains(j, `"finished": true`) || !strings.Contains(j, `"page": "/bridge"`) {
		t.Errorf("frame JSON: %.300s", j)
	}
}

// The transport controls: Transport only in sde mode, beta (with its
// formula) only for momentum, K always; a finished momentum run reads
// out its transport and path energy.
func TestBridgePageTransportControls(t *testing.T) {
	for q, want := range map[string][3]bool{
		"noise=drift":                    {false, false, true},
		"":                               {true, false, true},
		"transport=momentum":             {true, true, true},
		"transport=fisher&multiscale=20": {true, false, true},
	} {
		st, err := BridgeSchema.DecodeQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		page := newBridgePage()
		page.state = st
		page.form = newParamForm(BridgeSchema, st)
		html := pageHTML(page)
		for k, id := range []string{`id="in-transport"`, `id="in-momentum"`, `id="in-multiscale"`} {
			if strings.Contains(html, id) != want[k] {
				t.Errorf("%q: %s shown %v, want %v", q, id, !want[k], want[k])
			}
		}
		if want[1] && !strings.Contains(html, "<mi>β</mi><mi>v</mi><mo>+</mo>") {
			t.Errorf("%q: no momentum formula", q)
		}
	}
	st, _ := BridgeSchema.DecodeQuery("n=30&m=30&particles=20&steps=4&transport=momentum&momentum=0.5&backend=cpu")
	s, _ := play.ParseBridge(st)
	run, err := s.Start(context.Background(), compute.NewCPU(0), func(play.Progress) {})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	f, err := run.Step(context.Background(), 4, false)
	if err != nil || f.PathEnergy == nil {
		t.Fatalf("run: %v, path energy %v", err, f.PathEnergy)
	}
	page := newBridgePage()
	page.state, page.update = st, play.Update[play.BridgeFrame]{Frame: f, HasFrame: true}
	page.runner = &play.Runner[play.BridgeFrame]{}
	html := pageHTML(page)
	for _, want := range []string{"momentum, β = 0.5", "path energy", strconv.FormatFloat(*f.PathEnergy, 'g', 6, 64)} {
		if !strings.Contains(html, want) {
			t.Errorf("finished momentum run lacks %q", want)
		}
	}
}
