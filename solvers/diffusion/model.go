package diffusion

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/otplay/otplay/compute"
)

// ErrBadInput is wrapped by every error about a caller's arguments (bad
// sizes, NaN, unknown names, steps < 1...). Use errors.Is.
var ErrBadInput = errors.New("diffusion: bad input")

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// Time is the point of the forward process a model is evaluated at:
// continuous time T in [0, 1] and x_t = Alpha x_0 + Sigma noise.
type Time struct {
	T, Alpha, Sigma float64
}

// Lambda returns log(Alpha/Sigma).
func (at Time) Lambda() float64 { return math.Log(at.Alpha) - math.Log(at.Sigma) }

// Prediction names what a model outputs.
type Prediction int

// The four parameterisations of a diffusion model, related through
// x_t = alpha x_0 + sigma eps (VP, alpha^2 + sigma^2 = 1):
//
//	noise     eps   = (x_t - alpha x_0) / sigma          (Ho et al. 2020)
//	data      x_0   = E[x_0 | x_t]                        (denoiser D)
//	score     grad log p_t(x_t) = -eps / sigma            (Song et al. 2021)
//	velocity  v     = alpha eps - sigma x_0                (Salimans and Ho 2022, eq. (6))
const (
	PredictNoise Prediction = iota
	PredictData
	PredictScore
	PredictVelocity
)

var predictionNames = [...]string{"noise", "data", "score", "velocity"}

func (p Prediction) String() string {
	if p < 0 || int(p) >= len(predictionNames) {
		return fmt.Sprintf("Prediction(%d)", int(p))
	}
	return predictionNames[p]
}

// ParsePrediction returns the Prediction of a name ("noise", "data",
// "score", "velocity").
func ParsePrediction(name string) (Prediction, error) {
	for i, n := range predictionNames {
		if strings.EqualFold(n, name) {
			return Prediction(i), nil
		}
	}
	return 0, inputErr("unknown prediction %q (valid: %s)", name, strings.Join(predictionNames[:], ", "))
}

// Model is a diffusion model resident on a Backend: given the batch x
// (n points of Dim() floats, row-major) at time at, Predict writes its
// output (noise, data, score or velocity, as Prediction says) into dst
// (n x Dim()). dst and x must be different arrays of the model's backend.
type Model interface {
	Dim() int
	Prediction() Prediction
	Predict(dst, x compute.Array, n int, at Time) error
}

// toData returns (a, b) with x_0 = a x + b y for a model output y of kind
// p, and fromData (c, e) with y = c x + e x_0. Derived from x = alpha x_0 +
// sigma eps with alpha^2 + sigma^2 = 1 (see Prediction).
func toData(p Prediction, at Time) (a, b float64, err error) {
	al, si := at.Alpha, at.Sigma
	switch p {
	case PredictData:
		return 0, 1, nil
	case PredictNoise: // x_0 = (x - sigma eps)/alpha
		if !(al > 0) {
			return 0, 0, inputErr("noise to data needs alpha > 0 (t = %g)", at.T)
		}
		return 1 / al, -si / al, nil
	case PredictScore: // x_0 = (x + sigma^2 s)/alpha
		if !(al > 0) {
			return 0, 0, inputErr("score to data needs alpha > 0 (t = %g)", at.T)
		}
		return 1 / al, si * si / al, nil
	case PredictVelocity: // x_0 = alpha x - sigma v
		return al, -si, nil
	}
	return 0, 0, inputErr("unknown prediction %d", int(p))
}

func fromData(p Prediction, at Time) (c, e float64, err error) {
	al, si := at.Alpha, at.Sigma
	switch p {
	case PredictData:
		return 0, 1, nil
	case PredictNoise, PredictScore, PredictVelocity:
		if !(si > 0) {
			return 0, 0, inputErr("data to %v needs sigma > 0 (t = %g)", p, at.T)
		}
	}
	switch p {
	case PredictNoise: // eps = (x - alpha x_0)/sigma
		return 1 / si, -al / si, nil
	case PredictScore: // s = (alpha x_0 - x)/sigma^2
		return -1 / (si * si), al / (si * si), nil
	case PredictVelocity: // v = (alpha x - x_0)/sigma
		return al / si, -1 / si, nil
	}
	return 0, 0, inputErr("unknown prediction %d", int(p))
}

