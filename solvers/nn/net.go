package nn

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// Net is an MLP resident on a Backend, with a forward pass, a backward
// pass written out layer by layer, and the Adam optimiser, all in
// MatMul and Map ops of compute.Backend. No op writes to an array it
// reads (WebGPU cannot bind one buffer as input and output of a dispatch).
//
// Layer l computes z_l = a_{l-1} W_l + b_l and a_l = act(z_l) (the last
// layer is linear). The first layer's weight is split into W_x (In rows)
// and W_c (Cond rows), so the input and the conditioning vector need no
// concatenation: z_0 = x W_x + c W_c + b_0; a conditioning vector shared
// by every row folds into the bias (c W_c + b_0, one 1-row MatMul).
//
// Memory: a batch of n rows keeps about 6 n sum(Hidden) floats (8 with
// gradients), e.g. 90 MB of float64 for n = 10^4 and three layers of 128.
type Net struct {
	b      compute.Backend
	cfg    Config
	widths []int
	w      []compute.Array // w[0] = W_x; w[l] = W_l
	wc     compute.Array   // W_c (Cond x H0) or nil
	bias   []compute.Array

	// batch state of the last Forward
	n      int
	x      compute.Array
	cond   compute.Array
	shared bool
	hid    []*hidden
	outMM  compute.Array // n x Out
	ones   compute.Array // n ones (column sums by MatMul)
	mc     compute.Array // n x H0: c W_c
	sum    compute.Array // n x H0: x W_x + c W_c
	beff   compute.Array // 1 x H0: c W_c
	beff2  compute.Array // 1 x H0: c W_c + b_0
	all    []compute.Array

	grads []compute.Array // same order as params()
	dOutT compute.Array
	gtmp  compute.Array // Cond x H0 scratch for shared-cond gradient
	adam  *adamState

	ema, emaScratch []compute.Array // moving average of params()
}

// hidden holds the buffers of one hidden layer for a batch.
type hidden struct {
	mm, z, a, s, t1, t2 compute.Array
	da, dz              compute.Array // allocated by Backward
}

// NewNet uploads m to b.
func NewNet(b compute.Backend, m *MLP) (*Net, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	nt := &Net{b: b, cfg: m.Config, widths: m.widths()}
	up := func(v []float64) (compute.Array, error) { return b.Upload(v) }
	for l, L := range m.Layers {
		W := L.W
		if l == 0 && m.Cond > 0 {
			W = L.W[:m.In*L.Out]
			wc, err := up(L.W[m.In*L.Out:])
			if err != nil {
				nt.Free()
				return nil, err
			}
			nt.wc = wc
		}
		w, err := up(W)
		if err != nil {
			nt.Free()
			return nil, err
		}
		nt.w = append(nt.w, w)
		bb, err := up(L.B)
		if err != nil {
			nt.Free()
			return nil, err
		}
		nt.bias = append(nt.bias, bb)
	}
	return nt, nil
}

// Config returns the network's shape.
func (nt *Net) Config() Config { return nt.cfg }

// MLP reads the weights back into a host MLP (with no embedding or meta).
func (nt *Net) MLP() (*MLP, error) {
	m := &MLP{Config: nt.cfg}
	for l := range nt.w {
		in, out := nt.widths[l], nt.widths[l+1]
		L := Layer{In: in, Out: out, W: make([]float64, in*out), B: make([]float64, out)}
		if l == 0 && nt.wc != nil {
			if err := nt.b.Read(L.W[:nt.cfg.In*out], nt.w[0]); err != nil {
				return nil, err
			}
			if err := nt.b.Read(L.W[nt.cfg.In*out:], nt.wc); err != nil {
				return nil, err
			}
		} else if err := nt.b.Read(L.W, nt.w[l]); err != nil {
			return nil, err
		}
		if err := nt.b.Read(L.B, nt.bias[l]); err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, L)
	}
	return m, nil
}

// params lists the parameter arrays: W_x (or W_0), [W_c], b_0, W_1, b_1, ...
func (nt *Net) params() []*compute.Array {
	var p []*compute.Array
	for l := range nt.w {
		p = append(p, &nt.w[l])
		if l == 0 && nt.wc != nil {
			p = append(p, &nt.wc)
		}
		p = append(p, &nt.bias[l])
	}
	return p
}

