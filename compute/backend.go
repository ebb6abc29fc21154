package compute

import (
	"errors"
	"fmt"
	"math"
)

// Array is a vector of floats resident on one Backend (host memory for the
// CPU backend, a storage buffer for the GPU backend). Matrices are stored
// row-major: point i of an n x d cloud occupies [i*d, (i+1)*d).
//
// An Array belongs to the Backend that made it; passing it to another
// Backend panics.
type Array interface {
	// Len is the number of float elements.
	Len() int
}

// Info describes a Backend for people and for logs.
type Info struct {
	Name      string // "cpu" or "gpu"
	Device    string // adapter name, or the CPU model / core count
	API       string // "Vulkan", "Metal", "WebGPU (browser)", "Go"
	Precision string // "float64" or "float32"
	// MaxArray is the largest Array, in elements, that Alloc accepts.
	MaxArray int
	// Notes carries anything a person should know (fallback reasons...).
	Notes string
}

// Pairs describes an all-pairs reduction between the rows x_i (N points)
// and the columns y_j (M points), both in dimension D, with the ground
// cost C_ij of Cost: by default the squared Euclidean cost
// C_ij = |x_i - y_j|^2 computed on the fly, never stored; a power
// |x_i - y_j|_2^P; or a dense N x M matrix (then X, Y and D are unused).
//
// The weight of pair (i, j) in log space is
//
//	s_ij = LogW_j + (G_j - C_ij) / Eps
//
// LogW and G may be nil, meaning all zeros.
type Pairs struct {
	X, Y    Array // N*D and M*D
	N, M, D int
	LogW    Array // M log-weights of the columns, or nil
	G       Array // M column potential, or nil
	Eps     float64
	Cost    Cost // the zero value is |x - y|^2
}

// Swap returns the same reduction taken in the other direction: over rows
// for each column. logw and g are the row log-weights and row potential.
func (p Pairs) Swap(logw, g Array) Pairs {
	c := p.Cost
	if c.Matrix != nil {
		c.Transposed = !c.Transposed
	}
	return Pairs{X: p.Y, Y: p.X, N: p.M, M: p.N, D: p.D, LogW: logw, G: g, Eps: p.Eps, Cost: c}
}

// Op selects an element-wise operation for Backend.Map.
type Op int

// Element-wise operations. In each, x_i is X[i] and y_i is Y[(i/YDiv)%YMod]
// (YDiv > 1 repeats each Y element over a run of YDiv elements, e.g. a
// per-row scale of an n x d matrix; YMod > 0 cycles through YMod
// elements, e.g. a bias added to every row; 0 means unused). A nil Y reads 0.
const (
	OpAxpby Op = iota // dst = A*x + B*y + C
	OpMul             // dst = A*x*y + C
	OpDiv             // dst = A*x/y + C
	OpExp             // dst = exp(A*x + B*y + C)
	OpLog             // dst = log(A*x + B*y + C)
	OpAbs             // dst = |A*x + B*y + C|
	OpSqrt            // dst = sqrt(A*x + B*y + C)
	OpMax             // dst = max(A*x, B*y) + C
	OpMin             // dst = min(A*x, B*y) + C
	OpStep            // dst = 1 if A*x + B*y + C > 0 else 0
	OpSin             // dst = sin(A*x + B*y + C) (cos: C + pi/2)
	numOps
)

var opNames = [...]string{"axpby", "mul", "div", "exp", "log", "abs", "sqrt", "max", "min", "step", "sin"}

func (o Op) String() string {
	if o < 0 || o >= numOps {
		return fmt.Sprintf("Op(%d)", int(o))
	}
	return opNames[o]
}

// MapArgs are the operands of Backend.Map.
type MapArgs struct {
	Op      Op
	X, Y    Array // X has the length of dst; Y has ceil(len(dst)/YDiv) or is nil
	YDiv    int   // 0 means 1
	YMod    int   // 0 means no wrap
	A, B, C float64
}

