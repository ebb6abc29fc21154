package patch

import (
	"fmt"
	"math"
	"time"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/imageio"
	"github.com/otplay/otplay/solvers/kernel"
	"github.com/otplay/otplay/solvers/ot"
)

// Settings tunes Transfer (patch OT between two images). The zero value
// means the documented defaults, set in (Settings).withDefaults.
type Settings struct {
	// Size and Stride are the patch side and the step between patch
	// origins (defaults 8 and 4; Size at most MaxSize = 16, Stride at most
	// Size).
	Size, Stride int
	// Eps is the entropic regularisation in units of the patch cost
	// |p - q|^2 (summed over the Size*Size*3 values). 0 means
	// DefaultPatchEpsScale times the spread of the target patches at each
	// level, mean_jj' |q_j - q_j'|^2 = 2 tr Cov(q) (the level's eps is in
	// Result.Levels).
	Eps float64
	// Mass in (0, 1) transports only that fraction of the patch mass
	// (entropic partial OT); the source patches the plan leaves alone keep
	// their content. 0 or 1 means balanced.
	Mass float64
	// Levels is the number of scales, coarse to fine, each half the size
	// of the next (0 means as many as keep the coarsest image's smaller
	// side >= max(4 Size, 32), at most DefaultMaxLevels; 1 means a single
	// scale).
	Levels int
	// MaxPatches bounds the number of patches of each image that enter
	// the plan at each level (default DefaultMaxPatches); larger sets are
	// subsampled uniformly and every source patch is then mapped by the
	// entropic map of the plan.
	MaxPatches int
	// ProjectDim is the dimension in which patch costs are computed: when
	// below Size*Size*3 the patches are projected on their ProjectDim
	// leading principal components (PCA of both sets pooled). 0 means
	// min(Size*Size*3, DefaultProjectDim); at most MaxProjectDim.
	ProjectDim int
	// MaxIter and Tol are passed to the entropic solver (defaults
	// DefaultPatchMaxIter and DefaultColorTol).
	MaxIter int
	Tol     float64
	// Tier, when set, solves each level's plan with solvers/kernel instead
	// of solvers/ot: "auto" (kernel.Choose decides from the patch counts
	// and eps), "full", "rff" or "nystrom" (balanced only). Empty means
	// solvers/ot's Sinkhorn with eps-scaling (or Partial).
	Tier string
	// Seed seeds the subsampling.
	Seed uint64
}

// Defaults and limits of Settings.
const (
	DefaultSize   = 8
	DefaultStride = 4
	// DefaultPatchEpsScale: eps = 0.03 x the target patches' spread puts
	// the entropic blur well below the size of the patch cloud, so the
	// barycentric map averages only similar target patches. Relative to
	// the target, not to the source-target cost, so that a finer level,
	// whose source the coarser level already moved close to the target,
	// keeps a comparable eps (and Sinkhorn converges in a few hundred
	// iterations).
	DefaultPatchEpsScale = 0.03
	// DefaultMaxLevels: three scales (1, 1/2, 1/4).
	DefaultMaxLevels = 3
	// DefaultMaxPatches: a 4096 x 4096 plan per level.
	DefaultMaxPatches = 4096
	// MaxProjectDim is the largest cost dimension: the Backend's SoftMin
	// accepts at most compute.MaxDim = 256 dimensions, and solvers/ot's
	// cost summary needs one more value column (256 = MaxValueDim).
	MaxProjectDim = compute.MaxDim - 1
	// DefaultProjectDim: 64 principal components keep about 99% of the
	// variance of 8 x 8 and 16 x 16 colour patches of the shipped
	// photographs (Result.Levels[].Explained reports it per run), and the
	// cost of every pair is 3x to 12x cheaper than in 192 or 768
	// dimensions.
	DefaultProjectDim = 64
	// DefaultPatchMaxIter bounds Sinkhorn per level.
	DefaultPatchMaxIter = 300
)