func (nt *Net) freeBatch() {
	for _, a := range nt.all {
		nt.b.Free(a)
	}
	nt.all, nt.hid = nil, nil
	nt.outMM, nt.ones, nt.mc, nt.sum, nt.beff, nt.beff2, nt.dOutT, nt.gtmp = nil, nil, nil, nil, nil, nil, nil, nil
	nt.n = 0
}

// Free releases every backend array.
func (nt *Net) Free() {
	nt.freeBatch()
	for _, p := range nt.params() {
		nt.b.Free(*p)
	}
	for _, g := range nt.grads {
		nt.b.Free(g)
	}
	if nt.adam != nil {
		nt.adam.free(nt.b)
	}
	nt.freeEMA()
	nt.w, nt.bias, nt.wc, nt.adam, nt.grads = nil, nil, nil, nil, nil
}

// batchAlloc allocates an array owned by the batch state.
func (nt *Net) batchAlloc(k int) (compute.Array, error) {
	a, err := nt.b.Alloc(k)
	if err != nil {
		return nil, err
	}
	nt.all = append(nt.all, a)
	return a, nil
}

// ensure allocates the buffers of a batch of n rows.
func (nt *Net) ensure(n int) error {
	if nt.n == n {
		return nil
	}
	nt.freeBatch()
	err := func() error {
		var err error
		for _, h := range nt.cfg.Hidden {
			hb := &hidden{}
			for _, p := range []*compute.Array{&hb.mm, &hb.z, &hb.a, &hb.s, &hb.t1, &hb.t2} {
				if *p, err = nt.batchAlloc(n * h); err != nil {
					return err
				}
			}
			nt.hid = append(nt.hid, hb)
		}
		if nt.outMM, err = nt.batchAlloc(n * nt.cfg.Out); err != nil {
			return err
		}
		ones := make([]float64, n)
		for i := range ones {
			ones[i] = 1
		}
		if nt.ones, err = nt.b.Upload(ones); err != nil {
			return err
		}
		nt.all = append(nt.all, nt.ones)
		if nt.cfg.Cond > 0 {
			h0 := nt.widths[1]
			for _, p := range []*compute.Array{&nt.mc, &nt.sum} {
				if *p, err = nt.batchAlloc(n * h0); err != nil {
					return err
				}
			}
			for _, p := range []*compute.Array{&nt.beff, &nt.beff2} {
				if *p, err = nt.batchAlloc(h0); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if err != nil {
		nt.freeBatch()
		return err
	}
	nt.n = n
	return nil
}

// Forward computes the network's output for n rows of x (n x In) into
// dst (n x Out, not x). cond holds n x Cond values (one row per point),
// or Cond values shared by every row, or is nil when Cond = 0. The
// activations stay in the Net for Backward.
//
// Layer l: z_l = a_{l-1} W_l + b_l, a_l = act(z_l), with ReLU = max(z, 0)
// and SiLU = z s, s = sigmoid(z) = exp(-log(1 + exp(-z))) (three maps that
// saturate to 0 or 1 without overflow trouble: exp(-z) = +Inf gives s = 0).
func (nt *Net) Forward(dst, x, cond compute.Array, n int) error {
	c := nt.cfg
	switch {
	case n < 1:
		return modelErr("forward: n = %d rows", n)
	case x == nil || x.Len() != n*c.In:
		return modelErr("forward: x has %d elements, want n*in = %d*%d", lenOf(x), n, c.In)
	case dst == nil || dst.Len() != n*c.Out || dst == x:
		return modelErr("forward: dst has %d elements, want n*out = %d*%d (and distinct from x)", lenOf(dst), n, c.Out)
	case c.Cond == 0 && cond != nil:
		return modelErr("forward: cond given to a network with cond = 0")
	case c.Cond > 0 && (cond == nil || (cond.Len() != c.Cond && cond.Len() != n*c.Cond)):
		return modelErr("forward: cond has %d elements, want cond = %d or n*cond = %d", lenOf(cond), c.Cond, n*c.Cond)
	}
	if err := nt.ensure(n); err != nil {
		return err
	}
	nt.x, nt.cond = x, cond
	nt.shared = cond != nil && cond.Len() == c.Cond && n > 1
	b := nt.b
	L := len(nt.w)
	prev := x
	for l := 0; l < L; l++ {
		in, out := nt.widths[l], nt.widths[l+1]
		var mm, z compute.Array
		if l == L-1 {
			mm, z = nt.outMM, dst
		} else {
			mm, z = nt.hid[l].mm, nt.hid[l].z
		}
		if err := b.MatMul(mm, prev, nt.w[l], n, in-boolInt(l == 0)*c.Cond, out, false, false); err != nil {
			return err
		}
		bias := nt.bias[l]
		if l == 0 && c.Cond > 0 {
			if nt.shared {
				if err := b.MatMul(nt.beff, cond, nt.wc, 1, c.Cond, out, false, false); err != nil {
					return err
				}
				if err := b.Map(nt.beff2, compute.MapArgs{Op: compute.OpAxpby, X: nt.beff, Y: nt.bias[0], A: 1, B: 1}); err != nil {
					return err
				}
				bias = nt.beff2
			} else {
				if err := b.MatMul(nt.mc, cond, nt.wc, n, c.Cond, out, false, false); err != nil {
					return err
				}
				if err := b.Map(nt.sum, compute.MapArgs{Op: compute.OpAxpby, X: mm, Y: nt.mc, A: 1, B: 1}); err != nil {
					return err
				}
				mm = nt.sum
			}
		}
		if err := b.Map(z, compute.MapArgs{Op: compute.OpAxpby, X: mm, Y: bias, YMod: out, A: 1, B: 1}); err != nil {
			return err
		}
		if l == L-1 {
			break
		}
		if err := nt.activate(nt.hid[l]); err != nil {
			return err
		}
		prev = nt.hid[l].a
	}
	return nil
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// activate computes h.a = act(h.z), caching sigmoid(z) in h.s for SiLU.
func (nt *Net) activate(h *hidden) error {
	b := nt.b
	if nt.cfg.Activation == ReLU {
		return b.Map(h.a, compute.MapArgs{Op: compute.OpMax, X: h.z, A: 1, B: 0})
	}
	if err := b.Map(h.t1, compute.MapArgs{Op: compute.OpExp, X: h.z, A: -1}); err != nil { // exp(-z)
		return err
	}
	if err := b.Map(h.t2, compute.MapArgs{Op: compute.OpLog, X: h.t1, A: 1, C: 1}); err != nil { // log(1 + exp(-z))
		return err
	}
	if err := b.Map(h.s, compute.MapArgs{Op: compute.OpExp, X: h.t2, A: -1}); err != nil { // sigmoid(z)
		return err
	}
	return b.Map(h.a, compute.MapArgs{Op: compute.OpMul, X: h.z, Y: h.s, A: 1})
}

// Backward computes the gradients of a loss with respect to every
// parameter, given dOut = dLoss/dOutput (n x Out) for the batch of the
// last Forward, by the chain rule written out (Rumelhart, Hinton and
// Williams 1986):
//
//	dW_l = a_{l-1}^T dz_l,  db_l = 1^T dz_l,  da_{l-1} = dz_l W_l^T,
//	dz_{l-1} = da_{l-1} * act'(z_{l-1}),
//
// with ReLU' = [z > 0] and SiLU' = s (1 + z (1 - s)). For the first layer
// dW_x = x^T dz_0 and dW_c = c^T dz_0 (a shared c: dW_c = c (1^T dz_0)).
// The gradients overwrite those of the previous call (no accumulation).
func (nt *Net) Backward(dOut compute.Array) error {
	c := nt.cfg
	n := nt.n
	if n == 0 {
		return modelErr("backward: no forward pass yet")
	}
	if dOut == nil || dOut.Len() != n*c.Out {
		return modelErr("backward: dOut has %d elements, want n*out = %d*%d", lenOf(dOut), n, c.Out)
	}
	b := nt.b
	if nt.grads == nil {
		for _, p := range nt.params() {
			g, err := b.Alloc((*p).Len())
			if err != nil {
				return err
			}
			nt.grads = append(nt.grads, g)
		}
	}
	for _, h := range nt.hid {
		if h.da == nil {
			var err error
			if h.da, err = nt.batchAlloc(h.z.Len()); err != nil {
				return err
			}
			if h.dz, err = nt.batchAlloc(h.z.Len()); err != nil {
				return err
			}
		}
	}
	if c.Cond > 0 && nt.shared && nt.gtmp == nil {
		var err error
		if nt.gtmp, err = nt.batchAlloc(c.Cond * nt.widths[1]); err != nil {
			return err
		}
	}
	// gradient slots in params() order
	gi := make([]int, len(nt.w)) // index of dW_l in grads
	k := 0
	for l := range nt.w {
		gi[l] = k
		k += 2
		if l == 0 && nt.wc != nil {
			k++
		}
	}
	L := len(nt.w)
	dz := dOut
	for l := L - 1; l >= 0; l-- {
		in, out := nt.widths[l], nt.widths[l+1]
		gw := nt.grads[gi[l]]
		gb := nt.grads[gi[l]+1]
		if l == 0 && nt.wc != nil {
			gb = nt.grads[gi[l]+2]
		}
		var prev compute.Array
		if l == 0 {
			prev, in = nt.x, c.In
		} else {
			prev = nt.hid[l-1].a
		}
		if err := b.MatMul(gw, prev, dz, in, n, out, true, false); err != nil {
			return err
		}
		if err := b.MatMul(gb, nt.ones, dz, 1, n, out, false, false); err != nil {
			return err
		}
		if l == 0 {
			if nt.wc != nil {
				gwc := nt.grads[gi[0]+1]
				if nt.shared {
					// dW_c = c (1^T dz_0): a Cond x 1 times 1 x H0 product.
					if err := b.MatMul(gwc, nt.cond, gb, c.Cond, 1, out, false, false); err != nil {
						return err
					}
				} else if err := b.MatMul(gwc, nt.cond, dz, c.Cond, n, out, true, false); err != nil {
					return err
				}
			}
			break
		}
		h := nt.hid[l-1]
		if err := b.MatMul(h.da, dz, nt.w[l], n, out, in, false, true); err != nil {
			return err
		}
		if err := nt.activationGrad(h); err != nil {
			return err
		}
		dz = h.dz
	}
	return nil
}

// activationGrad computes h.dz = h.da * act'(h.z).
func (nt *Net) activationGrad(h *hidden) error {
	b := nt.b
	if nt.cfg.Activation == ReLU {
		if err := b.Map(h.t1, compute.MapArgs{Op: compute.OpStep, X: h.z, A: 1}); err != nil {
			return err
		}
		return b.Map(h.dz, compute.MapArgs{Op: compute.OpMul, X: h.da, Y: h.t1, A: 1})
	}
	// SiLU'(z) = s + s z (1 - s)
	steps := []compute.MapArgs{
		{Op: compute.OpAxpby, X: h.s, A: -1, C: 1},         // t1 = 1 - s
		{Op: compute.OpMul, X: h.z, Y: h.t1, A: 1},         // t2 = z (1 - s)
		{Op: compute.OpMul, X: h.s, Y: h.t2, A: 1},         // t1 = s z (1 - s)
		{Op: compute.OpAxpby, X: h.t1, Y: h.s, A: 1, B: 1}, // t2 = s + s z (1 - s)
		{Op: compute.OpMul, X: h.da, Y: h.t2, A: 1},        // dz = da SiLU'
	}
	dsts := []compute.Array{h.t1, h.t2, h.t1, h.t2, h.dz}
	for i, s := range steps {
		if err := b.Map(dsts[i], s); err != nil {
			return err
		}
	}
	return nil
}

// Gradients reads the gradients of the last Backward back, in the layout
// of the MLP's layers (dW then db per layer; W_x and W_c rejoined).
func (nt *Net) Gradients() ([]Layer, error) {
	if nt.grads == nil {
		return nil, modelErr("gradients: no backward pass yet")
	}
	var out []Layer
	k := 0
	for l := range nt.w {
		in, o := nt.widths[l], nt.widths[l+1]
		L := Layer{In: in, Out: o, W: make([]float64, in*o), B: make([]float64, o)}
		if l == 0 && nt.wc != nil {
			if err := nt.b.Read(L.W[:nt.cfg.In*o], nt.grads[k]); err != nil {
				return nil, err
			}
			if err := nt.b.Read(L.W[nt.cfg.In*o:], nt.grads[k+1]); err != nil {
				return nil, err
			}
			k += 2
		} else {
			if err := nt.b.Read(L.W, nt.grads[k]); err != nil {
				return nil, err
			}
			k++
		}
		if err := nt.b.Read(L.B, nt.grads[k]); err != nil {
			return nil, err
		}
		k++
		out = append(out, L)
	}
	return out, nil
}

// Adam holds the hyper-parameters of Kingma and Ba 2015 ("Adam: A Method
// for Stochastic Optimization", Alg. 1). Zero fields mean the paper's
// defaults: LR 1e-3, Beta1 0.9, Beta2 0.999, Eps 1e-8.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
}

func (a Adam) withDefaults() Adam {
	if a.LR == 0 {
		a.LR = 1e-3
	}
	if a.Beta1 == 0 {
		a.Beta1 = 0.9
	}
	if a.Beta2 == 0 {
		a.Beta2 = 0.999
	}
	if a.Eps == 0 {
		a.Eps = 1e-8
	}
	return a
}

type adamState struct {
	t            int
	m, v, s1, s2 []compute.Array
}

func (s *adamState) free(b compute.Backend) {
	for _, set := range [][]compute.Array{s.m, s.v, s.s1, s.s2} {
		for _, a := range set {
			b.Free(a)
		}
	}
}

// Step applies one Adam update with the gradients of the last Backward,
// at learning rate lr (0: opt.LR):
//
//	m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
//	p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),
//
// seven maps per parameter array, ping-ponging with scratch arrays.
func (nt *Net) Step(opt Adam, lr float64) error {
	opt = opt.withDefaults()
	if lr == 0 {
		lr = opt.LR
	}
	if !(lr > 0) || math.IsInf(lr, 0) || !(opt.Beta1 >= 0 && opt.Beta1 < 1) || !(opt.Beta2 >= 0 && opt.Beta2 < 1) || !(opt.Eps > 0) {
		return modelErr("adam: lr = %v, beta1 = %v, beta2 = %v, eps = %v out of range", lr, opt.Beta1, opt.Beta2, opt.Eps)
	}
	if nt.grads == nil {
		return modelErr("adam: no gradients (call Backward first)")
	}
	b := nt.b
	ps := nt.params()
	if nt.adam == nil {
		st := &adamState{}
		for _, p := range ps {
			for _, set := range []*[]compute.Array{&st.m, &st.v, &st.s1, &st.s2} {
				a, err := b.Alloc((*p).Len())
				if err != nil {
					st.free(b)
					return err
				}
				*set = append(*set, a)
			}
		}
		nt.adam = st
	}
	st := nt.adam
	st.t++
	bc1 := 1 - math.Pow(opt.Beta1, float64(st.t))
	bc2 := 1 - math.Pow(opt.Beta2, float64(st.t))
	for i, p := range ps {
		g, m, v, s1, s2 := nt.grads[i], st.m[i], st.v[i], st.s1[i], st.s2[i]
		ops := []struct {
			dst compute.Array
			a   compute.MapArgs
		}{
			{s1, compute.MapArgs{Op: compute.OpAxpby, X: m, Y: g, A: opt.Beta1, B: 1 - opt.Beta1}}, // m'
			{s2, compute.MapArgs{Op: compute.OpMul, X: g, Y: g, A: 1 - opt.Beta2}},                 // (1-b2) g^2
			{m, compute.MapArgs{Op: compute.OpAxpby, X: v, Y: s2, A: opt.Beta2, B: 1}},             // v' (into old m)
			{s2, compute.MapArgs{Op: compute.OpSqrt, X: m, A: 1 / bc2}},                            // sqrt(v'/bc2)
			{v, compute.MapArgs{Op: compute.OpAxpby, X: s2, C: opt.Eps, A: 1}},                     // + eps (into old v)
			{s2, compute.MapArgs{Op: compute.OpDiv, X: s1, Y: v, A: lr / bc1}},                     // step
			{v, compute.MapArgs{Op: compute.OpAxpby, X: *p, Y: s2, A: 1, B: -1}},                   // p' (into v)
		}
		for _, o := range ops {
			if err := b.Map(o.dst, o.a); err != nil {
				return err
			}
		}
		// rotate: m <- s1 (m'), v <- m (v'), p <- v (p'), s1 <- old p
		oldP := *p
		*p = v
		st.m[i], st.v[i], st.s1[i] = s1, m, oldP
	}
	return nil
}

func lenOf(a compute.Array) int {
	if a == nil {
		return 0
	}
	return a.Len()
}