// ConvertCoefficients returns (a, b) such that a prediction of kind to
// equals a x + b y for a prediction y of kind from, at time at. Every
// conversion is one affine map, composed from x_0 = a1 x + b1 y and
// y' = c x + e x_0.
func ConvertCoefficients(from, to Prediction, at Time) (a, b float64, err error) {
	if from == to {
		return 0, 1, nil
	}
	a1, b1, err := toData(from, at)
	if err != nil {
		return 0, 0, err
	}
	c, e, err := fromData(to, at)
	if err != nil {
		return 0, 0, err
	}
	return c + e*a1, e * b1, nil
}

// Convert writes into dst the prediction of kind to equivalent to y (of
// kind from) at x and time at: dst = a x + b y, one Map on the backend.
// dst may not alias x or y.
func Convert(b compute.Backend, dst, x, y compute.Array, from, to Prediction, at Time) error {
	ca, cb, err := ConvertCoefficients(from, to, at)
	if err != nil {
		return err
	}
	return b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: x, Y: y, A: ca, B: cb})
}

// ConvertHost is Convert on host slices (float64), for tests and for
// callers holding values in memory.
func ConvertHost(dst, x, y []float64, from, to Prediction, at Time) error {
	ca, cb, err := ConvertCoefficients(from, to, at)
	if err != nil {
		return err
	}
	if len(x) != len(dst) || len(y) != len(dst) {
		return inputErr("convert: lengths dst %d, x %d, y %d differ", len(dst), len(x), len(y))
	}
	for i := range dst {
		dst[i] = ca*x[i] + cb*y[i]
	}
	return nil
}

// denoiser evaluates a Model as a data prediction (the denoiser D(x, t) =
// E[x_0 | x_t = x] every sampler here is written in), with its own
// scratch array when the model predicts something else.
type denoiser struct {
	b     compute.Backend
	m     compute.Array // raw model output (nil for data models)
	model Model
	n, d  int
	nfe   int
}

func newDenoiser(b compute.Backend, model Model, n int) (*denoiser, error) {
	dn := &denoiser{b: b, model: model, n: n, d: model.Dim()}
	if model.Prediction() != PredictData {
		m, err := b.Alloc(n * dn.d)
		if err != nil {
			return nil, err
		}
		dn.m = m
	}
	return dn, nil
}

// eval writes D(x, at) into dst.
func (dn *denoiser) eval(dst, x compute.Array, at Time) error {
	dn.nfe++
	if dn.m == nil {
		return dn.model.Predict(dst, x, dn.n, at)
	}
	if err := dn.model.Predict(dn.m, x, dn.n, at); err != nil {
		return err
	}
	return Convert(dn.b, dst, x, dn.m, dn.model.Prediction(), PredictData, at)
}

func (dn *denoiser) free() { dn.b.Free(dn.m) }

// Denoise writes E[x_0 | x_t = x] as estimated by model into dst: the
// model's prediction converted to data (see Convert). dst may not alias x.
func Denoise(b compute.Backend, model Model, dst, x compute.Array, n int, at Time) error {
	dn, err := newDenoiser(b, model, n)
	if err != nil {
		return err
	}
	defer dn.free()
	return dn.eval(dst, x, at)
}

// checkBatch validates x and dst of a model call.
func checkBatch(name string, dst, x compute.Array, n, d int) error {
	switch {
	case n < 1:
		return inputErr("%s: n = %d points, want >= 1", name, n)
	case x == nil || x.Len() != n*d:
		return inputErr("%s: x has %d elements, want n*d = %d*%d", name, lenOf(x), n, d)
	case dst == nil || dst.Len() != n*d:
		return inputErr("%s: dst has %d elements, want n*d = %d*%d", name, lenOf(dst), n, d)
	case dst == x:
		return inputErr("%s: dst and x are the same array", name)
	}
	return nil
}

func checkTime(name string, at Time) error {
	if !(at.Sigma > 0) || !(at.Alpha > 0) || math.IsInf(at.Sigma, 0) || math.IsInf(at.Alpha, 0) {
		return inputErr("%s: alpha = %g and sigma = %g must be positive and finite (t = %g)", name, at.Alpha, at.Sigma, at.T)
	}
	return nil
}

func lenOf(a compute.Array) int {
	if a == nil {
		return 0
	}
	return a.Len()
}