func (s Settings) withDefaults() (Settings, error) {
	if s.Size == 0 {
		s.Size = DefaultSize
	}
	if s.Stride == 0 {
		s.Stride = min(DefaultStride, s.Size)
	}
	if s.MaxPatches == 0 {
		s.MaxPatches = DefaultMaxPatches
	}
	dim := s.Size * s.Size * imageio.Channels
	if s.ProjectDim == 0 {
		s.ProjectDim = min(dim, DefaultProjectDim)
	}
	if s.MaxIter == 0 {
		s.MaxIter = DefaultPatchMaxIter
	}
	if s.Tol == 0 {
		s.Tol = DefaultColorTol
	}
	if s.Mass == 1 {
		s.Mass = 0
	}
	switch {
	case s.Size < 1 || s.Size > MaxSize:
		return s, fmt.Errorf("%w: patch size %d outside [1, %d]", ErrGeometry, s.Size, MaxSize)
	case s.Stride < 1 || s.Stride > s.Size:
		return s, fmt.Errorf("%w: stride %d outside [1, patch size %d]", ErrGeometry, s.Stride, s.Size)
	case math.IsNaN(s.Eps) || s.Eps < 0 || math.IsInf(s.Eps, 0):
		return s, settingsErr("eps = %g must be positive and finite (or 0 for the default)", s.Eps)
	case math.IsNaN(s.Mass) || s.Mass < 0 || s.Mass > 1:
		return s, settingsErr("mass = %g outside (0, 1]", s.Mass)
	case s.Levels < 0:
		return s, settingsErr("levels = %d must be >= 0", s.Levels)
	case s.MaxPatches < 2:
		return s, settingsErr("max patches = %d must be >= 2", s.MaxPatches)
	case s.ProjectDim < 1 || s.ProjectDim > min(dim, MaxProjectDim):
		return s, settingsErr("project dim = %d outside [1, min(%d, %d)]", s.ProjectDim, dim, MaxProjectDim)
	case s.MaxIter < 0:
		return s, settingsErr("max iterations = %d must be >= 0", s.MaxIter)
	case s.Tier != "" && s.Mass > 0:
		return s, settingsErr("tier %q with mass = %g: the kernel tiers are balanced only", s.Tier, s.Mass)
	}
	if s.Tier != "" {
		if _, err := kernel.ParseTier(s.Tier); err != nil || s.Tier == "grid" {
			return s, settingsErr("tier %q: want auto, full, rff or nystrom", s.Tier)
		}
	}
	return s, nil
}

// LevelResult reports one scale of Transfer.
type LevelResult struct {
	Width  int `json:"width"` // source size at this level
	Height int `json:"height"`
	// SourcePatches and TargetPatches count the patches of each image;
	// PlanSource and PlanTarget those that entered the plan.
	SourcePatches int           `json:"source_patches"`
	TargetPatches int           `json:"target_patches"`
	PlanSource    int           `json:"plan_source"`
	PlanTarget    int           `json:"plan_target"`
	Dim           int           `json:"dim"`       // cost dimension (after projection)
	Explained     float64       `json:"explained"` // fraction of the patch variance kept by the projection (1 without)
	Tier          string        `json:"tier"`      // the solver used, and for kernel tiers why
	Eps           float64       `json:"eps"`
	MeanCost      float64       `json:"mean_cost"` // mean |p - q|^2 between the two patch sets
	Cost          float64       `json:"cost"`      // <P, C> of the plan
	Iterations    int           `json:"iterations"`
	Converged     bool          `json:"converged"`
	MarginalError float64       `json:"marginal_error"`
	Time          time.Duration `json:"time_ns"`
}

// Result reports Transfer.
type Result struct {
	Levels []LevelResult // coarse to fine
	// Cost, SourcePatches, TargetPatches: those of the finest level.
	Cost                         float64
	SourcePatches, TargetPatches int
	Backend                      string
	Time                         time.Duration
}

