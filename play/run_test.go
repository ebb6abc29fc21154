package play

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
)

// countFrame is the frame of countRun: the step count, finished at last.
type countFrame struct {
	step, last int
	playing    bool
	backend    compute.Backend
}

func (f countFrame) Finished() bool { return f.step >= f.last }

// countRun counts steps on a backend; steps on a backend in lost fail
// with compute.ErrDeviceLost.
type countRun struct {
	b      compute.Backend
	step   int
	last   int
	lost   *sync.Map
	closed *atomic.Int32
}

func (r *countRun) Step(ctx context.Context, k int, playing bool) (countFrame, error) {
	if _, ok := r.lost.Load(r.b); ok && k > 0 {
		return countFrame{}, fmt.Errorf("step: %w", compute.ErrDeviceLost)
	}
	r.step = min(r.step+k, r.last)
	return countFrame{step: r.step, last: r.last, playing: playing, backend: r.b}, nil
}

func (r *countRun) Close() { r.closed.Add(1) }

// recorder collects a Runner's updates and waits for one that matches.
type recorder struct {
	mu      sync.Mutex
	updates []Update[countFrame]
	ch      chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 1000)} }

func (c *recorder) show(u Update[countFrame]) {
	c.mu.Lock()
	c.updates = append(c.updates, u)
	c.mu.Unlock()
	c.ch <- struct{}{}
}

// wait returns the first update after skip ones that satisfies ok, or
// fails the test after 10 s.
func (c *recorder) wait(t *testing.T, what string, ok func(Update[countFrame]) bool) Update[countFrame] {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		for _, u := range c.updates {
			if ok(u) {
				c.mu.Unlock()
				return u
			}
		}
		c.mu.Unlock()
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("no update with %s", what)
		}
	}
}

func (c *recorder) clear() {
	c.mu.Lock()
	c.updates = nil
	c.mu.Unlock()
}

func TestRunnerStepPlayPauseReset(t *testing.T) {
	cpu := compute.NewCPU(1)
	var closed atomic.Int32
	lost := &sync.Map{}
	start := func(last int) Start[countFrame] {
		return func(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[countFrame], error) {
			progress(Progress{Phase: "counting", Done: 0, Total: last})
			return &countRun{b: b, last: last, lost: lost, closed: &closed}, nil
		}
	}
	rec := newRecorder()
	r := &Runner[countFrame]{Open: func() (compute.Backend, error) { return cpu, nil }, Show: rec.show, StepsPerFrame: 3, FrameGap: time.Millisecond}
	r.Reset(start(10))
	rec.wait(t, "the setup's progress", func(u Update[countFrame]) bool {
		return u.Progress != nil && u.Progress.Phase == "counting" && u.Progress.Total == 10
	})
	u := rec.wait(t, "frame 0", func(u Update[countFrame]) bool { return u.HasFrame })
	if u.Frame.step != 0 || u.Progress != nil || u.Backend != cpu || u.Frame.playing {
		t.Fatalf("first update %+v, want step 0 on the CPU, no progress", u)
	}
	for r.Busy() {
		time.Sleep(time.Millisecond)
	}
	r.Step()
	rec.wait(t, "step 1", func(u Update[countFrame]) bool { return u.HasFrame && u.Frame.step == 1 })
	for r.Busy() {
		time.Sleep(time.Millisecond)
	}
	rec.clear()
	r.Play()
	// 1 -> 4 -> 7 -> 10 (finished) in frames of 3 steps; the last frame
	// is complete (not playing) and Playing is off.
	u = rec.wait(t, "the finished frame", func(u Update[countFrame]) bool { return u.HasFrame && u.Frame.step == 10 && !u.Playing })
	if u.Frame.playing {
		t.Errorf("the last frame of a Play was taken while playing")
	}
	rec.wait(t, "a frame of the Play", func(u Update[countFrame]) bool { return u.Playing && u.Frame.step == 4 && u.Frame.playing })
	for r.Busy() {
		time.Sleep(time.Millisecond)
	}
	rec.clear()
	r.Play() // finished: one frame, then it stops
	u = rec.wait(t, "the stop after Play of a finished run", func(u Update[countFrame]) bool { return !u.Playing && u.HasFrame })
	for r.Busy() {
		time.Sleep(time.Millisecond)
	}
	if u := r.State(); u.Playing || u.Frame.step != 10 {
		t.Errorf("Play of a finished run: playing %v at step %d", u.Playing, u.Frame.step)
	}
	// Pause ends a long Play early, on a complete frame.
	r.Reset(start(1 << 30))
	rec.wait(t, "frame 0 of the long run", func(u Update[countFrame]) bool { return u.HasFrame && u.Frame.last == 1<<30 })
	for r.Busy() {
		time.Sleep(time.Millisecond)
	}
	rec.clear()
	r.Play()
	rec.wait(t, "a playing frame", func(u Update[countFrame]) bool { return u.Playing && u.HasFrame && u.Frame.step > 0 })
	r.Pause()
	u = rec.wait(t, "the paused frame", func(u Update[countFrame]) bool {
		return !u.Playing && u.HasFrame && !u.Frame.playing && u.Frame.step > 0
	})
	if u.Frame.Finished() {
		t.Errorf("paused run finished: %+v", u.Frame)
	}
	r.Close()
	time.Sleep(20 * time.Millisecond)
	if closed.Load() != 2 {
		t.Errorf("closed %d runs, want 2 (one per Reset)", closed.Load())
	}
}

