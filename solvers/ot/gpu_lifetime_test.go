package ot

import (
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// Repeated GPU solves in one process, each freeing its arrays as it ends:
// before the gpu package deferred releases until the device was idle,
// wgpu-native freed buffers and bind groups that queued work still used,
// and lavapipe's executor segfaulted on the second solve (2304 x 2304
// points in 9-D, 2026-11-22).
//
// It once ran only on real GPUs: on lavapipe under load it still
// segfaulted inside lavapipe's executor. The cause was wgpu-native's
// blocking poll, which gives up after 5 s and frees the submission that is
// still running (see gpu.Device's poll); the gpu package now polls without
// blocking, and the test runs everywhere.
func TestSinkhornRepeatedGPU(t *testing.T) {
	b := gputest.Backend(t)
	n, d := 2304, 9
	var costs []float64
	for rep := 0; rep < 2; rep++ {
		x := make([]float64, n*d)
		y := make([]float64, n*d)
		for i := range x {
			x[i] = compute.NormalAt(1, uint64(i+rep))
			y[i] = compute.NormalAt(2, uint64(i))
		}
		r, err := Sinkhorn(b, Problem{X: x, Y: y, N: n, M: n, D: d}, Settings{Eps: 0.5, MaxIter: 20})
		if err != nil {
			t.Fatalf("solve %d: %v", rep, err)
		}
		costs = append(costs, r.Cost)
	}
	if costs[0] == costs[1] || !(costs[0] > 0) {
		t.Errorf("costs %v: the two solves should differ (shifted data) and be positive", costs)
	}
}
