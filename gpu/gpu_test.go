//go:build !js

package gpu_test

import (
	"errors"
	"os"
	"testing"

	"github.com/otplay/otplay/gpu"
)

func open(t *testing.T) *gpu.Device {
	t.Helper()
	d, err := gpu.Open(gpu.Options{})
	if err != nil {
		if os.Getenv("OTPLAY_REQUIRE_GPU") == "1" {
			t.Fatalf("gpu.Open: %v (OTPLAY_REQUIRE_GPU=1)", err)
		}
		t.Skipf("no WebGPU adapter here: %v", err)
	}
	t.Cleanup(d.Close)
	return d
}

func TestInfo(t *testing.T) {
	d := open(t)
	i := d.Info()
	if i.Adapter == "" || i.Backend == "" {
		t.Errorf("Info() = %+v: empty adapter name or backend", i)
	}
	if i.Limits.MaxStorageBufferBindingSize < 128<<20 || i.Limits.MaxComputeWorkgroupsPerDim < 65535 {
		t.Errorf("limits %+v below WebGPU's guaranteed minimums", i.Limits)
	}
}

func TestRoundTripAndCopy(t *testing.T) {
	d := open(t)
	data := []uint32{1, 2, 3, 4, 5, 6, 7}
	a, err := d.NewBufferFrom(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.NewBuffer(len(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CopyBuffer(b, 1, a, 2, 5); err != nil {
		t.Fatal(err)
	}
	got, err := d.Read(b, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{0, 3, 4, 5, 6, 7, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("after copy: %v, want %v", got, want)
		}
	}
	if err := d.Write(b, []uint32{9, 9}); err != nil {
		t.Fatal(err)
	}
	got, _ = d.Read(b, 0, 3)
	if got[0] != 9 || got[1] != 9 || got[2] != 4 {
		t.Errorf("after write: %v, want [9 9 4]", got)
	}
	if err := d.Write(b, make([]uint32, 8)); err == nil {
		t.Error("Write past the end of a buffer returned no error")
	}
	if _, err := d.Read(b, 5, 3); err == nil {
		t.Error("Read past the end of a buffer returned no error")
	}
	d.Release(a)
	d.Release(b)
}

func TestTooLarge(t *testing.T) {
	d := open(t)
	max := d.Info().Limits.MaxStorageBufferBindingSize
	_, err := d.NewBuffer(int(max/4) + 1)
	var le *gpu.LimitError
	if !errors.As(err, &le) || !errors.Is(err, gpu.ErrTooLarge) || le.Limit == "" {
		t.Fatalf("NewBuffer over the limit: err = %v, want a *LimitError naming the limit", err)
	}
}

func TestBadShader(t *testing.T) {
	d := open(t)
	_, err := d.Kernel("broken", "@compute @workgroup_size(1) fn main() { let x: f32 = ; }", 1)
	if !errors.Is(err, gpu.ErrShader) {
		t.Fatalf("Kernel(broken WGSL): err = %v, want ErrShader", err)
	}
}

// A batch of dependent dispatches runs in order inside one submission.
// doubleAddSrc sets x[i] = 2 x[i] + add for i < n.
const doubleAddSrc = `
struct P { add: u32, n: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read_write> x: array<u32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < p.n) { x[g.x] = x[g.x] * 2u + p.add; }
}`

// doubleAddBuffer compiles doubleAddSrc and allocates a zeroed buffer of n
// words for it.
func doubleAddBuffer(t *testing.T, d *gpu.Device, n int) (*gpu.Kernel, *gpu.Buffer) {
	t.Helper()
	k, err := d.Kernel("double-add", doubleAddSrc, 1)
	if err != nil {
		t.Fatal(err)
	}
	buf, err := d.NewBuffer(n)
	if err != nil {
		t.Fatal(err)
	}
	return k, buf
}

func TestBatchOrder(t *testing.T) {
	d := open(t)
	n := 100
	k, buf := doubleAddBuffer(t, d, n)
	want := uint32(0)
	for step := uint32(1); step <= 10; step++ {
		if err := d.Dispatch(k, []*gpu.Buffer{buf}, []uint32{step, uint32(n)}, 2, 1, 1); err != nil {
			t.Fatal(err)
		}
		want = want*2 + step
	}
	got, err := d.Read(buf, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != want {
			t.Fatalf("x[%d] = %d after 10 batched dispatches, want %d", i, v, want)
		}
	}
	if err := d.Dispatch(k, []*gpu.Buffer{buf}, []uint32{1, 1}, 70000, 1, 1); !errors.Is(err, gpu.ErrTooLarge) {
		t.Errorf("Dispatch of 70000 workgroups: err = %v, want ErrTooLarge", err)
	}
	if gx, gy := d.Grid(200000); int(gx)*int(gy) < 200000 || gx > 65535 {
		t.Errorf("Grid(200000) = (%d, %d)", gx, gy)
	}
}

// The bind-group cache must never hand a dispatch a group whose buffer was
// released: a fresh buffer with the same parameters gets its own group.
func TestBindCacheAfterRelease(t *testing.T) {
	d := open(t)
	const src = `
struct P { v: u32, n: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read_write> x: array<u32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < p.n) { x[g.x] = x[g.x] + p.v; }
}`
	k, err := d.Kernel("add-const", src, 1)
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		buf, err := d.NewBufferFrom([]uint32{uint32(10 * round), 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second dispatch hits the cache
			if err := d.Dispatch(k, []*gpu.Buffer{buf}, []uint32{5, 3}, 1, 1, 1); err != nil {
				t.Fatal(err)
			}
		}
		got, err := d.Read(buf, 0, 3)
		if err != nil {
			t.Fatal(err)
		}
		if want := []uint32{uint32(10*round) + 10, 11, 12}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("round %d: %v, want %v", round, got, want)
		}
		d.Release(buf)
	}
}

// Read reuses its read-back buffer (growing it for a longer read) and
// SetFlushAfterWait submits a loop in pieces after each read; every read
// must still see every dispatch recorded before it, in order.
func TestReadReuseAndFlushAfterWait(t *testing.T) {
	d := open(t)
	n := 3000
	k, buf := doubleAddBuffer(t, d, n)
	defer d.Release(buf)
	for _, every := range []int{0, 1, 3} {
		d.SetFlushAfterWait(every)
		if _, err := d.Read(buf, 0, 1); err != nil { // a wait: the doubling starts here
			t.Fatal(err)
		}
		want, _ := d.Read(buf, 0, 1)
		w := want[0]
		// Reads of 5, 3000 (past the 4 KiB kept buffer) and 7 words.
		for round, m := range []int{5, n, 7} {
			for step := uint32(1); step <= 9; step++ {
				if err := d.Dispatch(k, []*gpu.Buffer{buf}, []uint32{step, uint32(n)}, uint32((n+63)/64), 1, 1); err != nil {
					t.Fatal(err)
				}
				w = w*2 + step
			}
			got, err := d.Read(buf, 0, m)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				if v != w {
					t.Fatalf("flush after wait %d, round %d: x[%d] = %d, want %d", every, round, i, v, w)
				}
			}
		}
	}
	d.SetFlushAfterWait(0)
}
