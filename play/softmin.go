package play

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
)

// SoftMinCheck is the computation of the /check page: one soft-min
// (Feydy et al. 2019, eq. (8), the c-transform of log-domain Sinkhorn)
// between two seeded Gaussian point clouds,
//
//	out_i = -Eps * log sum_j (1/M) exp(-|x_i - y_j|^2 / Eps),
//
// run on the page's backend and on the float64 CPU reference, to show the
// backend's speed and its agreement with the reference.
type SoftMinCheck struct {
	N, M, D int     // points in X, in Y, dimension
	Eps     float64 // temperature, > 0
	Seed    uint64  // Philox key of both clouds
}

// Limits of the check (the float64 reference runs in the page's single
// wasm thread, so the product N*M stays small enough for a second or two).
const (
	MaxCheckPoints = 8192
	MaxCheckDim    = 16
	MaxCheckPairs  = 16 << 20
)

// CloudShift is added to the first coordinate of every y_j so that the two
// clouds differ.
const CloudShift = 1.0

// Validate checks the sizes and eps; errors name the parameter.
func (c SoftMinCheck) Validate() error {
	switch {
	case c.N < 1 || c.N > MaxCheckPoints:
		return fmt.Errorf("n = %d: want 1..%d points", c.N, MaxCheckPoints)
	case c.M < 1 || c.M > MaxCheckPoints:
		return fmt.Errorf("m = %d: want 1..%d points", c.M, MaxCheckPoints)
	case c.D < 1 || c.D > MaxCheckDim:
		return fmt.Errorf("d = %d: want dimension 1..%d", c.D, MaxCheckDim)
	case c.N*c.M > MaxCheckPairs:
		return fmt.Errorf("n*m = %d: want at most %d pairs", c.N*c.M, MaxCheckPairs)
	case !(c.Eps > 0) || math.IsInf(c.Eps, 0):
		return fmt.Errorf("eps = %g: want a positive finite temperature", c.Eps)
	}
	return nil
}

// Clouds returns the two point clouds, row-major: x_i ~ N(0, I) and
// y_j ~ N(CloudShift e_1, I), drawn from the Philox4x32-10 normal stream
// keyed by Seed (compute.NormalAt), X at counters [0, N*D) and Y at
// [N*D, N*D + M*D). Any program can rebuild them from the same four
// numbers.
func (c SoftMinCheck) Clouds() (x, y []float64) {
	x = make([]float64, c.N*c.D)
	for k := range x {
		x[k] = compute.NormalAt(c.Seed, uint64(k))
	}
	y = make([]float64, c.M*c.D)
	off := uint64(len(x))
	for k := range y {
		y[k] = compute.NormalAt(c.Seed, off+uint64(k))
		if k%c.D == 0 {
			y[k] += CloudShift
		}
	}
	return x, y
}

// CheckTimings are the durations the /check page reports.
type CheckTimings struct {
	Upload time.Duration // clouds and weights to the backend
	First  time.Duration // first soft-min with readback (includes shader compilation on a GPU)
	Repeat time.Duration // best of the repeated soft-mins with readback
	// Reference is the float64 CPU reference computation (zero when the
	// backend is itself the CPU reference).
	Reference time.Duration
}

// checkRepeats is how many times the soft-min is repeated after the first
// run; the best time is reported (a warm kernel, little noise).
const checkRepeats = 3

// Run computes the soft-min on b and returns out (N values) and the
// timings of the upload, the first run and the best of checkRepeats
// repeated runs. Every array it allocates is freed.
func (c SoftMinCheck) Run(b compute.Backend) (out []float64, t CheckTimings, err error) {
	return c.run(b, checkRepeats)
}

// Reference computes the soft-min once on the float64 CPU reference and
// returns it with its time.
func (c SoftMinCheck) Reference() ([]float64, time.Duration, error) {
	out, t, err := c.run(compute.NewCPU(1), 0)
	return out, t.Upload + t.First, err
}

func (c SoftMinCheck) run(b compute.Backend, repeats int) (out []float64, t CheckTimings, err error) {
	if err := c.Validate(); err != nil {
		return nil, t, err
	}
	x, y := c.Clouds()
	logw := make([]float64, c.M)
	for j := range logw {
		logw[j] = -math.Log(float64(c.M))
	}
	start := time.Now()
	var arrays []compute.Array
	defer func() {
		for _, a := range arrays {
			b.Free(a)
		}
	}()
	upload := func(v []float64) compute.Array {
		if err != nil {
			return nil
		}
		var a compute.Array
		a, err = b.Upload(v)
		if err == nil {
			arrays = append(arrays, a)
		}
		return a
	}
	xa, ya, wa := upload(x), upload(y), upload(logw)
	if err != nil {
		return nil, t, fmt.Errorf("upload: %w", err)
	}
	dst, err := b.Alloc(c.N)
	if err != nil {
		return nil, t, fmt.Errorf("alloc: %w", err)
	}
	arrays = append(arrays, dst)
	t.Upload = time.Since(start)
	p := compute.Pairs{X: xa, Y: ya, N: c.N, M: c.M, D: c.D, LogW: wa, Eps: c.Eps}
	out = make([]float64, c.N)
	for r := 0; r <= repeats; r++ {
		start = time.Now()
		if err := b.SoftMin(dst, p); err != nil {
			return nil, t, fmt.Errorf("softmin: %w", err)
		}
		if err := b.Read(out, dst); err != nil {
			return nil, t, fmt.Errorf("read: %w", err)
		}
		d := time.Since(start)
		switch {
		case r == 0:
			t.First = d
		case r == 1 || d < t.Repeat:
			t.Repeat = d
		}
	}
	if err := compute.CheckFinite("softmin output", out); err != nil {
		return nil, t, err
	}
	return out, t, nil
}

// MaxRelDiff returns max_i |got_i - want_i| / max(|want_i|, floor): the
// relative difference, measured against floor where the reference is
// near zero. The /check page uses floor = Eps (the soft-min is a cost, and
// costs are read on the scale of eps). It returns +Inf for a length
// mismatch or a NaN.
func MaxRelDiff(got, want []float64, floor float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	worst := 0.0
	for i := range got {
		d := math.Abs(got[i]-want[i]) / math.Max(math.Abs(want[i]), floor)
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = math.Max(worst, d)
	}
	return worst
}