// Transfer transports the patches of src onto those of tgt and returns the
// reassembled image (src's size; see the package doc for the algorithm).
func Transfer(b compute.Backend, src, tgt *imageio.Image, s Settings) (*imageio.Image, *Result, error) {
	start := time.Now()
	if b == nil {
		return nil, nil, settingsErr("backend is nil")
	}
	if err := src.Validate("source image"); err != nil {
		return nil, nil, err
	}
	if err := tgt.Validate("target image"); err != nil {
		return nil, nil, err
	}
	s, err := s.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	for _, im := range []struct {
		name string
		img  *imageio.Image
	}{{"source", src}, {"target", tgt}} {
		if s.Size > im.img.Width || s.Size > im.img.Height {
			return nil, nil, fmt.Errorf("%w: patch size %d larger than the %s image (%d x %d)", ErrGeometry, s.Size, im.name, im.img.Width, im.img.Height)
		}
	}
	levels := s.Levels
	if levels == 0 {
		floor := max(4*s.Size, 32)
		for levels = 1; levels < DefaultMaxLevels; levels++ {
			f := 1 << levels
			if min(src.Width, src.Height, tgt.Width, tgt.Height)/f < floor {
				break
			}
		}
	}
	res := &Result{Backend: b.Info().Name}
	var prevSrc, prevOut *imageio.Image
	for l := levels - 1; l >= 0; l-- {
		srcL, err := scaled(src, l)
		if err != nil {
			return nil, nil, err
		}
		tgtL, err := scaled(tgt, l)
		if err != nil {
			return nil, nil, err
		}
		if s.Size > min(srcL.Width, srcL.Height, tgtL.Width, tgtL.Height) {
			return nil, nil, fmt.Errorf("%w: patch size %d larger than level %d (source %d x %d, target %d x %d): lower Levels",
				ErrGeometry, s.Size, l, srcL.Width, srcL.Height, tgtL.Width, tgtL.Height)
		}
		cur := srcL
		if prevOut != nil {
			// Carry the coarse level's change (out - src), upsampled, onto
			// this level's source: a Laplacian-pyramid transfer that keeps
			// the source's fine detail.
			cur, err = addUpsampledChange(srcL, prevSrc, prevOut)
			if err != nil {
				return nil, nil, err
			}
		}
		out, lr, err := transferLevel(b, cur, tgtL, s, uint64(l), nil)
		if err != nil {
			return nil, nil, fmt.Errorf("level %d (%d x %d): %w", l, srcL.Width, srcL.Height, err)
		}
		res.Levels = append(res.Levels, *lr)
		prevSrc, prevOut = srcL, out
	}
	fin := res.Levels[len(res.Levels)-1]
	res.Cost, res.SourcePatches, res.TargetPatches = fin.Cost, fin.SourcePatches, fin.TargetPatches
	for i, v := range prevOut.Pix {
		prevOut.Pix[i] = min(max(v, 0), 1)
	}
	res.Time = time.Since(start)
	return prevOut, res, nil
}

// scaled returns img shrunk by 2^l (rounded sizes), img itself for l = 0.
func scaled(img *imageio.Image, l int) (*imageio.Image, error) {
	if l == 0 {
		return img, nil
	}
	f := float64(int(1) << l)
	return imageio.Resize(img, max(1, int(math.Round(float64(img.Width)/f))), max(1, int(math.Round(float64(img.Height)/f))))
}

// addUpsampledChange returns src + Resize(out - prev) to src's size.
func addUpsampledChange(src, prev, out *imageio.Image) (*imageio.Image, error) {
	diff := prev.Clone()
	for i := range diff.Pix {
		diff.Pix[i] = out.Pix[i] - prev.Pix[i]
	}
	up, err := imageio.Resize(diff, src.Width, src.Height)
	if err != nil {
		return nil, err
	}
	for i := range up.Pix {
		up.Pix[i] += src.Pix[i]
	}
	return up, nil
}

