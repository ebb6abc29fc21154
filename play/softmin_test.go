package play

import (
	"math"
	"strings"
	"testing"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/compute/webgpu/gputest"
)

// bruteSoftMin is the check's soft-min written out in float64:
// out_i = -eps log((1/M) sum_j exp(-|x_i - y_j|^2 / eps)), max factored out.
func bruteSoftMin(x, y []float64, n, m, d int, eps float64) []float64 {
	out := make([]float64, n)
	for i := 0; i < n; i++ {
		s := make([]float64, m)
		best := math.Inf(-1)
		for j := range s {
			c := 0.0
			for k := 0; k < d; k++ {
				c += (x[i*d+k] - y[j*d+k]) * (x[i*d+k] - y[j*d+k])
			}
			s[j] = -c / eps
			best = math.Max(best, s[j])
		}
		sum := 0.0
		for _, v := range s {
			sum += math.Exp(v - best)
		}
		out[i] = -eps * (best + math.Log(sum/float64(m)))
	}
	return out
}

func TestCloudsAreSeededPhilox(t *testing.T) {
	c := SoftMinCheck{N: 5, M: 4, D: 3, Eps: 1, Seed: 42}
	x, y := c.Clouds()
	if len(x) != 15 || len(y) != 12 {
		t.Fatalf("sizes %d %d", len(x), len(y))
	}
	if x[7] != compute.NormalAt(42, 7) {
		t.Errorf("x[7] = %g, want NormalAt(42, 7) = %g", x[7], compute.NormalAt(42, 7))
	}
	if y[3] != compute.NormalAt(42, 15+3)+CloudShift || y[4] != compute.NormalAt(42, 15+4) {
		t.Errorf("y[3], y[4] = %g, %g: want the stream after X, shifted on coordinate 0 only", y[3], y[4])
	}
	x2, _ := SoftMinCheck{N: 5, M: 4, D: 3, Eps: 1, Seed: 43}.Clouds()
	if x2[0] == x[0] {
		t.Error("another seed gave the same cloud")
	}
}

func TestSoftMinCheckCPU(t *testing.T) {
	c := SoftMinCheck{N: 37, M: 29, D: 3, Eps: 0.2, Seed: 9}
	out, tm, err := c.Run(compute.NewCPU(2))
	if err != nil {
		t.Fatal(err)
	}
	x, y := c.Clouds()
	want := bruteSoftMin(x, y, c.N, c.M, c.D, c.Eps)
	if d := MaxRelDiff(out, want, c.Eps); d > 1e-13 {
		t.Errorf("CPU soft-min vs brute force: max relative difference %g", d)
	}
	if tm.First <= 0 || tm.Repeat <= 0 {
		t.Errorf("timings %+v", tm)
	}
	ref, d, err := c.Reference()
	if err != nil || d <= 0 || MaxRelDiff(ref, want, c.Eps) > 1e-13 {
		t.Errorf("Reference: %v, %v, max relative difference %g", err, d, MaxRelDiff(ref, want, c.Eps))
	}
	// One point, eps large: the soft-min tends to the mean cost
	// (first-order expansion: -eps log mean exp(-C/eps) -> mean C).
	big := SoftMinCheck{N: 1, M: 64, D: 2, Eps: 1e6, Seed: 1}
	out, _, err = big.Run(compute.NewCPU(1))
	if err != nil {
		t.Fatal(err)
	}
	x, y = big.Clouds()
	mean := 0.0
	for j := 0; j < big.M; j++ {
		mean += ((x[0]-y[2*j])*(x[0]-y[2*j]) + (x[1]-y[2*j+1])*(x[1]-y[2*j+1])) / float64(big.M)
	}
	if math.Abs(out[0]-mean) > 1e-4*mean {
		t.Errorf("eps=1e6: soft-min %g, want the mean cost %g", out[0], mean)
	}
}

func TestSoftMinCheckValidate(t *testing.T) {
	bad := map[string]SoftMinCheck{
		"n = 0":      {N: 0, M: 1, D: 1, Eps: 1},
		"m = 9000":   {N: 1, M: 9000, D: 1, Eps: 1},
		"d = 17":     {N: 1, M: 1, D: 17, Eps: 1},
		"eps = 0":    {N: 1, M: 1, D: 1, Eps: 0},
		"eps = NaN":  {N: 1, M: 1, D: 1, Eps: math.NaN()},
		"eps = +Inf": {N: 1, M: 1, D: 1, Eps: math.Inf(1)},
		"n*m":        {N: 8192, M: 4096, D: 1, Eps: 1},
	}
	for want, c := range bad {
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%+v) = %v, want %q", c, err, want)
		}
		if _, _, err := c.Run(compute.NewCPU(1)); err == nil {
			t.Errorf("Run(%+v) accepted", c)
		}
	}
}

func TestMaxRelDiff(t *testing.T) {
	if d := MaxRelDiff([]float64{1, 2.002}, []float64{1, 2}, 0.1); math.Abs(d-0.001) > 1e-12 {
		t.Errorf("got %g, want 1e-3", d)
	}
	// Near zero the floor is the scale: |1e-3 - 0| / 0.5.
	if d := MaxRelDiff([]float64{1e-3}, []float64{0}, 0.5); math.Abs(d-2e-3) > 1e-15 {
		t.Errorf("got %g, want 2e-3", d)
	}
	if d := MaxRelDiff([]float64{1}, []float64{1, 2}, 1); !math.IsInf(d, 1) {
		t.Errorf("length mismatch gave %g", d)
	}
	if d := MaxRelDiff([]float64{math.NaN()}, []float64{1}, 1); !math.IsInf(d, 1) {
		t.Errorf("NaN gave %g", d)
	}
}

// The check computed on the native GPU backend (lavapipe in CI) agrees
// with the float64 reference within the page's float32 tolerance.
func TestSoftMinCheckGPUAgreement(t *testing.T) {
	gpu := gputest.Backend(t)
	for _, c := range []SoftMinCheck{
		{N: 1, M: 1, D: 1, Eps: 0.5, Seed: 1},
		{N: 65, M: 63, D: 3, Eps: 0.05, Seed: 2},
		{N: 300, M: 1030, D: 2, Eps: 0.5, Seed: 3},
		{N: 128, M: 200, D: 16, Eps: 2, Seed: 4},
	} {
		got, _, err := c.Run(gpu)
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		want, _, err := c.Run(compute.NewCPU(0))
		if err != nil {
			t.Fatal(err)
		}
		d := MaxRelDiff(got, want, c.Eps)
		t.Logf("%+v: GPU vs CPU max relative difference %.3g", c, d)
		const tol = 1e-4 // the /check page's Float32Tolerance
		if !(d <= tol) {
			t.Errorf("%+v: GPU vs CPU max relative difference %g > %g", c, d, tol)
		}
	}
}
