package play

import (
	"errors"

	"github.com/otplay/otplay/solvers/diffusion"
)

// errRunStopped ends a sampler whose run was closed.
var errRunStopped = errors.New("play: run stopped")

// samplerStepper holds a sampler that reports its steps through a
// callback (diffusion.Sample, truncate's SampleReverse) between steps, so
// that a run's Step drives the real solver rather than a replay: the
// sampler runs in its own goroutine, started by the first next; after
// each step its callback hands the step over and waits until the next
// call of next (or close). While it waits, the step's positions stay
// valid and the backend is free.
type samplerStepper struct {
	run     func(callback func(diffusion.Step) error) error
	started bool
	allow   chan struct{}
	results chan stepperOutcome
	stop    chan struct{}
	exited  chan struct{}
}

type stepperOutcome struct {
	step diffusion.Step
	err  error
	end  bool // the sampler returned (err says how)
}

// newSamplerStepper returns the stepper of run, which must run the
// sampler with the callback it is given.
func newSamplerStepper(run func(callback func(diffusion.Step) error) error) *samplerStepper {
	return &samplerStepper{run: run, allow: make(chan struct{}), results: make(chan stepperOutcome, 1),
		stop: make(chan struct{}), exited: make(chan struct{})}
}

// next lets the sampler take one more step and returns it; end reports
// that the sampler returned instead (with its error, if any).
func (s *samplerStepper) next() (step diffusion.Step, end bool, err error) {
	if !s.started {
		s.started = true
		go s.sample()
	} else {
		s.allow <- struct{}{}
	}
	out := <-s.results
	return out.step, out.end, out.err
}

func (s *samplerStepper) sample() {
	defer close(s.exited)
	err := s.run(func(st diffusion.Step) error {
		s.results <- stepperOutcome{step: st}
		select {
		case <-s.allow:
			return nil
		case <-s.stop:
			return errRunStopped
		}
	})
	if errors.Is(err, errRunStopped) {
		return
	}
	select {
	case s.results <- stepperOutcome{end: true, err: err}:
	case <-s.stop:
	}
}

// close stops the sampler at its next wait and waits for its goroutine.
func (s *samplerStepper) close() {
	close(s.stop)
	if s.started {
		<-s.exited
	}
}

// Yield, when set, is called after each progress report of a model's
// long setup (training, fitting, the conformance checks), so that a
// single-threaded host can show it: the browser's wasm returns to its
// event loop, and repaints, only when every goroutine waits, which a fit
// on the wasm CPU backend never does by itself. The browser build sets
// it to a 1 ms sleep (ui); natively it is nil.
var Yield func()

// yielding returns progress followed by Yield.
func yielding(progress func(Progress)) func(Progress) {
	return func(p Progress) {
		progress(p)
		if Yield != nil {
			Yield()
		}
	}
}
