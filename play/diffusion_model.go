package play

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sync"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/metrics"
	"github.com/otplay/otplay/solvers/nn"
)

// DiffusionModel is a denoiser on a backend with its data and schedule.
type DiffusionModel struct {
	Data  []float64 // N x 2, row-major
	N     int
	Sched diffusion.Schedule
	Model diffusion.Model
	// Train is the MLP's training (nil for the other models).
	Train *diffusion.TrainResult
	// GMM is the mixture fitted to the data (model gmm; nil otherwise).
	GMM *diffusion.TiedGMMFit
	// RFF is the rff model (nil for the others): its Unreliable count says
	// how often the Gaussian fallback score stood in.
	RFF  *diffusion.RFFScoreModel
	free func()
}

// Free releases the model's backend arrays.
func (m *DiffusionModel) Free() {
	if m.free != nil {
		m.free()
		m.free = nil
	}
}

// mlpCache keeps the last trained network (host weights), so that a
// Reset or a change of sampler does not train again.
var mlpCache struct {
	sync.Mutex
	key    string
	net    *nn.MLP
	result diffusion.TrainResult
}

// mlpKey identifies a training: the data (its values), the schedule, the
// training settings and the backend's kind (float32 and float64 training
// differ).
func (m ModelSpec) mlpKey(x []float64, b compute.Backend) string {
	h := fnv.New64a()
	var buf [8]byte
	for _, v := range x {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
		h.Write(buf[:])
	}
	return fmt.Sprintf("%x|%s|%d|%d|%s|%v", h.Sum64(), m.Schedule, m.Train, m.Seed, b.Info().Name, m.Conditional)
}

// Build makes the model on b: the empirical denoiser of the data
// (diffusion.NewEmpirical), a tied-std mixture fitted to it by EM
// (diffusion.FitTiedGMM, diffusion.NewGMM), or an MLP trained on it by
// diffusion.Train (progress is called at each loss readback; the last
// network is cached).
func (m ModelSpec) Build(b compute.Backend, progress func(step int, loss float64)) (*DiffusionModel, error) {
	x, n, err := m.Points()
	if err != nil {
		return nil, err
	}
	sched, err := diffusion.ParseSchedule(m.Schedule)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	s := &DiffusionModel{Data: x, N: n, Sched: sched}
	switch m.Model {
	case "empirical":
		e, err := diffusion.NewEmpirical(b, x, n, 2, nil)
		if err != nil {
			return nil, fmt.Errorf("empirical model: %w", err)
		}
		s.Model, s.free = e, e.Free
	case "gmm":
		fit, err := diffusion.FitTiedGMM(x, n, 2, m.K, m.Seed)
		if err != nil {
			return nil, err
		}
		g, err := diffusion.NewGMM(b, fit.Weights, fit.Means, fit.Stds(), 2)
		if err != nil {
			return nil, fmt.Errorf("gmm model: %w", err)
		}
		s.Model, s.free, s.GMM = g, g.Free, &fit
	case "mlp":
		key := m.mlpKey(x, b)
		mlpCache.Lock()
		defer mlpCache.Unlock()
		if mlpCache.key != key {
			set := m.TrainSettings()
			set.Progress = progress
			if m.Conditional {
				if set.Labels, err = m.Labels(); err != nil {
					return nil, err
				}
				if set.Labels == nil {
					return nil, fmt.Errorf("class: the data %s has no labels (labelled sets: %s)", m.Data, joinChoices(LabelledSets))
				}
			}
			net, res, err := diffusion.Train(b, sched, x, n, 2, set)
			if err != nil {
				return nil, fmt.Errorf("training: %w", err)
			}
			mlpCache.key, mlpCache.net, mlpCache.result = key, net, res
		}
		mm, err := diffusion.NewMLP(b, mlpCache.net)
		if err != nil {
			return nil, fmt.Errorf("mlp model: %w", err)
		}
		res := mlpCache.result
		s.Model, s.free, s.Train = mm, mm.Free, &res
	case "rff":
		r, err := diffusion.NewRFFScoreModel(b, x, n, 2, m.features(), m.Seed)
		if err != nil {
			return nil, fmt.Errorf("rff model: %w", err)
		}
		s.Model, s.free, s.RFF = r, r.Free, r
	default:
		return nil, fmt.Errorf("model = %q: want %s", m.Model, joinChoices(DiffusionModelNames))
	}
	return s, nil
}

// features is the rff model's D: Features, or 1024 (otplay sample's
// default) where it is 0.
func (m ModelSpec) features() int {
	if m.Features == 0 {
		return 1024
	}
	return m.Features
}

func joinChoices(v []string) string {
	out := ""
	for i, s := range v {
		switch {
		case i == 0:
		case i == len(v)-1:
			out += " or "
		default:
			out += ", "
		}
		out += s
	}
	return out
}

