package truncate

import (
	"math"
	"sort"

	"github.com/otplay/otplay/compute"
	"github.com/otplay/otplay/solvers/nn"
)

// outputInitScale shrinks the prior network's initial output layer so that
// f(z) = z + g(z) starts within about 1% of the identity (the Gaussian
// prior) instead of at a random map.
const outputInitScale = 0.01

// lossEvery is the interval of the recorded training losses.
const lossEvery = 50

// slicedLoss returns the sliced loss of a batch and its gradient factor.
// p and q are the projections (B x L, row-major) of the generated and the
// target batch on L directions. For each direction the monotone coupling
// pairs the k-th smallest p with the k-th smallest q (exact 1-D OT), so
//
//	loss = 1/(B L) sum_l sum_k (p_{(k) l} - q_{(k) l})^2 = mean_l W_2^2,
//	dloss/dp_il = 2/(B L) (p_il - q_{(rank_l(i)) l}),
//
// the gradient of Deshpande et al. 2018 (the coupling is locally constant,
// Danskin's theorem). r receives dloss/dp (B x L).
func slicedLoss(r, p, q []float64, B, L int) float64 {
	idx := make([]int, B)
	col := make([]float64, B)
	tq := make([]float64, B)
	loss := 0.0
	scale := 2 / float64(B*L)
	for l := 0; l < L; l++ {
		for i := 0; i < B; i++ {
			idx[i] = i
			col[i] = p[i*L+l]
			tq[i] = q[i*L+l]
		}
		sort.Slice(idx, func(a, b int) bool { return col[idx[a]] < col[idx[b]] })
		sort.Float64s(tq)
		for k, i := range idx {
			diff := col[i] - tq[k]
			loss += diff * diff
			r[i*L+l] = scale * diff
		}
	}
	return loss / float64(B*L)
}

// directions returns L unit vectors in dimension d from Philox normals of
// seed at counters off + [0, L d).
func directions(L, d int, seed, off uint64) []float64 {
	th := normals(L, d, seed, off)
	for l := 0; l < L; l++ {
		row := th[l*d : (l+1)*d]
		s := 0.0
		for _, v := range row {
			s += v * v
		}
		s = math.Sqrt(s)
		if s == 0 {
			row[0], s = 1, 1
		}
		for c := range row {
			row[c] /= s
		}
	}
	return th
}

// fitSliced trains the sliced prior. Each Adam step: a batch z of B
// normals (on the backend), f = z + g(z) (Net.Forward and a Map), L fresh
// directions, the projections f Theta^T (MatMul) read back (B L floats),
// the target batch projected on the host, the monotone couplings by
// sorting on the host (compute.Backend's SortRows returns no permutation,
// which the gradient needs), the gradient dloss/df = R Theta (MatMul on
// the backend), Net.Backward and Net.Step. The learning rate follows a
// cosine from SlicedLR to SlicedLR/10.
func (f *Fitted) fitSliced(data []float64, n int, s Settings) error {
	b, d := f.be, f.D
	B, L := s.SlicedBatch, s.SlicedProjections
	m, err := nn.New(nn.Config{In: d, Hidden: s.SlicedHidden, Out: d, Activation: nn.SiLU}, s.Seed)
	if err != nil {
		return err
	}
	last := &m.Layers[len(m.Layers)-1]
	for k := range last.W {
		last.W[k] *= outputInitScale
	}
	if f.net, err = nn.NewNet(b, m); err != nil {
		return err
	}
	var arrs []compute.Array
	alloc := func(k int) compute.Array {
		if err != nil {
			return nil
		}
		var a compute.Array
		a, err = b.Alloc(k)
		arrs = append(arrs, a)
		return a
	}
	defer func() {
		for _, a := range arrs {
			b.Free(a)
		}
	}()
	z, g, fz, dOut := alloc(B*d), alloc(B*d), alloc(B*d), alloc(B*d)
	thA, projA, rA := alloc(L*d), alloc(B*L), alloc(B*L)
	if err != nil {
		return err
	}
	proj := make([]float64, B*L)
	tproj := make([]float64, B*L)
	r := make([]float64, B*L)
	every := max(1, s.SlicedSteps/100) // Progress calls: at most ~100
	for step := 0; step < s.SlicedSteps; step++ {
		if err := b.Normal(z, s.Seed, streamSource+uint64(step*B*d)); err != nil {
			return err
		}
		if err := f.net.Forward(g, z, nil, B); err != nil {
			return err
		}
		if err := b.Map(fz, compute.MapArgs{Op: compute.OpAxpby, X: z, Y: g, A: 1, B: 1}); err != nil {
			return err
		}
		th := directions(L, d, s.Seed, streamDirs+uint64(step*L*d))
		if err := b.Write(thA, th); err != nil {
			return err
		}
		if err := b.MatMul(projA, fz, thA, B, d, L, false, true); err != nil {
			return err
		}
		if err := b.Read(proj, projA); err != nil {
			return err
		}
		y := targets(data, n, d, B, f.Time, s.Seed, uint64(step*B))
		for i := 0; i < B; i++ {
			for l := 0; l < L; l++ {
				v := 0.0
				for c := 0; c < d; c++ {
					v += y[i*d+c] * th[l*d+c]
				}
				tproj[i*L+l] = v
			}
		}
		loss := slicedLoss(r, proj, tproj, B, L)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return badInput("sliced prior training diverged at step %d (loss %v); lower SlicedLR", step, loss)
		}
		if step%lossEvery == 0 || step == s.SlicedSteps-1 {
			f.Losses = append(f.Losses, loss)
		}
		if err := b.Write(rA, r); err != nil {
			return err
		}
		if err := b.MatMul(dOut, rA, thA, B, L, d, false, false); err != nil {
			return err
		}
		if err := f.net.Backward(dOut); err != nil {
			return err
		}
		frac := float64(step) / float64(max(1, s.SlicedSteps-1))
		lr := s.SlicedLR * (0.1 + 0.9*0.5*(1+math.Cos(math.Pi*frac)))
		if err := f.net.Step(nn.Adam{LR: s.SlicedLR}, lr); err != nil {
			return err
		}
		if s.Progress != nil && ((step+1)%every == 0 || step == s.SlicedSteps-1) {
			s.Progress(PhaseSliced, step+1, s.SlicedSteps)
		}
	}
	return nil
}
