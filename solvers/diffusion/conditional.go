package diffusion

import (
	"fmt"
	"math"
	"strconv"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/nn"
)

// Class-conditional models and classifier-free guidance (Ho and Salimans
// 2022, "Classifier-Free Diffusion Guidance").
//
// Training (Train with TrainSettings.Labels): the network's conditioning
// vector is the time embedding followed by a one-hot vector of the K
// classes; with probability p_uncond (LabelDropout) a training point's
// class is replaced by the null class, the all-zero vector (their Alg. 1,
// c <- emptyset), so one network learns both eps(x, t, c) and eps(x, t).
//
// Sampling (Guided): the guided noise prediction is
//
//	eps_W = eps_uncond + W (eps_cond - eps_uncond) = (1 - W) eps_uncond + W eps_cond.
//
// Convention: W here is 1 + w of the paper (their eq. (6), eps~ = (1 + w)
// eps_cond - w eps_uncond). W = 0 is the unconditional model, W = 1 the
// conditional model without guidance (the paper's w = 0), W > 1 guides
// (sharper classes, less diversity). Because every parameterisation is an
// affine function of the noise prediction with the same coefficients for
// both models (see ConvertCoefficients) and the weights (1 - W, W) sum to
// one, the same combination of data, score or velocity predictions is the
// same guided model; Guided combines the two models in the conditional
// model's parameterisation. In score form it is the score of p(x)^(1-W)
// p(x | c)^W (their eq. (7) and the sentence after it), which for W in
// [0, 1] is a geometric interpolation between the marginal and the class.
//
// An exact model has a closed-form conditional: the empirical denoiser or
// the Gaussian mixture restricted to the class's points or components
// (Bayes' rule with p(x_0 | c) in place of p(x_0)). Guided over two exact
// models is the independent reference of the trained one.

// DefaultLabelDropout is TrainSettings.LabelDropout's default: p_uncond =
// 0.1, one of the two values Ho and Salimans 2022 found best (0.1 and 0.2,
// their Table 1 and Section 4.1).
const DefaultLabelDropout = 0.1

// metaClasses reads the number of classes of a model file's metadata (0
// when absent: a model trained before conditioning existed, or an
// unconditional one).
func metaClasses(meta map[string]string) (int, error) {
	v, ok := meta[MetaClasses]
	if !ok {
		return 0, nil
	}
	k, err := strconv.Atoi(v)
	if err != nil || k < 1 || k > nn.MaxWidth {
		return 0, fmt.Errorf("%w: mlp: meta %s = %q, want an integer in [1, %d]", nn.ErrBadModel, MetaClasses, v, nn.MaxWidth)
	}
	return k, nil
}

// trainClasses validates set.Labels (n labels in [0, nn.MaxWidth)) and
// set.LabelDropout (default DefaultLabelDropout, in [0, 1)) and returns
// the number of classes K = max label + 1 (0 without labels).
func trainClasses(set *TrainSettings, n int) (int, error) {
	if set.Labels == nil {
		return 0, nil
	}
	if len(set.Labels) != n {
		return 0, inputErr("train: %d labels for n = %d points", len(set.Labels), n)
	}
	if set.LabelDropout == 0 {
		set.LabelDropout = DefaultLabelDropout
	}
	if !(set.LabelDropout > 0 && set.LabelDropout < 1) {
		return 0, inputErr("train: label dropout = %v outside (0, 1)", set.LabelDropout)
	}
	k := 0
	for i, l := range set.Labels {
		if l < 0 || l >= nn.MaxWidth {
			return 0, inputErr("train: labels[%d] = %d outside [0, %d)", i, l, nn.MaxWidth)
		}
		k = max(k, l+1)
	}
	return k, nil
}

// oneHotClass writes the class part of a training point's conditioning
// vector: all zeros (the null class) with probability LabelDropout or
// without labels, else the one-hot vector of point j's label. The drop
// decision is the host Philox stream of (Seed+3) at counter c.
func oneHotClass(dst []float64, set TrainSettings, j int, c uint64) {
	clear(dst)
	if set.Labels == nil || compute.UniformAt(set.Seed+3, c) < set.LabelDropout {
		return
	}
	dst[set.Labels[j]] = 1
}