// QualityMMD scores samples against the first QualityPoints points of the
// data (n x 2) with metrics.MMDReference at the data's median bandwidth
// (fixed once, returned as h): the returned mmd uses the first
// QualityPoints rows of x and is NaN where either side has fewer than two
// points.
func QualityMMD(data []float64, n int) (mmd func(x []float64) float64, h float64) {
	qm := min(n, QualityPoints)
	qdata := data[:2*qm]
	h = metrics.MedianBandwidth(qdata, qdata, 2)
	ref, err := metrics.NewMMDReference(qdata, qm, 2, h)
	return func(x []float64) float64 {
		q := min(len(x)/2, QualityPoints)
		if err != nil || q < 2 {
			return math.NaN()
		}
		r, err := ref.MMD(x[:2*q], q)
		if err != nil {
			return math.NaN()
		}
		return r.MMD
	}, h
}

// FieldGridPoints are the centres of the arrow grid of the particle views
// (FieldGrid^2 points covering [-ParticleWindow, ParticleWindow]^2).
func FieldGridPoints() []float64 {
	g := FieldGrid
	step := 2 * ParticleWindow / float64(g)
	pts := make([]float64, 0, 2*g*g)
	for r := 0; r < g; r++ {
		for c := 0; c < g; c++ {
			pts = append(pts, -ParticleWindow+(float64(c)+0.5)*step, -ParticleWindow+(float64(r)+0.5)*step)
		}
	}
	return pts
}

// Field evaluates the field the view draws at time t on the arrow grid
// (FieldGridPoints): kind "score" is (α D(x) - x)/σ², "drift" the
// reverse-time probability-flow drift -dlogα/dt (x + score) (Song et al.
// 2021, eq. (13), with f = dlogα/dt and g² = -2 dlogα/dt for a VP
// schedule; time runs backwards so its sign flips). It returns the grid
// points and the vectors (host slices). This model evaluation is not
// counted in NFE.
func (m *DiffusionModel) Field(b compute.Backend, t float64, kind string) (pts, vec []float64, err error) {
	pts = FieldGridPoints()
	xa, err := b.Upload(pts)
	if err != nil {
		return nil, nil, err
	}
	defer b.Free(xa)
	da, err := b.Alloc(len(pts))
	if err != nil {
		return nil, nil, err
	}
	defer b.Free(da)
	at := diffusion.At(m.Sched, t)
	if err := diffusion.Denoise(b, m.Model, da, xa, len(pts)/2, at); err != nil {
		return nil, nil, err
	}
	den := make([]float64, len(pts))
	if err := b.Read(den, da); err != nil {
		return nil, nil, err
	}
	vec = make([]float64, len(pts))
	s2 := at.Sigma * at.Sigma
	dla := m.Sched.DLogAlpha(t)
	for i := range pts {
		score := (at.Alpha*den[i] - pts[i]) / s2
		if kind == "drift" {
			vec[i] = -dla * (pts[i] + score)
		} else {
			vec[i] = score
		}
	}
	return pts, vec, nil
}

// ArrowSegments draws vectors at points as arrows (a shaft and two head
// strokes, segments x0 y0 x1 y1). Lengths are to scale up to the 90th
// percentile of the magnitudes, which is drawn maxLen long; longer
// vectors are clipped to maxLen (a score grows linearly away from the
// data, and scaling by the largest vector would shrink the informative
// arrows near the data to dots).
func ArrowSegments(pts, vec []float64, maxLen float64) []float64 {
	var mags []float64
	for i := 0; i+1 < len(vec); i += 2 {
		if l := math.Hypot(vec[i], vec[i+1]); l > 0 && !math.IsInf(l, 0) && !math.IsNaN(l) {
			mags = append(mags, l)
		}
	}
	if len(mags) == 0 {
		return nil
	}
	slices.Sort(mags)
	top := mags[min(len(mags)-1, int(0.9*float64(len(mags))))]
	segs := make([]float64, 0, 6*len(pts))
	for i := 0; i+1 < len(pts); i += 2 {
		vx, vy := vec[i]/top*maxLen, vec[i+1]/top*maxLen
		if l := math.Hypot(vx, vy); l > maxLen {
			vx, vy = vx/l*maxLen, vy/l*maxLen
		}
		if math.IsNaN(vx) || math.IsNaN(vy) || math.Hypot(vx, vy) < 1e-3*maxLen {
			continue
		}
		x0, y0 := pts[i], pts[i+1]
		x1, y1 := x0+vx, y0+vy
		segs = append(segs, x0, y0, x1, y1)
		// Head: two strokes at ±25 degrees, a quarter of the length.
		for _, a := range []float64{0.44, -0.44} {
			c, s := math.Cos(a), math.Sin(a)
			hx, hy := -(vx*c-vy*s)/4, -(vx*s+vy*c)/4
			segs = append(segs, x1, y1, x1+hx, y1+hy)
		}
	}
	return segs
}