// A step that loses the device reports it to Lost and starts the run again
// on the backend Open gives next, once.
func TestRunnerRestartsOnDeviceLoss(t *testing.T) {
	gpu, cpu := compute.NewCPU(1), compute.NewCPU(1) // stand-ins: two distinct backends
	lost := &sync.Map{}
	var mu sync.Mutex
	current := compute.Backend(gpu)
	var reported []compute.Backend
	var closed atomic.Int32
	rec := newRecorder()
	r := &Runner[countFrame]{
		Open: func() (compute.Backend, error) { mu.Lock(); defer mu.Unlock(); return current, nil },
		Lost: func(b compute.Backend, err error) {
			mu.Lock()
			defer mu.Unlock()
			if !errors.Is(err, compute.ErrDeviceLost) {
				t.Errorf("Lost got %v", err)
			}
			reported = append(reported, b)
			current = cpu
		},
		Show: rec.show,
	}
	r.Reset(func(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[countFrame], error) {
		return &countRun{b: b, last: 5, lost: lost, closed: &closed}, nil
	})
	rec.wait(t, "frame 0 on the GPU", func(u Update[countFrame]) bool { return u.HasFrame && u.Backend == gpu })
	for r.Busy() {
		time.Sleep(time.Millisecond)
	}
	lost.Store(compute.Backend(gpu), true)
	rec.clear()
	r.Step()
	rec.wait(t, "the loss", func(u Update[countFrame]) bool { return errors.Is(u.Err, compute.ErrDeviceLost) })
	u := rec.wait(t, "frame 0 on the CPU", func(u Update[countFrame]) bool { return u.HasFrame && u.Backend == cpu && u.Err == nil })
	if u.Frame.step != 0 {
		t.Errorf("restart frame at step %d, want 0", u.Frame.step)
	}
	mu.Lock()
	if len(reported) != 1 || reported[0] != gpu {
		t.Errorf("Lost told of %v, want the GPU once", reported)
	}
	mu.Unlock()
	// A loss reported from elsewhere for a backend the run no longer uses
	// changes nothing.
	for r.Busy() {
		time.Sleep(time.Millisecond)
	}
	rec.clear()
	r.Restart(gpu)
	r.Step()
	rec.wait(t, "step 1 on the CPU", func(u Update[countFrame]) bool { return u.HasFrame && u.Frame.step == 1 && u.Backend == cpu })
	r.Close()
}

// Reset while a setup is in flight drops the older run's results and
// closes it.
func TestRunnerResetDropsStaleRuns(t *testing.T) {
	cpu := compute.NewCPU(1)
	var closed atomic.Int32
	lost := &sync.Map{}
	release := make(chan struct{})
	rec := newRecorder()
	r := &Runner[countFrame]{Open: func() (compute.Backend, error) { return cpu, nil }, Show: rec.show, Lock: &sync.Mutex{}}
	r.Reset(func(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[countFrame], error) {
		<-release
		return &countRun{b: b, last: 111, lost: lost, closed: &closed}, ctx.Err()
	})
	r.Reset(func(ctx context.Context, b compute.Backend, progress func(Progress)) (Run[countFrame], error) {
		return &countRun{b: b, last: 222, lost: lost, closed: &closed}, nil
	})
	close(release)
	rec.wait(t, "the second run's frame", func(u Update[countFrame]) bool { return u.HasFrame && u.Frame.last == 222 })
	time.Sleep(20 * time.Millisecond)
	rec.mu.Lock()
	for _, u := range rec.updates {
		if u.HasFrame && u.Frame.last == 111 {
			t.Errorf("the first run's frame was shown")
		}
	}
	rec.mu.Unlock()
	if closed.Load() != 1 {
		t.Errorf("closed %d runs, want the stale one", closed.Load())
	}
	r.Close()
}
