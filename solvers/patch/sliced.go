package patch

import (
	"math"

	"github.com/otplay/otplay/compute"
)

// slicedTransfer is the iterative distribution transfer of Pitie, Kokaram
// and Dahyot (2007, "Automated colour grading using colour distribution
// transfer", CVIU 107, sec. 3, Algorithm 1): at each iteration pick a
// random orthonormal basis R of R^d, project both clouds on its axes, move
// every source point along each axis by the 1-D optimal transport between
// the projected marginals,
//
//	x <- x + sum_k (F_k^{-1}(G_k(<x, r_k>)) - <x, r_k>) r_k
//
// (G_k, F_k the CDFs of the projected source and target), and repeat. The
// 1-D maps are the sorted matching: a point of rank i among n goes to the
// target quantile at (i + 1/2)/n, linearly interpolated (exactly the
// sorted target when n = m). Pitie et al. build the CDFs from histograms;
// sorting gives the exact 1-D map instead.
//
// On the Backend: projections and the move back (MatMul), the sort of the
// target projections (SortRows) and the update (Map). The ranks of the
// source projections are found on the host (a radix argsort of float32
// keys, O(n) per axis), as the Backend sorts values, not indices.
func slicedTransfer(b compute.Backend, x, y []float64, d, iters int, seed uint64) ([]float64, *ColorResult, error) {
	n, m := len(x)/d, len(y)/d
	a := &arena{b: b}
	defer a.free()
	xa, ya := a.upload(x), a.upload(y)
	xn := a.alloc(n * d)
	px, pyT := a.alloc(n*d), a.alloc(d*m)
	rot := a.alloc(d * d)
	disp, delta := a.alloc(n*d), a.alloc(n*d)
	if a.err != nil {
		return nil, nil, a.err
	}
	order, tmp := make([]int32, n), make([]int32, n)
	keys, keyTmp := make([]uint32, n), make([]uint32, n)
	col := make([]float64, n)
	dv := make([]float64, n*d)
	for it := 0; it < iters; it++ {
		r := randomRotation(d, seed, uint64(it))
		a.do(b.Write(rot, r))
		a.do(b.MatMul(px, xa, rot, n, d, d, false, false)) // px = X R
		a.do(b.MatMul(pyT, rot, ya, d, d, m, true, true))  // pyT = R^T Y^T, one row per axis
		a.do(b.SortRows(pyT, d, m))
		pv, sy := a.read(px), a.read(pyT)
		if a.err != nil {
			return nil, nil, a.err
		}
		for k := 0; k < d; k++ {
			for i := range col {
				col[i] = pv[i*d+k]
			}
			argsortFloat32(col, order, tmp, keys, keyTmp)
			ys := sy[k*m : (k+1)*m]
			for rank, i := range order {
				dv[int(i)*d+k] = quantile(ys, (float64(rank)+0.5)/float64(n)) - col[i]
			}
		}
		a.do(b.Write(disp, dv))
		a.do(b.MatMul(delta, disp, rot, n, d, d, false, true)) // delta = disp R^T
		a.do(b.Map(xn, compute.MapArgs{Op: compute.OpAxpby, X: xa, Y: delta, A: 1, B: 1}))
		xa, xn = xn, xa
	}
	out := a.read(xa)
	if a.err != nil {
		return nil, nil, a.err
	}
	var cost float64
	for i, v := range out {
		t := v - x[i]
		cost += t * t
	}
	return out, &ColorResult{Cost: cost / float64(n), SourcePoints: n, TargetPoints: m, Iterations: iters, Converged: true}, nil
}

// quantile returns the u-quantile (u in (0, 1)) of the sorted values s,
// linearly interpolated between the points (j + 1/2)/m.
func quantile(s []float64, u float64) float64 {
	t := u*float64(len(s)) - 0.5
	if t <= 0 {
		return s[0]
	}
	j := int(t)
	if j >= len(s)-1 {
		return s[len(s)-1]
	}
	f := t - float64(j)
	return s[j] + f*(s[j+1]-s[j])
}

// randomRotation returns a d x d orthonormal matrix (row-major, columns
// the directions): Gram-Schmidt on Philox normals of counters
// it*d*d + k, i.e. a uniformly random rotation.
func randomRotation(d int, seed, it uint64) []float64 {
	for attempt := uint64(0); ; attempt++ {
		r := make([]float64, d*d)
		base := (it*1000 + attempt) * uint64(d*d)
		ok := true
		for k := 0; k < d && ok; k++ { // column k
			for l := 0; l < d; l++ {
				r[l*d+k] = compute.NormalAt(seed, base+uint64(k*d+l))
			}
			for j := 0; j < k; j++ {
				var dot float64
				for l := 0; l < d; l++ {
					dot += r[l*d+k] * r[l*d+j]
				}
				for l := 0; l < d; l++ {
					r[l*d+k] -= dot * r[l*d+j]
				}
			}
			var norm float64
			for l := 0; l < d; l++ {
				norm += r[l*d+k] * r[l*d+k]
			}
			norm = math.Sqrt(norm)
			if norm < 1e-6 {
				ok = false
				break
			}
			for l := 0; l < d; l++ {
				r[l*d+k] /= norm
			}
		}
		if ok {
			return r
		}
	}
}

// argsortFloat32 fills order with the permutation that sorts v ascending
// (by float32 value; ties keep index order): an LSD radix sort of 11, 11
// and 10 bits on the order-preserving unsigned keys of the float32 bits.
// tmp, keys and keyTmp are scratch of len(v).
func argsortFloat32(v []float64, order, tmp []int32, keys, keyTmp []uint32) {
	for i, t := range v {
		u := math.Float32bits(float32(t))
		if u&0x80000000 != 0 {
			u = ^u
		} else {
			u |= 0x80000000
		}
		keys[i] = u
		order[i] = int32(i)
	}
	var count [2048]int
	for _, sh := range [...]uint{0, 11, 22} {
		clear(count[:])
		for _, k := range keys {
			count[(k>>sh)&2047]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for i, k := range keys {
			p := count[(k>>sh)&2047]
			count[(k>>sh)&2047]++
			tmp[p] = order[i]
			keyTmp[p] = k
		}
		copy(order, tmp)
		copy(keys, keyTmp)
	}
}