// transferLevel runs patch OT at one scale: unfold both images, project
// the patches (PCA) if needed, solve the plan on at most MaxPatches
// patches of each, map every source patch by the entropic map (values in
// full patch dimension), fold.
func transferLevel(b compute.Backend, cur, tgt *imageio.Image, s Settings, level uint64, trace *levelTrace) (*imageio.Image, *LevelResult, error) {
	start := time.Now()
	gs, err := NewGrid(cur.Height, cur.Width, imageio.Channels, s.Size, s.Stride)
	if err != nil {
		return nil, nil, err
	}
	gt, err := NewGrid(tgt.Height, tgt.Width, imageio.Channels, s.Size, s.Stride)
	if err != nil {
		return nil, nil, err
	}
	fs, err := NewFolder(b, gs)
	if err != nil {
		return nil, nil, err
	}
	defer fs.Close()
	ft, err := NewFolder(b, gt)
	if err != nil {
		return nil, nil, err
	}
	defer ft.Close()
	a := &arena{b: b}
	defer a.free()
	D, ns, nt := gs.Dim(), gs.Count(), gt.Count()
	ks, kt := min(ns, s.MaxPatches), min(nt, s.MaxPatches)
	xf, yf := a.alloc(ns*D), a.alloc(nt*D) // all patches, full dimension
	ci, ti := a.upload(cur.Pix), a.upload(tgt.Pix)
	if a.err != nil {
		return nil, nil, a.err
	}
	a.do(fs.Unfold(xf, ci))
	a.do(ft.Unfold(yf, ti))
	// Plan subsets, full dimension.
	xsf, ysf := gatherRows(a, xf, ns, D, ks, s.Seed, 2*level), gatherRows(a, yf, nt, D, kt, s.Seed, 2*level+1)
	// Cost space: PCA projection or the patches themselves.
	dp := s.ProjectDim
	lr := &LevelResult{Width: cur.Width, Height: cur.Height, SourcePatches: ns, TargetPatches: nt,
		PlanSource: ks, PlanTarget: kt, Dim: dp, Explained: 1}
	xp, xsp, ysp := xf, xsf, ysf
	if dp < D {
		proj, explained, err := newProjection(a, xsf, ks, ysf, kt, D, dp)
		if err != nil {
			return nil, nil, err
		}
		lr.Explained = explained
		xp, xsp, ysp = proj.apply(a, xf, ns), proj.apply(a, xsf, ks), proj.apply(a, ysf, kt)
	}
	xh, yh := a.read(xsp), a.read(ysp)
	if a.err != nil {
		return nil, nil, a.err
	}
	lr.MeanCost = meanCost(xh, yh, dp)
	lr.Eps = s.Eps
	if lr.Eps == 0 {
		lr.Eps = DefaultPatchEpsScale * meanCost(yh, yh, dp)
		if !(lr.Eps > 0) {
			lr.Eps = 1e-6 // identical constant images: any eps gives the identity
		}
	}
	plan, err := solvePlan(b, ot.Problem{X: xh, Y: yh, N: ks, M: kt, D: dp}, s, lr)
	if err != nil {
		return nil, nil, err
	}
	// Entropic map of every source patch: weights from the cost space,
	// values the full target patches.
	lb := a.upload(logWeights(nil, kt))
	g := a.upload(plan.G)
	mapped := a.alloc(ns * D)
	if a.err != nil {
		return nil, nil, a.err
	}
	pairs := compute.Pairs{X: xp, Y: ysp, N: ns, M: kt, D: dp, LogW: lb, G: g, Eps: lr.Eps}
	a.do(softMeanWide(a, mapped, pairs, ysf, D))
	if s.Mass > 0 {
		mapped = partialBlend(a, mapped, xf, xp, xsp, pairs, plan, ns, ks, D, dp)
	}
	out := a.alloc(gs.Len())
	if a.err != nil {
		return nil, nil, a.err
	}
	if trace != nil {
		trace.prob = ot.Problem{X: xh, Y: yh, N: ks, M: kt, D: dp}
		trace.plan, trace.mapped, trace.target = plan, a.read(mapped), a.read(ysf)
	}
	a.do(fs.Fold(out, mapped))
	pix := a.read(out)
	if a.err != nil {
		return nil, nil, a.err
	}
	lr.Time = time.Since(start)
	return &imageio.Image{Width: cur.Width, Height: cur.Height, Pix: pix}, lr, nil
}

