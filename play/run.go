package play

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/otplay/otplay/compute"
)

// Progress is the phase a run is in and how far it is: "Fitting the
// entropic prior: 120 of 1000 Sinkhorn iterations". Total 0 means the
// length is unknown; Done counts finished units of Total.
type Progress struct {
	Phase string
	Done  int
	Total int
	Unit  string // what Done counts ("checks", "Adam steps"); may be empty
}

// Frame is what a page shows after some steps of its run: numbers and
// figures as data. Finished reports that stepping further changes
// nothing (converged, at the iteration cap, the sampler at t = 0, a
// one-shot computation done); Play stops there.
type Frame interface {
	Finished() bool
}

// Run is one computation of a page on one backend, started from the
// page's typed state by a Start function.
//
// Step advances k steps (k = 0: none) and returns the frame of the state
// reached; playing is true when the frame is one of a Play's stream, so a
// run may skip views that are costly to build (a frame with playing false
// is always complete). Step honours ctx's cancellation between device
// submissions. Close frees the run's device memory; it is called once,
// after the last Step has returned. A Runner never calls a Run from two
// goroutines at once.
type Run[F Frame] interface {
	Step(ctx context.Context, k int, playing bool) (F, error)
	Close()
}

// Start begins a run on backend b, reporting the phases of a long setup
// (a fit, a training, building data) through progress. It blocks: call it
// from a goroutine (the Runner does).
type Start[F Frame] func(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[F], error)

// Update is what a Runner tells its view: the state of the page's run
// after any change. Frame is the latest frame (valid when HasFrame);
// Progress is the setup phase in work (nil: none); Err is why the run or
// its last step failed; Backend is what the run computes on.
type Update[F Frame] struct {
	Frame    F
	HasFrame bool
	Progress *Progress
	Err      error
	Playing  bool
	Backend  compute.Backend
}

// ComputeLock serialises work on shared backends (a compute.Backend is not
// safe for concurrent use, and the pages of one browser tab share theirs).
// Runners use it unless given another Lock.
var ComputeLock sync.Locker = new(sync.Mutex)

// DefaultFrameGap is the pause between two frames while playing, so that
// a browser page stays responsive (the wasm has one thread).
const DefaultFrameGap = 15 * time.Millisecond

// Runner plays one page's runs: Reset, Step, Play, Pause, Close, and a
// restart on the CPU when the GPU device is lost. Every page's view uses
// one; its methods return at once and do the work on goroutines, telling
// Show of each change (from those goroutines: a go-app view hands the
// Update to ctx.Dispatch). The zero Runner is not usable: set Open and
// Show first.
//
// Each Reset starts a new generation; results of an older one are
// dropped, and its run is cancelled (its context) and closed.
type Runner[F Frame] struct {
	// Open returns the backend a run starts on (blocking; in the browser
	// it may await JavaScript promises, so it runs on a goroutine).
	Open func() (compute.Backend, error)
	// Lost is told when a step fails with compute.ErrDeviceLost; it
	// replaces the lost backend, so that the next Open returns a working
	// one (the CPU). The Runner then starts the run again, once. May be
	// nil.
	Lost func(b compute.Backend, err error)
	// Show receives every Update. Required.
	Show func(Update[F])
	// StepsPerFrame is the number of steps per frame while playing (0: 1).
	StepsPerFrame int
	// FrameGap is the pause between frames while playing (0:
	// DefaultFrameGap).
	FrameGap time.Duration
	// Lock serialises compute (nil: ComputeLock).
	Lock sync.Locker

	mu        sync.Mutex
	gen       int
	start     Start[F]
	run       Run[F]
	cancel    context.CancelFunc
	ctx       context.Context
	state     Update[F]
	busy      bool // a Step or Play is in flight
	restarted bool // the current Reset was restarted after a device loss
}

func (r *Runner[F]) lock() sync.Locker {
	if r.Lock != nil {
		return r.Lock
	}
	return ComputeLock
}

// Reset replaces the run by a new one from start, at step 0: it opens the
// backend, starts the run and shows its first frame (Step 0).
func (r *Runner[F]) Reset(start Start[F]) {
	r.mu.Lock()
	r.restarted = false
	r.resetLocked(start)
	r.mu.Unlock()
}

// Restart starts the current run again from its beginning if it computes
// on lost (a device loss reported by someone else: the browser's
// device-lost promise), once per Reset; otherwise it does nothing.
func (r *Runner[F]) Restart(lost compute.Backend) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.start == nil || r.state.Backend != lost || r.restarted {
		return
	}
	r.restarted = true
	r.resetLocked(r.start)
}

