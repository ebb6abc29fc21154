package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/ot"
)

// otTestRun runs an /ot URL state the way the page does, synchronously,
// for tests: OpenBackend of its preference, play.OT.Start, Step; a step
// that loses the device reports it to BackendLost (the Runner's Lost).
type otTestRun struct {
	status BackendStatus
	run    play.Run[play.OTFrame]
	err    error
	closed bool
	res    *ot.Result // the latest frame's iterate
}

func newOTRun(st State) *otTestRun {
	r := &otTestRun{status: OpenBackend(st.String(BackendParam.Name))}
	o, err := play.ParseOT(st)
	if err == nil {
		r.run, err = o.Start(context.Background(), r.status.Backend, func(play.Progress) {})
	}
	r.err = err
	return r
}

// advance runs k iterations and returns what the page would publish.
func (r *otTestRun) advance(k int) OTFrame {
	out := OTFrame{PageResult: PageResult{Page: OTPath, Done: true, Backend: r.status}}
	switch {
	case r.err != nil:
		out.Error = r.err.Error()
		return out
	case r.closed:
		out.Error = "this run was reset"
		return out
	}
	f, err := r.run.Step(context.Background(), k, false)
	if err != nil {
		out.Error = err.Error()
		if IsDeviceLost(err) {
			BackendLost(r.status.Backend, err)
		}
		return out
	}
	out.OTFrame, r.res = f, f.Result
	return out
}

func (r *otTestRun) close() {
	if r.run != nil && !r.closed {
		r.run.Close()
	}
	r.closed = true
}

// showing returns the page showing frame f of state st, as after the
// Runner's update.
func (p *OTPage) showing(st State, f play.OTFrame) *OTPage {
	p.state = st
	p.setUpdate(play.Update[play.OTFrame]{Frame: f, HasFrame: true})
	return p
}

func TestOTPageRender(t *testing.T) {
	html := pageHTML(newOTPage())
	for _, want := range []string{`id="ot-stats"`, `data-status="opening"`, `id="step"`, `id="play"`, `id="pause"`, `id="reset"`, `id="ot-plan"`, `id="ot-chart"`, `id="in-method"`, `id="progress"`} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /ot lacks %q", want)
		}
	}
	st, _ := OTSchema.DecodeQuery("n=10&m=10&backend=cpu")
	r := newOTRun(st)
	defer r.close()
	f := r.advance(3)
	page := newOTPage().showing(st, f.OTFrame)
	page.runner = &play.Runner[play.OTFrame]{}
	html = pageHTML(page)
	for _, want := range []string{`data-status="ready"`, `data-iteration="3"`, "balanced, eps = 0.05", "transport cost &lt;P, C&gt;", "last frame: "} {
		if !strings.Contains(html, want) {
			t.Errorf("/ot after 3 steps lacks %q:\n%s", want, html)
		}
	}
	if strings.Count(html, "disabled") != 1 { // only Pause, while not playing
		t.Errorf("want only Pause disabled:\n%s", html)
	}
	if strings.Contains(html, `id="progress"`) {
		t.Errorf("a progress bar beside a frame")
	}
	// A failed run says why, and Step and Play are off.
	page.update.Err = ot.ErrNumerical
	html = pageHTML(page)
	if !strings.Contains(html, `data-status="error"`) || strings.Count(html, "disabled") != 3 {
		t.Errorf("/ot after a failure:\n%s", html)
	}
}

// What the page publishes: the frame's fields and the page's, flat.
func TestOTPublished(t *testing.T) {
	st, _ := OTSchema.DecodeQuery("n=10&m=8&backend=cpu")
	r := newOTRun(st)
	defer r.close()
	f := r.advance(2)
	text, err := resultJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"page":"/ot"`, `"done":true`, `"iteration":2`, `"backend":{`, `"playing":false`, `"residuals":[`, `"timingsMs":{`} {
		if !strings.Contains(text, want) {
			t.Errorf("published JSON lacks %s:\n%.400s", want, text)
		}
	}
}
