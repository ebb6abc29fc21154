package ui

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/play"
)

// PageResult is what every page publishes (window.otplayResult, the
// embed API's result messages) beside its frame's own fields: the page,
// whether a frame has been computed, why the run failed, the backend and
// whether it plays.
type PageResult struct {
	Page    string        `json:"page"`
	Done    bool          `json:"done"` // a frame has been computed (not: converged)
	Error   string        `json:"error,omitempty"`
	Backend BackendStatus `json:"backend"`
	Playing bool          `json:"playing"`
}

// pageSkeleton is the one lifecycle of a computing page, embedded by each
// page component over its play model: OnMount subscribes to device losses
// (the run restarts on the CPU), OnNav decodes the URL state into the
// form and starts a run (play.Runner.Reset), OnDismount stops it; the
// buttons Step, Play, Pause and Reset drive the Runner; every Update is
// handed to the UI goroutine (ctx.Dispatch), rendered, then published.
// The page sets the fields above the line in its constructor and renders
// with layout, controls and the latest update.
type pageSkeleton[F play.Frame] struct {
	Path   string // the page's route ("/ot")
	Title  string // the document title ("Entropic OT · otplay")
	Schema Schema
	// Start returns the run of a URL state: it parses the page's typed
	// state (play.ParseOT, ...) and returns its Start. An error is shown
	// as the run's failure.
	Start func(st State) (play.Start[F], error)
	// StepsPerFrame is the number of steps per frame of a Play (nil: 1).
	StepsPerFrame func(st State) int
	// Publish returns what the page publishes for a frame (nil: nothing).
	Publish func(r PageResult, f F) any
	// LiveForm applies every change of the form at once (no Apply).
	LiveForm bool

	ctx      app.Context
	hasCtx   bool
	embed    bool
	state    State
	stateErr string
	form     *paramForm
	runner   *play.Runner[F]
	update   play.Update[F]
	status   *BackendStatus
	opened   sync.Map     // compute.Backend -> BackendStatus, from Open
	pref     atomic.Value // the backend preference of the run started last (string)
	stopLost func()
	exported exportStatus
	// shown is the displayed frame and its query, for the exports, whose
	// files are built on goroutines (and whose buttons keep the handlers
	// of their first render).
	shown atomic.Pointer[shownFrame[F]]
}

// shownFrame is a displayed frame with the URL state it was computed for.
type shownFrame[F play.Frame] struct {
	frame *F
	query string
}

// OnMount keeps the page's context and subscribes to device losses: when
// the run's GPU device is lost the Runner starts it again on the CPU
// backend, whose badge says why.
func (s *pageSkeleton[F]) OnMount(ctx app.Context) {
	s.ctx, s.hasCtx = ctx, true
	s.stopLost = onBackendLost(func(lost compute.Backend, now BackendStatus) {
		if r := s.runner; r != nil {
			r.Restart(lost)
		}
	})
}

// OnNav reads the URL state into the form and starts a fresh run.
func (s *pageSkeleton[F]) OnNav(ctx app.Context) {
	s.ctx, s.hasCtx = ctx, true
	u := ctx.Page().URL()
	s.embed = IsEmbed(u)
	ctx.Page().SetTitle(s.Title)
	st, err := s.Schema.Decode(u.Query())
	s.state, s.stateErr = st, ""
	if err != nil {
		s.stateErr = err.Error()
	}
	if s.form == nil {
		s.form = newParamForm(s.Schema, st)
		s.form.live = s.LiveForm
	}
	s.form.load(st)
	s.reset()
}

// OnDismount stops and frees the run and ends the subscription.
func (s *pageSkeleton[F]) OnDismount() {
	if s.stopLost != nil {
		s.stopLost()
	}
	if s.runner != nil {
		s.runner.Close()
	}
}

// reset starts the run of the current state (only in the browser: the
// server renders the page before any run).
func (s *pageSkeleton[F]) reset() {
	if !app.IsClient || !s.hasCtx {
		return
	}
	if s.runner == nil {
		s.runner = s.newRunner()
	}
	s.runner.StepsPerFrame = 1
	if s.StepsPerFrame != nil {
		s.runner.StepsPerFrame = s.StepsPerFrame(s.state)
	}
	s.pref.Store(play.PreferredBackend(s.state))
	start, err := s.Start(s.state)
	if err != nil {
		start = func(context.Context, compute.Backend, func(play.Progress)) (play.Run[F], error) { return nil, err }
	}
	s.runner.Reset(start)
}