// solvePlan solves the plan between the patch subsets: solvers/ot's
// Sinkhorn with eps-scaling (or Partial with s.Mass) by default, or
// solvers/kernel's tiers when s.Tier is set (balanced only). It fills the
// solver fields of lr and returns the potentials in ot's convention.
func solvePlan(b compute.Backend, p ot.Problem, s Settings, lr *LevelResult) (*ot.Result, error) {
	if s.Tier != "" {
		tier, err := kernel.ParseTier(s.Tier)
		if err != nil {
			return nil, settingsErr("%v", err)
		}
		kr, err := kernel.Solve(b, kernel.Problem{X: p.X, Y: p.Y, N: p.N, M: p.M, D: p.D, Eps: lr.Eps},
			kernel.Settings{Tier: tier, MaxIter: s.MaxIter, Tol: s.Tol, Seed: s.Seed})
		if err != nil {
			return nil, err
		}
		lr.Cost, lr.Iterations, lr.Converged, lr.MarginalError = kr.Cost, kr.Iterations, kr.Converged, kr.MarginalError
		lr.Tier = kr.Tier.String() + ": " + kr.Reason
		return &ot.Result{F: kr.F, G: kr.G, Eps: lr.Eps}, nil
	}
	set := ot.Settings{Eps: lr.Eps, MaxIter: s.MaxIter, Tol: s.Tol}
	var plan *ot.Result
	var err error
	if s.Mass > 0 {
		set.Mass = s.Mass
		plan, err = ot.Partial(b, p, set)
		lr.Tier = "ot partial"
	} else {
		set.Scaling = 0.5
		plan, err = ot.Sinkhorn(b, p, set)
		lr.Tier = "ot sinkhorn"
	}
	if err != nil {
		return nil, err
	}
	lr.Cost, lr.Iterations, lr.Converged, lr.MarginalError = plan.Cost, plan.Iterations, plan.Converged, plan.MarginalError
	return plan, nil
}

// levelTrace records a level's plan problem and outputs for tests.
type levelTrace struct {
	prob   ot.Problem // the plan's point sets (projected)
	plan   *ot.Result
	mapped []float64 // every source patch after the map, full dimension
	target []float64 // the plan's target patches, full dimension
}

// partialBlend returns x + rho (mapped - x) row by row, where rho is the
// fraction of each source patch's mass the partial plan moves, known on
// the plan's subset (rho_i = exp((F_i - h_i)/eps)) and extended to every
// patch by kernel regression in the cost space, as in entropicMap.
func partialBlend(a *arena, mapped, xf, xp, xsp compute.Array, pairs compute.Pairs, plan *ot.Result, ns, ks, D, dp int) compute.Array {
	b := a.b
	sub := pairs
	sub.X, sub.N = xsp, ks
	h := a.alloc(ks)
	if a.err != nil {
		return nil
	}
	a.do(b.SoftMin(h, sub))
	hv := a.read(h)
	if a.err != nil {
		return nil
	}
	rho := make([]float64, ks)
	for i := range rho {
		rho[i] = min(math.Exp((plan.F[i]-hv[i])/plan.Eps), 1)
	}
	ra, la, rq := a.upload(rho), a.upload(logWeights(nil, ks)), a.alloc(ns)
	diff, out := a.alloc(ns*D), a.alloc(ns*D)
	if a.err != nil {
		return nil
	}
	a.do(b.SoftMean(rq, compute.Pairs{X: xp, Y: xsp, N: ns, M: ks, D: dp, LogW: la, Eps: plan.Eps}, ra, 1))
	a.do(b.Map(diff, compute.MapArgs{Op: compute.OpAxpby, X: mapped, Y: xf, A: 1, B: -1}))
	a.do(b.Map(out, compute.MapArgs{Op: compute.OpMul, X: diff, Y: rq, YDiv: D, A: 1}))
	a.do(b.Map(diff, compute.MapArgs{Op: compute.OpAxpby, X: out, Y: xf, A: 1, B: 1}))
	return diff
}

