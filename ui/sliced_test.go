package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/otplay/otplay/play"
	"github.com/otplay/otplay/solvers/sliced"
)

// slicedTestRun is a /sliced URL state computed the way the page does,
// synchronously, for tests: OpenBackend, play.Sliced.Start and Step 0; a
// lost device is reported to BackendLost and the distance computed again
// on the backend that replaces it (the Runner's restart).
type slicedTestRun struct {
	out SlicedResult
	res sliced.Result
	run play.Run[play.SlicedFrame]
}

func RunSliced(st State) *slicedTestRun {
	r := &slicedTestRun{}
	s, err := play.ParseSliced(st)
	status := OpenBackend(st.String(BackendParam.Name))
	for try := 0; err == nil && try < 2; try++ {
		var f play.SlicedFrame
		if r.run, err = s.Start(context.Background(), status.Backend, func(play.Progress) {}); err == nil {
			f, err = r.run.Step(context.Background(), 0, false)
		}
		if IsDeviceLost(err) && try == 0 {
			status, err = BackendLost(status.Backend, err), nil
			continue
		}
		r.out.SlicedFrame, r.res = f, f.Result
		break
	}
	r.out.PageResult = PageResult{Page: SlicedPath, Done: true, Backend: status}
	if err != nil {
		r.out.Error = err.Error()
	}
	return r
}

// show moves the shown direction to l.
func (r *slicedTestRun) show(l int) error {
	f, err := r.run.Step(context.Background(), l-r.out.Shown, false)
	if err == nil {
		r.out.SlicedFrame = f
	}
	return err
}

func TestSlicedPageRender(t *testing.T) {
	html := pageHTML(newSlicedPage())
	for _, want := range []string{`id="sliced-stats"`, `data-status="running"`, `id="next"`, `id="sliced-view"`, `id="in-L"`} {
		if !strings.Contains(html, want) {
			t.Errorf("initial /sliced lacks %q", want)
		}
	}
	st, _ := SlicedSchema.DecodeQuery("n=20&m=30&L=5&backend=cpu")
	r := RunSliced(st)
	if r.out.Error != "" {
		t.Fatal(r.out.Error)
	}
	p := newSlicedPage()
	p.state, p.update = st, play.Update[play.SlicedFrame]{Frame: r.out.SlicedFrame, HasFrame: true}
	html = pageHTML(p)
	for _, want := range []string{`data-status="done"`, `data-shown="0"`, "over 5 directions", "device sort, host quantile merge", "sliced distance: "} {
		if !strings.Contains(html, want) {
			t.Errorf("/sliced lacks %q:\n%s", want, html)
		}
	}
}