// Backend runs the fused kernels every solver is written with. Work may be
// queued: Read returns once all earlier work has finished. Methods are not
// safe for concurrent use.
//
// Every method validates its arguments and returns an error (never
// panics) for mismatched lengths, bad sizes or eps <= 0.
type Backend interface {
	Info() Info

	// Alloc returns a zeroed Array of n elements.
	Alloc(n int) (Array, error)
	// Upload returns a new Array holding src.
	Upload(src []float64) (Array, error)
	// Write copies src into dst; len(src) must equal dst.Len().
	Write(dst Array, src []float64) error
	// Read copies src into dst, waiting for queued work.
	Read(dst []float64, src Array) error
	// Copy copies src into dst (equal lengths).
	Copy(dst, src Array) error
	// Free releases a; a must not be used afterwards. Free(nil) is a no-op.
	Free(a Array)

	// SoftMin computes, for each row i < p.N,
	//
	//	dst[i] = -Eps * log sum_j exp(LogW_j + (G_j - C_ij) / Eps)
	//
	// (C_ij = |x_i - y_j|^2 unless p.Cost names another cost), the soft-min (c-transform) of Feydy et al. 2019, eq. (8); with LogW =
	// log b it is one half-iteration of log-domain Sinkhorn.
	SoftMin(dst Array, p Pairs) error

	// SoftMean computes the softmax-weighted mean of the values V (M rows of
	// DV floats) for each row i:
	//
	//	w_ij = exp(LogW_j + (G_j - C_ij) / Eps)
	//	dst[i*DV+k] = sum_j w_ij V[j*DV+k] / sum_j w_ij
	//
	// With V = Y it is the barycentric projection of the entropic plan (the
	// entropic map of Pooladian and Niles-Weed 2021, eq. (3)).
	SoftMean(dst Array, p Pairs, v Array, dv int) error

	// SoftMeanY is SoftMean with the values V = c Y (dv = D), without the
	// array c Y:
	//
	//	dst[i*D+k] = c * sum_j w_ij Y[j*D+k] / sum_j w_ij
	//
	// It is the exact denoiser's posterior mean (Karras et al. 2022,
	// eq. (57)): with the columns Y = alpha y of data y, c = 1/alpha gives
	// E[x_0 | x_t] = sum_j p_j y_j; with c = 1, the barycentric projection
	// above. Backends read Y once for the cost and the values where their
	// kernels can (the GPU's for 4 <= D <= 16, |x - y|^2, from D = 10 only
	// from N = 3e4 rows); the others
	// compute SoftMean(dst, p, p.Y, p.D) and scale it by c. c must be
	// finite (0 and negative values are allowed); p needs Y and D (M x D
	// values) even with a Cost.Matrix.
	SoftMeanY(dst Array, p Pairs, c float64) error

	// Map applies an element-wise operation (see Op).
	Map(dst Array, a MapArgs) error

	// Sum returns sum_i x[i] (accumulated in float64 on the host side of
	// the final partial sums), waiting for queued work.
	Sum(x Array) (float64, error)

	// MatMul computes dst (n x m) = op(A) op(B), with op(A) n x k and
	// op(B) k x m; transA/transB say that A is stored k x n / B is m x k.
	MatMul(dst, a, b Array, n, k, m int, transA, transB bool) error

	// GatherSum computes, for each i < dst.Len(),
	//
	//	dst[i] = sum_{t < k} src[idx[i*k+t]]   (entries idx < 0 are skipped)
	//
	// With k = 1 it is a gather (patch unfold, permutation); with k > 1 it
	// folds overlapping contributions back (patch fold) without atomics.
	// Indices are stored as floats and must be exact integers below 2^24.
	GatherSum(dst, src, idx Array, k int) error

	// SortRows sorts each of the rows contiguous runs of length cols
	// ascending, in place.
	SortRows(x Array, rows, cols int) error

	// Uniform fills dst[i] with the uniform [0, 1) variate of counter
	// offset+i in the Philox4x32-10 stream keyed by seed; Normal fills it
	// with a standard normal (Box-Muller on the same counter). The streams
	// are the same on every backend (see Philox).
	Uniform(dst Array, seed, offset uint64) error
	Normal(dst Array, seed, offset uint64) error

	// Close releases the backend's resources.
	Close() error
}

// Errors shared by every backend. Use errors.Is.
var (
	ErrBadArgument = errors.New("compute: bad argument")
	ErrTooLarge    = errors.New("compute: array larger than the device allows")
	ErrDeviceLost  = errors.New("compute: device lost")
)

func argErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadArgument, fmt.Sprintf(format, args...))
}

// CheckFinite returns an error naming arg and the first index where v is
// NaN or infinite.
func CheckFinite(arg string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: %s[%d] = %v is not finite", ErrBadArgument, arg, i, x)
		}
	}
	return nil
}

func length(a Array) int {
	if a == nil {
		return 0
	}
	return a.Len()
}

// ValidatePairs checks a Pairs description; both backends call it.
func ValidatePairs(p Pairs) error {
	switch {
	case p.N < 1:
		return argErr("pairs: N = %d: the row set is empty", p.N)
	case p.M < 1:
		return argErr("pairs: M = %d: the column set is empty", p.M)
	case p.LogW != nil && p.LogW.Len() != p.M:
		return argErr("pairs: LogW has %d elements, want M = %d", p.LogW.Len(), p.M)
	case p.G != nil && p.G.Len() != p.M:
		return argErr("pairs: G has %d elements, want M = %d", p.G.Len(), p.M)
	case !(p.Eps > 0) || math.IsInf(p.Eps, 0):
		return argErr("pairs: eps = %g must be positive and finite", p.Eps)
	case p.Cost.Matrix != nil: // X, Y and D are not read
		return validateCost(p)
	case p.X == nil || p.Y == nil:
		return argErr("pairs: X and Y must be set")
	case p.D < 1 || p.D > MaxDim:
		return argErr("pairs: dimension D = %d outside [1, %d]", p.D, MaxDim)
	case p.X.Len() != p.N*p.D:
		return argErr("pairs: X has %d elements, want N*D = %d*%d", p.X.Len(), p.N, p.D)
	case p.Y.Len() != p.M*p.D:
		return argErr("pairs: Y has %d elements, want M*D = %d*%d", p.Y.Len(), p.M, p.D)
	}
	return validateCost(p)
}

