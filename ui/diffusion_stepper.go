package ui

import (
	"errors"
	"sync/atomic"
	"time"
)

// errRunStopped is returned through a solver's step callback when the page
// resets or leaves the run: the solver stops at that step.
var errRunStopped = errors.New("run stopped")

// stepGate holds a solver that reports its steps through a callback
// (diffusion.Sample, bridge.Simulate) between steps, so that the page's
// Step, Play, Pause and Reset drive the real solver rather than a replay:
// the solver's goroutine calls wait after each step, which returns when
// the page allows one more step (Step), at once after a frame gap while
// playing (Play), or errRunStopped after Reset. While it waits it does not
// hold computeMu, so other work can use the backend meanwhile.
type stepGate struct {
	pending atomic.Int32 // Step clicks not yet consumed
	playing atomic.Bool
	stopped atomic.Bool
	wake    chan struct{}
	// gap is the pause between frames while playing: it gives the
	// browser's event loop a turn (the wasm has one thread) so that the
	// page repaints and stays responsive.
	gap time.Duration
}

// stepFrameGap is the default pause between played frames.
const stepFrameGap = 15 * time.Millisecond

func newStepGate() *stepGate {
	return &stepGate{wake: make(chan struct{}, 1), gap: stepFrameGap}
}

func (g *stepGate) poke() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// step allows one more step.
func (g *stepGate) step() { g.pending.Add(1); g.poke() }

// play lets the solver run freely (one frame gap between steps).
func (g *stepGate) play() { g.playing.Store(true); g.poke() }

// pause stops free running after the current step.
func (g *stepGate) pause() { g.playing.Store(false) }

// stop ends the run at its next wait.
func (g *stepGate) stop() { g.stopped.Store(true); g.playing.Store(false); g.poke() }

// wait blocks until the next step is allowed; it releases computeMu while
// it waits and takes it again before returning, so call it with computeMu
// held. It returns errRunStopped once stop was called.
func (g *stepGate) wait() error {
	computeMu.Unlock()
	defer computeMu.Lock()
	for {
		if g.stopped.Load() {
			return errRunStopped
		}
		if g.playing.Load() {
			time.Sleep(g.gap)
			if g.stopped.Load() {
				return errRunStopped
			}
			return nil
		}
		if g.pending.Load() > 0 {
			g.pending.Add(-1)
			return nil
		}
		<-g.wake
	}
}
