package server

import (
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/remote"
)

// costRecorder is a backend that keeps the Cost of every SoftMin and
// SoftMean it is asked for.
type costRecorder struct {
	compute.Backend
	seen []compute.Cost
}

func (c *costRecorder) SoftMin(dst compute.Array, p compute.Pairs) error {
	c.seen = append(c.seen, p.Cost)
	return c.Backend.SoftMin(dst, p)
}

func (c *costRecorder) SoftMean(dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	c.seen = append(c.seen, p.Cost)
	return c.Backend.SoftMean(dst, p, v, dv)
}

// TestRemoteCostFlags: compute.Cost's Transposed and Differences flags
// reach the server's backend through the request frame (one byte of
// flags, compute/remote/cost.go), each on its own and neither set.
func TestRemoteCostFlags(t *testing.T) {
	rec := &costRecorder{Backend: compute.NewCPU(0)}
	_, srv := startRemote(t, RemoteConfig{Backend: rec})
	b := openRemote(t, srv.URL, remote.Options{})
	defer b.Close()
	x, err := b.Upload([]float64{0, 0, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := b.Alloc(2)
	if err != nil {
		t.Fatal(err)
	}
	mean, err := b.Alloc(4)
	if err != nil {
		t.Fatal(err)
	}
	want := []compute.Cost{{}, {Differences: true}, {Matrix: x, Transposed: true}, {P: 2, Differences: true}}
	for k, c := range want {
		p := compute.Pairs{X: x, Y: x, N: 2, M: 2, D: 2, Eps: 1, Cost: c}
		if c.Matrix != nil {
			p.X, p.Y, p.D = nil, nil, 0
		}
		if k < 3 {
			err = b.SoftMin(dst, p)
		} else {
			err = b.SoftMean(mean, p, x, 2)
		}
		if err != nil {
			t.Fatalf("cost %+v: %v", c, err)
		}
	}
	if err := b.Read(make([]float64, 4), mean); err != nil { // the queued ops run
		t.Fatal(err)
	}
	if len(rec.seen) != len(want) {
		t.Fatalf("server saw %d reductions, want %d", len(rec.seen), len(want))
	}
	for k, c := range rec.seen {
		w := want[k]
		if c.P != w.P || c.Transposed != w.Transposed || c.Differences != w.Differences || (c.Matrix == nil) != (w.Matrix == nil) {
			t.Errorf("reduction %d: server saw %+v, client sent %+v", k, c, w)
		}
	}
}