// Classes returns K of a class-conditional model, 0 for an unconditional
// one.
func (m *MLP) Classes() int { return m.classes }

// Class returns the model conditioned on class k in [0, Classes()): a
// view sharing m's network (use one view at a time; free m, not it).
func (m *MLP) Class(k int) (Model, error) {
	if m.classes == 0 {
		return nil, inputErr("mlp: the model is not class-conditional (train it with labels, otplay train --conditional)")
	}
	if k < 0 || k >= m.classes {
		return nil, inputErr("mlp: class %d outside [0, %d)", k, m.classes)
	}
	return classMLP{m, k}, nil
}

// classMLP is an MLP conditioned on one class.
type classMLP struct {
	m *MLP
	k int
}

func (c classMLP) Dim() int               { return c.m.d }
func (c classMLP) Prediction() Prediction { return c.m.pred }
func (c classMLP) Predict(dst, x compute.Array, n int, at Time) error {
	return c.m.predictClass(dst, x, n, at, c.k)
}

// Guided is classifier-free guidance (Ho and Salimans 2022, eq. (6),
// with W = 1 + w: see the notes at the top of conditional.go): the model
// (1 - W) Uncond + W Cond, in Cond's parameterisation. W = 0 and W = 1
// evaluate one model; other weights evaluate both (two network passes per
// model evaluation, one NFE as Sample counts it).
type Guided struct {
	Cond, Uncond Model
	Weight       float64

	b      compute.Backend
	yc, yu compute.Array // n x d scratch, grown on demand
	conv   compute.Array // Uncond converted, when parameterisations differ
}

// NewGuided returns the guided model of cond and uncond (same dimension,
// both on b) with weight w (finite; W = 0 unconditional, 1 conditional).
func NewGuided(b compute.Backend, cond, uncond Model, w float64) (*Guided, error) {
	if b == nil || cond == nil || uncond == nil {
		return nil, inputErr("guided: backend and both models must be set")
	}
	if cond.Dim() != uncond.Dim() {
		return nil, inputErr("guided: conditional model of dimension %d, unconditional of %d", cond.Dim(), uncond.Dim())
	}
	if math.IsNaN(w) || math.IsInf(w, 0) {
		return nil, inputErr("guided: weight %v is not finite", w)
	}
	return &Guided{Cond: cond, Uncond: uncond, Weight: w, b: b}, nil
}

func (g *Guided) Dim() int               { return g.Cond.Dim() }
func (g *Guided) Prediction() Prediction { return g.Cond.Prediction() }

// Predict writes (1 - W) y_uncond + W y_cond into dst, y_uncond converted
// to the conditional model's parameterisation first.
func (g *Guided) Predict(dst, x compute.Array, n int, at Time) error {
	d := g.Dim()
	if err := checkBatch("guided", dst, x, n, d); err != nil {
		return err
	}
	switch g.Weight {
	case 1:
		return g.Cond.Predict(dst, x, n, at)
	case 0:
		if g.Uncond.Prediction() == g.Cond.Prediction() {
			return g.Uncond.Predict(dst, x, n, at)
		}
	}
	if g.yc == nil || g.yc.Len() != n*d {
		g.free()
		var err error
		if g.yc, err = g.b.Alloc(n * d); err == nil {
			if g.yu, err = g.b.Alloc(n * d); err == nil {
				g.conv, err = g.b.Alloc(n * d)
			}
		}
		if err != nil {
			g.free()
			return err
		}
	}
	if err := g.Cond.Predict(g.yc, x, n, at); err != nil {
		return err
	}
	if err := g.Uncond.Predict(g.yu, x, n, at); err != nil {
		return err
	}
	yu := g.yu
	if g.Uncond.Prediction() != g.Cond.Prediction() {
		if err := Convert(g.b, g.conv, x, g.yu, g.Uncond.Prediction(), g.Cond.Prediction(), at); err != nil {
			return err
		}
		yu = g.conv
	}
	return g.b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: yu, Y: g.yc, A: 1 - g.Weight, B: g.Weight})
}

func (g *Guided) free() {
	for _, a := range []*compute.Array{&g.yc, &g.yu, &g.conv} {
		if *a != nil {
			g.b.Free(*a)
			*a = nil
		}
	}
}

// Free releases the scratch arrays (not the two models).
func (g *Guided) Free() { g.free() }