// meanCost returns mean_ij |x_i - y_j|^2 = E|x|^2 + E|y|^2 - 2 E x . E y.
func meanCost(x, y []float64, d int) float64 {
	mx, my := make([]float64, d), make([]float64, d)
	var sx, sy float64
	for i, v := range x {
		mx[i%d] += v
		sx += v * v
	}
	for i, v := range y {
		my[i%d] += v
		sy += v * v
	}
	n, m := float64(len(x)/d), float64(len(y)/d)
	c := sx/n + sy/m
	for k := range mx {
		c -= 2 * mx[k] / n * my[k] / m
	}
	return max(c, 0)
}

// gatherRows returns k of the n rows (d values each) of x, drawn
// uniformly without replacement (all of them, in order, when k = n),
// gathered on the Backend with one GatherSum (k = 1).
func gatherRows(a *arena, x compute.Array, n, d, k int, seed, stream uint64) compute.Array {
	if k >= n {
		return x
	}
	rows := sampleIndices(n, k, seed, stream)
	idx := make([]float64, k*d)
	for i, r := range rows {
		for e := 0; e < d; e++ {
			idx[i*d+e] = float64(r*d + e)
		}
	}
	ia, dst := a.upload(idx), a.alloc(k*d)
	if a.err != nil {
		return nil
	}
	a.do(a.b.GatherSum(dst, x, ia, 1))
	return dst
}

// sampleIndices returns k distinct indices of [0, n), uniformly (partial
// Fisher-Yates on the Philox stream of seed, counters from stream<<40).
func sampleIndices(n, k int, seed, stream uint64) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := 0; i < k; i++ {
		j := min(i+int(compute.UniformAt(seed, stream<<40+uint64(i))*float64(n-i)), n-1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm[:k]
}

// softMeanWide is SoftMean with values of any width dv: the values are
// split into column blocks of at most compute.MaxValueDim (gathered on
// the Backend), each block reduced by one SoftMean and gathered back into
// place (-1 padding elsewhere) and summed.
func softMeanWide(a *arena, dst compute.Array, p compute.Pairs, v compute.Array, dv int) error {
	b := a.b
	if dv <= compute.MaxValueDim {
		return b.SoftMean(dst, p, v, dv)
	}
	acc, tmp := a.alloc(p.N*dv), a.alloc(p.N*dv)
	if a.err != nil {
		return a.err
	}
	for c0 := 0; c0 < dv; c0 += compute.MaxValueDim {
		w := min(compute.MaxValueDim, dv-c0)
		in := make([]float64, p.M*w)
		for j := 0; j < p.M; j++ {
			for e := 0; e < w; e++ {
				in[j*w+e] = float64(j*dv + c0 + e)
			}
		}
		back := make([]float64, p.N*dv)
		for i := 0; i < p.N; i++ {
			for e := 0; e < dv; e++ {
				back[i*dv+e] = -1
				if e >= c0 && e < c0+w {
					back[i*dv+e] = float64(i*w + e - c0)
				}
			}
		}
		ia, vb, mb, ba := a.upload(in), a.alloc(p.M*w), a.alloc(p.N*w), a.upload(back)
		if a.err != nil {
			return a.err
		}
		a.do(b.GatherSum(vb, v, ia, 1))
		a.do(b.SoftMean(mb, p, vb, w))
		a.do(b.GatherSum(tmp, mb, ba, 1))
		a.do(b.Map(dst, compute.MapArgs{Op: compute.OpAxpby, X: acc, Y: tmp, A: 1, B: 1}))
		a.do(b.Copy(acc, dst))
	}
	return a.err
}
