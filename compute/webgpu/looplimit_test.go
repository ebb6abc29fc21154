package webgpu_test

import (
	"math"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// TestLongInnerLoops: MatMul and GatherSum whose inner dimension k is
// past what one invocation of matmul.wgsl (k / 16 tiles) or gather.wgsl
// (k indices) may loop over on a software adapter (llvmpipe ends a
// shader's loops after 65,535 iterations) agree with the CPU backend:
// before their inner ranges were chunked on software adapters, lavapipe's
// gather of 70,000 indices summed the first 65,535 (196,605 against
// 210,000), and the 1 x 1.1e6 x 1 product stopped after 65,535 tiles of
// 16 (3.146e6 against 3.3e6).
func TestLongInnerLoops(t *testing.T) {
	be := gputest.Raw(t)
	cpu := compute.NewCPU(0)
	for _, k := range []int{70000, 1100000} {
		a, bv := make([]float64, k), make([]float64, k)
		for i := range a {
			a[i], bv[i] = 1, float64(i%7)
		}
		want := 0.0
		for i := range a {
			want += a[i] * bv[i]
		}
		for _, b := range []compute.Backend{cpu, be} {
			da, _ := b.Upload(a)
			db, _ := b.Upload(bv)
			dst, _ := b.Alloc(1)
			if err := b.MatMul(dst, da, db, 1, k, 1, false, false); err != nil {
				t.Fatalf("%s: matmul k=%d: %v", b.Info().Name, k, err)
			}
			got := make([]float64, 1)
			if err := b.Read(got, dst); err != nil {
				t.Fatal(err)
			}
			if math.Abs(got[0]-want) > 1e-5*want {
				t.Errorf("%s: matmul 1 x %d x 1 = %g, want %g", b.Info().Name, k, got[0], want)
			}
			idx := make([]float64, k)
			for i := range idx {
				idx[i] = float64(i % 5)
			}
			src, _ := b.Upload([]float64{1, 2, 3, 4, 5})
			di, _ := b.Upload(idx)
			if err := b.GatherSum(dst, src, di, k); err != nil {
				t.Fatalf("%s: gather k=%d: %v", b.Info().Name, k, err)
			}
			if err := b.Read(got, dst); err != nil {
				t.Fatal(err)
			}
			wantG := 0.0
			for _, f := range idx {
				wantG += f + 1
			}
			if math.Abs(got[0]-wantG) > 1e-5*wantG {
				t.Errorf("%s: gather of %d = %g, want %g", b.Info().Name, k, got[0], wantG)
			}
			for _, x := range []compute.Array{da, db, dst, src, di} {
				b.Free(x)
			}
		}
	}
}
