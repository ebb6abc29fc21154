package patch

import (
	"fmt"
	"math"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/diffusion"
	"github.com/otplay/otplay/solvers/ot"
)

// GuidanceSettings configure a GuidedModel. The zero value of each field
// but the image shape means its documented default.
type GuidanceSettings struct {
	// Height, Width and Channels give the image shape of each point of
	// the sampler (Dim() = Height*Width*Channels, HWC).
	Height, Width, Channels int
	// Size and Stride of the patches (defaults 3 and 1).
	Size, Stride int
	// Mass in (0, 1] is the fraction of patch mass the partial plan moves
	// (default 0.8): the patches of x_t with no close counterpart among
	// the denoised patches are left out.
	Mass float64
	// Weight in [0, 1] blends the transported estimate into the model's:
	// D'(x) = (1 - Weight) D(x) + Weight Fold(T(patches of x/alpha))
	// (default 0.3).
	Weight float64
	// EpsScale sets eps = EpsScale x the spread 2 tr Cov of the denoised
	// patches of the batch at each call (default 0.05).
	EpsScale float64
	// MaxIter bounds the partial Sinkhorn iterations per call (default 100).
	MaxIter int
	// TMax: guidance applies only at times t <= TMax (default 1: always).
	TMax float64
}

func (s GuidanceSettings) withDefaults() (GuidanceSettings, error) {
	if s.Size == 0 {
		s.Size = 3
	}
	if s.Stride == 0 {
		s.Stride = 1
	}
	if s.Mass == 0 {
		s.Mass = 0.8
	}
	if s.Weight == 0 {
		s.Weight = 0.3
	}
	if s.EpsScale == 0 {
		s.EpsScale = 0.05
	}
	if s.MaxIter == 0 {
		s.MaxIter = 100
	}
	if s.TMax == 0 {
		s.TMax = 1
	}
	switch {
	case !(s.Mass > 0 && s.Mass <= 1):
		return s, settingsErr("guidance mass = %g outside (0, 1]", s.Mass)
	case !(s.Weight >= 0 && s.Weight <= 1):
		return s, settingsErr("guidance weight = %g outside [0, 1]", s.Weight)
	case !(s.EpsScale > 0) || math.IsInf(s.EpsScale, 0):
		return s, settingsErr("guidance eps scale = %g must be positive", s.EpsScale)
	case s.MaxIter < 1:
		return s, settingsErr("guidance max iterations = %d must be >= 1", s.MaxIter)
	case !(s.TMax > 0):
		return s, settingsErr("guidance TMax = %g must be positive", s.TMax)
	}
	return s, nil
}

// GuidedModel is patch-OT guidance of a diffusion model, in the spirit of
// SPOT (patch-level optimal transport guidance): at every evaluation the
// patches of the current state, brought to the data scale (x_t / alpha_t),
// are transported by entropic partial OT onto the patches of the model's
// denoised estimate D(x_t) pooled over the batch, folded back into images,
// and blended into the estimate. The transported image keeps the layout of
// x_t and takes its local structure from the patch vocabulary of the
// denoised batch; partial transport (Mass < 1) leaves out the patches of
// x_t that have no close counterpart, and there the model's own denoised
// patch stands (patch i of the estimate is rho_i T(z_i) + (1 - rho_i)
// D(x)_i, rho_i the fraction of z_i's mass the plan moves). It is a diffusion.Model (data
// prediction), so every sampler of package diffusion can use it, at the
// same number of model evaluations as the plain model. Effect on sample
// quality: see TestGuidedSamplingQuality.
type GuidedModel struct {
	inner  diffusion.Model
	s      GuidanceSettings
	grid   *Grid
	b      compute.Backend
	folder *Folder
	// Calls counts guided evaluations (t <= TMax) and LastIterations the
	// Sinkhorn iterations of the last one.
	Calls, LastIterations int
}

// NewGuidedModel wraps inner with patch-OT guidance.
func NewGuidedModel(b compute.Backend, inner diffusion.Model, s GuidanceSettings) (*GuidedModel, error) {
	if b == nil || inner == nil {
		return nil, settingsErr("backend and model must be set")
	}
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	g, err := NewGrid(s.Height, s.Width, s.Channels, s.Size, s.Stride)
	if err != nil {
		return nil, err
	}
	if g.Len() != inner.Dim() {
		return nil, fmt.Errorf("%w: images of %d x %d x %d = %d values, model dimension %d", ErrGeometry, s.Height, s.Width, s.Channels, g.Len(), inner.Dim())
	}
	return &GuidedModel{inner: inner, s: s, grid: g, b: b}, nil
}

// Dim is the inner model's dimension.
func (m *GuidedModel) Dim() int { return m.inner.Dim() }

// Prediction is always data prediction.
func (m *GuidedModel) Prediction() diffusion.Prediction { return diffusion.PredictData }

// Free releases the cached batch folder.
func (m *GuidedModel) Free() {
	if m.folder != nil {
		m.folder.Close()
		m.folder = nil
	}
}

// Predict writes the guided data prediction of the batch x (n images).
func (m *GuidedModel) Predict(dst, x compute.Array, n int, at diffusion.Time) error {
	b := m.b
	if err := diffusion.Denoise(b, m.inner, dst, x, n, at); err != nil {
		return err
	}
	if at.T > m.s.TMax || m.s.Weight == 0 || !(at.Alpha > 0) {
		return nil
	}
	if m.folder == nil || m.folder.Batch != n {
		m.Free()
		f, err := NewBatchFolder(b, m.grid, n)
		if err != nil {
			return err
		}
		m.folder = f
	}
	a := &arena{b: b}
	defer a.free()
	np, D := n*m.grid.Count(), m.grid.Dim()
	z, pz, pq := a.alloc(x.Len()), a.alloc(np*D), a.alloc(np*D)
	if a.err != nil {
		return a.err
	}
	a.do(b.Map(z, compute.MapArgs{Op: compute.OpAxpby, X: x, A: 1 / at.Alpha}))
	a.do(m.folder.Unfold(pz, z))
	a.do(m.folder.Unfold(pq, dst))
	hz, hq := a.read(pz), a.read(pq)
	if a.err != nil {
		return a.err
	}
	eps := m.s.EpsScale * meanCost(hq, hq, D)
	if !(eps > 0) {
		return nil // the denoised patches are all equal: nothing to transport toward
	}
	prob := ot.Problem{X: hz, Y: hq, N: np, M: np, D: D}
	res, err := ot.Partial(b, prob, ot.Settings{Eps: eps, Mass: m.s.Mass, MaxIter: m.s.MaxIter, Tol: 1e-4})
	if err != nil {
		return err
	}
	m.Calls++
	m.LastIterations = res.Iterations
	mapped, err := entropicMap(b, hz, prob, res, m.s.Mass < 1, hq)
	if err != nil {
		return err
	}
	ma, folded, out := a.upload(mapped), a.alloc(x.Len()), a.alloc(x.Len())
	if a.err != nil {
		return a.err
	}
	a.do(m.folder.Fold(folded, ma))
	a.do(b.Map(out, compute.MapArgs{Op: compute.OpAxpby, X: dst, Y: folded, A: 1 - m.s.Weight, B: m.s.Weight}))
	a.do(b.Copy(dst, out))
	return a.err
}