// MaxDim is the largest point dimension the fused kernels accept.
const MaxDim = 256

// MaxValueDim is the largest value dimension DV of SoftMean.
const MaxValueDim = 256

// ValidateSoftMean checks SoftMean's arguments.
func ValidateSoftMean(dst Array, p Pairs, v Array, dv int) error {
	if err := ValidatePairs(p); err != nil {
		return err
	}
	switch {
	case dv < 1 || dv > MaxValueDim:
		return argErr("softmean: value dimension %d outside [1, %d]", dv, MaxValueDim)
	case v == nil || v.Len() != p.M*dv:
		return argErr("softmean: V has %d elements, want M*DV = %d*%d", length(v), p.M, dv)
	case dst == nil || dst.Len() != p.N*dv:
		return argErr("softmean: dst has %d elements, want N*DV = %d*%d", length(dst), p.N, dv)
	}
	return nil
}

// ValidateSoftMeanY checks SoftMeanY's arguments.
func ValidateSoftMeanY(dst Array, p Pairs, c float64) error {
	if math.IsNaN(c) || math.IsInf(c, 0) {
		return argErr("softmeany: the value scale c = %g must be finite", c)
	}
	if p.Y == nil || p.D < 1 || p.D > MaxValueDim || p.Y.Len() != p.M*p.D {
		return argErr("softmeany: Y has %d elements and D = %d, want M*D = %d*D values with 1 <= D <= %d", length(p.Y), p.D, p.M, MaxValueDim)
	}
	return ValidateSoftMean(dst, p, p.Y, p.D)
}

// ValidateSoftMin checks SoftMin's arguments.
func ValidateSoftMin(dst Array, p Pairs) error {
	if err := ValidatePairs(p); err != nil {
		return err
	}
	if dst == nil || dst.Len() != p.N {
		return argErr("softmin: dst has %d elements, want N = %d", length(dst), p.N)
	}
	return nil
}

// ValidateMap checks Map's arguments.
func ValidateMap(dst Array, a MapArgs) error {
	if dst == nil || a.X == nil {
		return argErr("map: dst and X must be set")
	}
	if a.Op < 0 || a.Op >= numOps {
		return argErr("map: unknown op %d", int(a.Op))
	}
	if a.X.Len() != dst.Len() {
		return argErr("map %v: X has %d elements, dst %d", a.Op, a.X.Len(), dst.Len())
	}
	if a.YDiv < 0 || a.YMod < 0 {
		return argErr("map %v: YDiv = %d and YMod = %d must be >= 0", a.Op, a.YDiv, a.YMod)
	}
	div := max(a.YDiv, 1)
	if a.Y != nil {
		want := (dst.Len() + div - 1) / div
		if a.YMod > 0 {
			want = min(want, a.YMod)
		}
		if a.Y.Len() != want {
			return argErr("map %v: Y has %d elements, want %d (len %d, YDiv %d, YMod %d)", a.Op, a.Y.Len(), want, dst.Len(), div, a.YMod)
		}
	}
	return nil
}

// ValidateGatherSum checks GatherSum's arguments (not the index values).
func ValidateGatherSum(dst, src, idx Array, k int) error {
	switch {
	case dst == nil || src == nil || idx == nil:
		return argErr("gathersum: dst, src and idx must be set")
	case k < 1:
		return argErr("gathersum: k = %d must be >= 1", k)
	case idx.Len() != dst.Len()*k:
		return argErr("gathersum: idx has %d elements, want len(dst)*k = %d*%d", idx.Len(), dst.Len(), k)
	case src.Len() > MaxIndex:
		return fmt.Errorf("%w: gathersum source of %d elements exceeds the exact float32 index range %d", ErrTooLarge, src.Len(), MaxIndex)
	}
	return nil
}

// MaxIndex bounds the indices GatherSum reads (exact in float32).
const MaxIndex = 1 << 24

// ValidateMatMul checks MatMul's arguments.
func ValidateMatMul(dst, a, b Array, n, k, m int) error {
	switch {
	case n < 1 || k < 1 || m < 1:
		return argErr("matmul: sizes n=%d k=%d m=%d must be >= 1", n, k, m)
	case dst == nil || dst.Len() != n*m:
		return argErr("matmul: dst has %d elements, want %d", length(dst), n*m)
	case a == nil || a.Len() != n*k:
		return argErr("matmul: A has %d elements, want %d", length(a), n*k)
	case b == nil || b.Len() != k*m:
		return argErr("matmul: B has %d elements, want %d", length(b), k*m)
	}
	return nil
}
