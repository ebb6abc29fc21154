//go:build !js

package gpu_test

import (
	"testing"
	"time"

	"github.com/otplay/otplay/gpu"
)

// spinSrc runs a serial xorshift32 chain of rounds*8 steps in each of n
// invocations: a submission whose length the test chooses (through n), on
// any device. LLVM cannot shorten the chain (it is not an add recurrence),
// and every result is checked exactly on the host (xorshiftPow). rounds
// stays below 65535: lavapipe ends any loop after 65535 iterations per
// invocation (gallivm's LP_MAX_TGSI_LOOP_ITERATIONS), silently.
const spinSrc = `
struct P { rounds: u32, seed: u32, n: u32, p1: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * 64u;
  if (i >= p.n) { return; }
  var x = p.seed + i;
  for (var r = 0u; r < p.rounds; r++) {
    x ^= x << 13u; x ^= x >> 17u; x ^= x << 5u;
    x ^= x << 13u; x ^= x >> 17u; x ^= x << 5u;
    x ^= x << 13u; x ^= x >> 17u; x ^= x << 5u;
    x ^= x << 13u; x ^= x >> 17u; x ^= x << 5u;
    x ^= x << 13u; x ^= x >> 17u; x ^= x << 5u;
    x ^= x << 13u; x ^= x >> 17u; x ^= x << 5u;
    x ^= x << 13u; x ^= x >> 17u; x ^= x << 5u;
    x ^= x << 13u; x ^= x >> 17u; x ^= x << 5u;
  }
  out[i] = x;
}`

// A submission that runs longer than wgpu-native's 5-second wait timeout is
// waited for in full. wgpu-native 0.19's blocking poll gives up after 5 s
// and then treats the submission as finished (gfx-rs/wgpu#3601 and #4589,
// fixed upstream in 2025 by gfx-rs/wgpu#7030): it fires buffer-map
// callbacks before the copy has run, and resets command buffers that
// lavapipe's queue thread is still executing, which segfaulted otplay
// inside libvulkan_lvp.so ("Unsupported command <garbage>"). With the
// blocking poll (before the fix) this test failed by SIGSEGV in 3 runs of 3 on
// lavapipe; gpu now polls without blocking (see Device.poll).
//
// The work is calibrated to take about 9 s on the device at hand, so the
// test takes about 12 s; -short skips it.
func TestSubmissionPastTheWaitTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: this test runs one submission of about 9 s")
	}
	d := open(t)
	k, err := d.Kernel("test-spin", spinSrc, 1)
	if err != nil {
		t.Fatal(err)
	}
	const rounds, seed = 4096, 0x9e3779b9
	jump := xorshiftJump(rounds * 8)
	// run dispatches n invocations and, in the same submission, a second
	// small dispatch: lavapipe reads its command after the long one, from
	// the command buffer that a timed-out wait used to reset. It checks
	// every result.
	run := func(n int) time.Duration {
		t.Helper()
		big, err := d.NewBuffer(n)
		if err != nil {
			t.Fatal(err)
		}
		small, err := d.NewBuffer(1)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Release(big)
		defer d.Release(small)
		start := time.Now()
		x, y := d.Grid((n + 63) / 64)
		if err := d.Dispatch(k, []*gpu.Buffer{big}, []uint32{rounds, seed, uint32(n)}, x, y, 1); err != nil {
			t.Fatal(err)
		}
		if err := d.Dispatch(k, []*gpu.Buffer{small}, []uint32{rounds, seed - 1, 1}, 1, 1, 1); err != nil {
			t.Fatal(err)
		}
		got, err := d.Read(big, 0, n)
		if err != nil {
			t.Fatal(err)
		}
		tail, err := d.Read(small, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		took := time.Since(start)
		for i, v := range got {
			if want := jump.apply(seed + uint32(i)); v != want {
				t.Fatalf("%d invocations in %v: out[%d] = %d, want %d (read before the submission finished?)", n, took, i, v, want)
			}
		}
		if want := jump.apply(seed - 1); tail[0] != want {
			t.Fatalf("the dispatch after the long one: %d, want %d", tail[0], want)
		}
		return took
	}
	// Calibrate: double n until one submission takes 0.5 s.
	n := 64
	var took time.Duration
	for {
		took = run(n)
		if took >= 500*time.Millisecond {
			break
		}
		if n >= 1<<24 {
			t.Fatalf("%d invocations took only %v: the device shortened the loop", n, took)
		}
		n *= 2
	}
	long := min(int(int64(n)*int64(9*time.Second)/int64(took)), 1<<25)
	t.Logf("calibration: %d invocations in %v; long submission of %d: %v", n, took, long, run(long))
}

// bitMatrix is a linear map on 32-bit words over GF(2): column j is the
// image of bit j.
type bitMatrix [32]uint32

func (m *bitMatrix) apply(v uint32) uint32 {
	var r uint32
	for j := 0; v != 0; j, v = j+1, v>>1 {
		if v&1 != 0 {
			r ^= m[j]
		}
	}
	return r
}

// xorshiftJump returns the map x -> x after n steps of x ^= x<<13;
// x ^= x>>17; x ^= x<<5: the step is linear over GF(2), so its n-th power
// comes by squaring (Marsaglia 2003, "Xorshift RNGs", J. Stat. Softw. 8(14),
// section 3).
func xorshiftJump(n uint64) bitMatrix {
	var step, acc bitMatrix
	for j := range step {
		v := uint32(1) << j
		acc[j] = v
		v ^= v << 13
		v ^= v >> 17
		v ^= v << 5
		step[j] = v
	}
	mul := func(a, b *bitMatrix) bitMatrix { // a after b
		var c bitMatrix
		for j := range c {
			c[j] = a.apply(b[j])
		}
		return c
	}
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			acc = mul(&step, &acc)
		}
		step = mul(&step, &step)
	}
	return acc
}

// The jump agrees with stepping.
func TestXorshiftJump(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 7, 1000, 32768} {
		x := uint32(0x9e3779b9)
		for range n {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
		}
		j := xorshiftJump(n)
		if got := j.apply(0x9e3779b9); got != x {
			t.Errorf("xorshiftJump(%d) gives %d, stepping %d", n, got, x)
		}
	}
}