func (r *Runner[F]) resetLocked(start Start[F]) {
	r.stopLocked()
	r.gen++
	gen := r.gen
	r.start = start
	r.ctx, r.cancel = context.WithCancel(context.Background())
	ctx := r.ctx
	r.state = Update[F]{Progress: &Progress{Phase: "Opening the backend"}}
	r.busy = true
	r.emitLocked()
	go func() {
		b, err := r.Open()
		if err != nil {
			r.finish(gen, func(u *Update[F]) { u.Err, u.Progress = err, nil })
			return
		}
		r.update(gen, func(u *Update[F]) { u.Backend, u.Progress = b, &Progress{Phase: "Setting up"} })
		progress := func(p Progress) { r.update(gen, func(u *Update[F]) { u.Progress = &p }) }
		l := r.lock()
		l.Lock()
		run, err := start(ctx, b, progress)
		var f F
		if err == nil {
			f, err = run.Step(ctx, 0, false)
		}
		l.Unlock()
		r.mu.Lock()
		if gen != r.gen {
			r.mu.Unlock()
			if run != nil {
				r.closeRun(run)
			}
			return
		}
		r.run = run
		r.busy = false
		r.state.Progress = nil
		r.state.Err = err
		if err == nil {
			r.state.Frame, r.state.HasFrame = f, true
		}
		r.emitLocked()
		r.mu.Unlock()
		r.checkLost(gen, b, err)
	}()
}

// Step advances the run by one step and shows the frame (nothing while a
// step or Play is in flight or no run is ready).
func (r *Runner[F]) Step() { r.StepBy(1) }

// StepBy is Step of k steps (a run may accept k < 0: /sliced goes back a
// direction).
func (r *Runner[F]) StepBy(k int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.run == nil || r.busy || r.state.Err != nil {
		return
	}
	r.busy = true
	gen, run, ctx := r.gen, r.run, r.ctx
	go func() {
		f, err := r.step(ctx, run, k, false)
		r.finish(gen, func(u *Update[F]) { r.setFrame(u, f, err) })
		r.checkLost(gen, r.backend(gen), err)
	}()
}

// Play steps the run, StepsPerFrame steps a frame, until Pause, an error
// or a finished frame; the last frame is a complete one (playing false).
// Play of a finished run takes one frame and stops.
func (r *Runner[F]) Play() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.run == nil || r.busy || r.state.Err != nil {
		return
	}
	r.busy = true
	r.state.Playing = true
	r.emitLocked()
	gen, run, ctx := r.gen, r.run, r.ctx
	k := max(r.StepsPerFrame, 1)
	gap := r.FrameGap
	if gap == 0 {
		gap = DefaultFrameGap
	}
	go func() {
		for {
			f, err := r.step(ctx, run, k, true)
			stop := err != nil || f.Finished() || !r.playing(gen)
			if stop && err == nil {
				f, err = r.step(ctx, run, 0, false) // the last frame, complete
			}
			if stop {
				r.finish(gen, func(u *Update[F]) { r.setFrame(u, f, err); u.Playing = false })
				r.checkLost(gen, r.backend(gen), err)
				return
			}
			if !r.update(gen, func(u *Update[F]) { r.setFrame(u, f, err) }) {
				return
			}
			time.Sleep(gap)
		}
	}()
}

// Pause stops a Play after its current frame; the frame it ends on is
// complete.
func (r *Runner[F]) Pause() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state.Playing {
		r.state.Playing = false
		r.emitLocked()
	}
}

// Close stops and frees the run; the Runner shows nothing more until the
// next Reset.
func (r *Runner[F]) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked()
	r.gen++
	r.start = nil
}

// State returns the latest Update.
func (r *Runner[F]) State() Update[F] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Busy reports whether a setup, a Step or a Play is in flight.
func (r *Runner[F]) Busy() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.busy
}

func (r *Runner[F]) stopLocked() {
	r.state.Playing = false
	if r.cancel != nil {
		r.cancel()
	}
	if old := r.run; old != nil {
		r.run = nil
		go r.closeRun(old)
	}
}

func (r *Runner[F]) closeRun(run Run[F]) {
	l := r.lock()
	l.Lock()
	defer l.Unlock()
	run.Close()
}

func (r *Runner[F]) step(ctx context.Context, run Run[F], k int, playing bool) (F, error) {
	l := r.lock()
	l.Lock()
	defer l.Unlock()
	if err := ctx.Err(); err != nil {
		var zero F
		return zero, err
	}
	return run.Step(ctx, k, playing)
}

func (r *Runner[F]) setFrame(u *Update[F], f F, err error) {
	u.Err = err
	if err == nil {
		u.Frame, u.HasFrame = f, true
	}
}

func (r *Runner[F]) playing(gen int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return gen == r.gen && r.state.Playing
}

func (r *Runner[F]) backend(gen int) compute.Backend {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen {
		return nil
	}
	return r.state.Backend
}

// update applies change to the state of generation gen and shows it;
// false when gen is stale.
func (r *Runner[F]) update(gen int, change func(*Update[F])) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen != r.gen {
		return false
	}
	change(&r.state)
	r.emitLocked()
	return true
}

// finish is update that also ends the work in flight.
func (r *Runner[F]) finish(gen int, change func(*Update[F])) {
	r.update(gen, func(u *Update[F]) { change(u); r.busy = false })
}

func (r *Runner[F]) emitLocked() {
	u := r.state
	if r.Show != nil {
		r.Show(u)
	}
}

// checkLost reports a device loss to Lost and restarts the run on the
// backend Open gives next, once per Reset.
func (r *Runner[F]) checkLost(gen int, b compute.Backend, err error) {
	if err == nil || b == nil || !errors.Is(err, compute.ErrDeviceLost) {
		return
	}
	if r.Lost != nil {
		r.Lost(b, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen == r.gen && !r.restarted && r.start != nil {
		r.restarted = true
		r.resetLocked(r.start)
	}
}
