package play

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
)

// Classifier-free guidance on /diffusion (Ho and Salimans 2022,
// "Classifier-Free Diffusion Guidance", eq. (6); the conventions of
// package diffusion's conditional.go: W = 0 unconditional, 1 the class,
// > 1 guided).

// classPoints returns the points (n x 2) of data x whose label is k.
func classPoints(x []float64, labels []int, k int) ([]float64, int) {
	var out []float64
	for i, l := range labels {
		if l == k {
			out = append(out, x[2*i:2*i+2]...)
		}
	}
	return out, len(out) / 2
}

// guide replaces m.Model by diffusion.Guided of the class's model and the
// unconditional one with weight d.Guidance: for empirical the exact
// denoiser of the class's points, for gmm a mixture of min(K, n_k)
// components fitted to them (diffusion.FitTiedGMM), for mlp the trained
// class-conditional network's class view (MLP.Class). It returns the
// data's labels.
func (d Diffusion) guide(b compute.Backend, m *DiffusionModel) ([]int, error) {
	labels, err := d.Labels()
	if err != nil {
		return nil, err
	}
	if labels == nil {
		return nil, fmt.Errorf("class: the data %s has no labels (labelled sets: %s)", d.Data, joinChoices(LabelledSets))
	}
	cx, cn := classPoints(m.Data, labels, d.Class)
	if cn == 0 {
		return nil, fmt.Errorf("class = %d: the data %s (n = %d) has no point of class %d", d.Class, d.Data, d.N, d.Class)
	}
	var cond diffusion.Model
	condFree := func() {}
	switch d.Model {
	case "empirical":
		e, err := diffusion.NewEmpirical(b, cx, cn, 2, nil)
		if err != nil {
			return nil, fmt.Errorf("class model: %w", err)
		}
		cond, condFree = e, e.Free
	case "gmm":
		fit, err := diffusion.FitTiedGMM(cx, cn, 2, min(d.K, cn), d.Seed)
		if err != nil {
			return nil, fmt.Errorf("class mixture: %w", err)
		}
		g, err := diffusion.NewGMM(b, fit.Weights, fit.Means, fit.Stds(), 2)
		if err != nil {
			return nil, fmt.Errorf("class mixture: %w", err)
		}
		cond, condFree = g, g.Free
	case "rff":
		r, err := diffusion.NewRFFScoreModel(b, cx, cn, 2, d.features(), d.Seed)
		if err != nil {
			return nil, fmt.Errorf("class model: %w", err)
		}
		cond, condFree = r, r.Free
	case "mlp":
		mm, ok := m.Model.(*diffusion.MLP)
		if !ok {
			return nil, fmt.Errorf("class: the model is %T, not a network", m.Model)
		}
		if cond, err = mm.Class(d.Class); err != nil {
			return nil, fmt.Errorf("class: %w", err)
		}
	}
	g, err := diffusion.NewGuided(b, cond, m.Model, d.Guidance)
	if err != nil {
		condFree()
		return nil, err
	}
	free := m.free
	m.Model = g
	m.free = func() {
		g.Free()
		condFree()
		if free != nil {
			free()
		}
	}
	return labels, nil
}

// ClassReadout measures the fidelity-diversity trade-off of samples x
// (n x 2) of class k of labelled data (dataN x 2, labels): Accuracy is the
// share of samples whose nearest data point has label k (the nearest
// labelled point decides, so that rings and spirals, whose classes share
// a mean, are judged right); Spread is the samples' mean distance to
// their mean and ClassSpread the same of the class's data points.
func ClassReadout(x []float64, data []float64, labels []int, k int) (accuracy, spread, classSpread float64) {
	n := len(x) / 2
	if n == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	hits := 0
	for i := 0; i < n; i++ {
		best, bl := math.Inf(1), -1
		for j, l := range labels {
			dx, dy := x[2*i]-data[2*j], x[2*i+1]-data[2*j+1]
			if d2 := dx*dx + dy*dy; d2 < best {
				best, bl = d2, l
			}
		}
		if bl == k {
			hits++
		}
	}
	cx, _ := classPoints(data, labels, k)
	return float64(hits) / float64(n), meanSpread(x), meanSpread(cx)
}

// meanSpread is the mean distance of points (n x 2) to their mean (NaN
// for none).
func meanSpread(x []float64) float64 {
	n := len(x) / 2
	if n == 0 {
		return math.NaN()
	}
	var mx, my float64
	for i := 0; i < n; i++ {
		mx += x[2*i] / float64(n)
		my += x[2*i+1] / float64(n)
	}
	s := 0.0
	for i := 0; i < n; i++ {
		s += math.Hypot(x[2*i]-mx, x[2*i+1]-my) / float64(n)
	}
	return s
}

// ThresholdBound is dynamic thresholding's bound R of the page (as
// otplay sample's default): the data's largest |coordinate|.
func ThresholdBound(data []float64) float64 {
	r := math.SmallestNonzeroFloat64
	for _, v := range data {
		r = max(r, math.Abs(v))
	}
	return r
}