// newRunner makes the page's Runner: it opens the backend of the state's
// "backend" preference (OpenBackend, remembering its status for the
// badge), reports device losses to BackendLost and hands every Update to
// the UI goroutine.
func (s *pageSkeleton[F]) newRunner() *play.Runner[F] {
	ctx := s.ctx
	return &play.Runner[F]{
		Open: func() (compute.Backend, error) {
			pref, _ := s.pref.Load().(string)
			st := OpenBackend(pref)
			s.opened.Store(st.Backend, st)
			return st.Backend, nil
		},
		Lost: func(b compute.Backend, err error) { BackendLost(b, err) },
		Show: func(u play.Update[F]) {
			var status *BackendStatus
			if v, ok := s.opened.Load(u.Backend); ok && u.Backend != nil {
				st := v.(BackendStatus)
				status = &st
			}
			ctx.Dispatch(func(ctx app.Context) { s.show(ctx, u, status) })
		},
	}
}

// show makes u the displayed update and publishes it once rendered (so
// that a script that sees the result also sees the page showing it).
func (s *pageSkeleton[F]) show(ctx app.Context, u play.Update[F], status *BackendStatus) {
	s.setUpdate(u)
	s.status = status
	if s.Publish == nil || (!u.HasFrame && u.Err == nil) {
		return
	}
	v := s.Publish(s.result(), u.Frame)
	ctx.Defer(func(app.Context) { publishResult(s.Path, v) })
}

// setUpdate makes u the displayed update.
func (s *pageSkeleton[F]) setUpdate(u play.Update[F]) {
	s.update = u
	s.shown.Store(&shownFrame[F]{frame: s.frame(), query: s.state.Encode()})
}

// shownNow returns the frame shown now and its query (nil: none yet); it
// is safe from any goroutine.
func (s *pageSkeleton[F]) shownNow() (*F, string) {
	if v := s.shown.Load(); v != nil {
		return v.frame, v.query
	}
	return nil, ""
}

// result is the page's PageResult now.
func (s *pageSkeleton[F]) result() PageResult {
	r := PageResult{Page: s.Path, Done: s.update.HasFrame || s.update.Err != nil, Playing: s.update.Playing}
	if s.update.Err != nil {
		r.Error = s.update.Err.Error()
	}
	if s.status != nil {
		r.Backend = *s.status
	}
	return r
}

// frame returns the latest frame, or nil before the first.
func (s *pageSkeleton[F]) frame() *F {
	if !s.update.HasFrame {
		return nil
	}
	f := s.update.Frame
	return &f
}

func (s *pageSkeleton[F]) onStep(ctx app.Context, e app.Event) {
	if s.runner != nil {
		s.runner.Step()
	}
}

func (s *pageSkeleton[F]) onPlay(ctx app.Context, e app.Event) {
	if s.runner != nil {
		s.runner.Play()
	}
}

func (s *pageSkeleton[F]) onPause(ctx app.Context, e app.Event) {
	if s.runner != nil {
		s.runner.Pause()
	}
}

func (s *pageSkeleton[F]) onReset(ctx app.Context, e app.Event) { s.reset() }

// onApply validates the form into a state and navigates to its URL (OnNav
// then starts the run).
func (s *pageSkeleton[F]) onApply(ctx app.Context, e app.Event) {
	st, err := s.form.state(s.state)
	if err != nil {
		s.stateErr = err.Error()
		return
	}
	ctx.Navigate(PageURL(ctx.Page().URL().Path, st))
}

// ready reports whether a run is there to step: a frame and no error.
func (s *pageSkeleton[F]) ready() bool {
	return s.runner != nil && s.update.HasFrame && s.update.Err == nil
}

// controls are the Step, Play, Pause and Reset buttons (ids step, play,
// pause, reset; the keyboard shortcuts click them).
func (s *pageSkeleton[F]) controls() app.UI {
	playing := s.update.Playing
	stepOff := !s.ready() || playing
	finished := s.update.HasFrame && s.update.Frame.Finished()
	return app.Div().Class("otplay-controls").Body(
		button("step", "Step", stepOff || finished, s.onStep),
		button("play", "Play", stepOff || finished, s.onPlay),
		button("pause", "Pause", !playing, s.onPause),
		button("reset", "Reset", s.runner == nil, s.onReset),
	)
}

// layout is the page frame of the skeleton's state: the badge, the URL
// state's error, the setup's progress (opening: the phase given), the
// panel (the form with extras per parameter, then more) unless embedded.
func (s *pageSkeleton[F]) layout(title string, extras map[string]app.UI, more ...app.UI) Layout {
	if s.state.Schema() == nil {
		s.state = s.Schema.Defaults()
	}
	l := Layout{Path: s.Path, Title: title, Embed: s.embed, Status: s.status, Query: s.state.Encode(), StateError: s.stateErr}
	l.Progress = s.update.Progress
	if l.Progress == nil && !s.update.HasFrame && s.update.Err == nil && s.stateErr == "" {
		l.Progress = &Progress{Phase: openingPhase}
	}
	if !s.embed {
		if s.form == nil {
			s.form = newParamForm(s.Schema, s.state)
			s.form.live = s.LiveForm
		}
		l.Panel = app.Div().Body(append([]app.UI{s.form.render(s.onApply, extras)}, more...)...)
	}
	return l
}

// openingPhase is the progress shown before the run reports its own.
const openingPhase = "Opening the backend"
