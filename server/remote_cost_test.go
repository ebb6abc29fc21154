package server

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/remote"
	"github.com/otplay/otplay/solvers/ot"
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

// TestRemoteCostCacheSessions: pages' sessions sharing the server's cpu
// backend concurrently at d = 32, where it stores cost matrices (each
// session's own, built on its second soft-min), get the potentials of
// the fused loops (a local cpu with the cache off) bit for bit, and
// closing the sessions frees the Arrays and with them the matrices. Run
// with -race: the sessions' lock, the cache's and Free's cleanup.
func TestRemoteCostCacheSessions(t *testing.T) {
	const n, m, d, steps = 90, 70, 32, 12
	server := compute.NewCPU(0)
	server.SetCostCacheBytes(compute.DefaultCostCacheBytes)
	_, srv := startRemote(t, RemoteConfig{Backend: server})
	problem := func(k int) ot.Problem {
		x, y := make([]float64, n*d), make([]float64, m*d)
		for i := range x {
			x[i] = compute.NormalAt(uint64(10+k), uint64(i))
		}
		for i := range y {
			y[i] = compute.NormalAt(uint64(20+k), uint64(i)) + 0.5
		}
		return ot.Problem{X: x, Y: y, N: n, M: m, D: d}
	}
	s := ot.Settings{Eps: 0.8, CheckEvery: 4, Tol: -1, MaxIter: 1000}
	potentials := func(b compute.Backend, p ot.Problem) ([]float64, []float64, error) {
		sv, err := ot.NewSolver(b, p, s)
		if err != nil {
			return nil, nil, err
		}
		defer sv.Close()
		if err := sv.Step(steps); err != nil {
			return nil, nil, err
		}
		return sv.Potentials()
	}
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for k := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			b, err := remote.Open(ctx, srv.URL, remote.Options{KeepAlive: -1})
			if err != nil {
				errs <- err
				return
			}
			defer b.Close()
			f, g, err := potentials(b, problem(k))
			if err != nil {
				errs <- err
				return
			}
			fused := compute.NewCPU(0)
			fused.SetCostCacheBytes(0)
			wantF, wantG, err := potentials(fused, problem(k))
			if err != nil {
				errs <- err
				return
			}
			for _, v := range [][2][]float64{{f, wantF}, {g, wantG}} {
				for i := range v[1] {
					if math.Float64bits(v[0][i]) != math.Float64bits(v[1][i]) {
						errs <- fmt.Errorf("session %d: potential %d = %.17g remote (stored cost), %.17g fused", k, i, v[0][i], v[1][i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := server.CostCacheStats()
	t.Logf("server's cost cache: %+v", st)
	if st.Built < 3 || st.Cached == 0 {
		t.Errorf("server's cost cache %+v: want matrices built and read", st)
	}
	if st.Entries != 0 || st.Bytes != 0 {
		t.Errorf("after the sessions closed the server's cost cache holds %d entries (%d bytes)", st.Entries, st.Bytes)
	}
}
