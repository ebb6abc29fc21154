package compute

// The high-dimensional cost of the fast CPU paths (cpu and cpu32): from
// d = dotMinDim on, on the vector loops (the AVX2 and FMA assembly, or
// archsimd in the GOEXPERIMENT=simd build: cpuasm.go), the logits of softMin64 and softMean64 take the squared distance
// in its expanded form
//
//	|x_i - y_j|^2 = |x_i|^2 + |y_j|^2 - 2 x_i . y_j
//
// with the norms computed once per call and the inner products four rows
// by eight columns at a time (logits4DotVec, logits4DotAsm): one fused multiply-add per
// coordinate and pair, each loaded x_i[k] used eight times and y_j[k]
// four, against a subtraction and a multiply-add per coordinate and pair
// in the direct form (logits4Vec). The pure Go loops keep the direct form
// (logits4): a scalar 4 x 2 block of the expanded form measured no faster
// there (Go's register allocator spills its accumulators), and the direct
// form rounds less.
// This is the cost-by-GEMM of POT and PyTorch (the tiled product of, for
// instance, K. Goto and R. van de Geijn, "Anatomy of high-performance
// matrix multiplication", ACM TOMS 34(3), 2008, sec. 4, without the
// packing: a column block of columnBlockSize points, 16 KiB at d = 64,
// stays in L1 across its rows). These loops never store the cost matrix;
// where a pair of clouds is reduced again and its matrix fits a budget,
// the backend stores it once, computed by these loops, and later calls
// read it (costcache.go: the Arrays' write versions tell when it is
// stale; at n = 4000 it is 125 MiB a direction).
//
// Accuracy. Both clouds are first shifted by the columns' mean (the
// distance does not change), so that the norms are of the spread of the
// clouds, not of their offset. In float64 with unit roundoff u = 2^-53,
// each of |x|^2, |y|^2 and x.y is within gamma_d = d u/(1 - d u) of the
// sum of its terms' magnitudes (N. J. Higham, "Accuracy and Stability of
// Numerical Algorithms", 2nd ed., 2002, eq. (3.5)), so by Cauchy-Schwarz
//
//	|computed - exact| <= (gamma_d + 3u) (|x_c|^2 + |y_c|^2 + 2|x_c||y_c|)
//	                   <= 2 (d + 3) u (|x_c|^2 + |y_c|^2)
//
// for the centred points x_c, y_c (to first order in u). A soft-min moves
// by at most the largest error of its costs (it is 1-Lipschitz in each
// cost under the max norm), so at d = 64 its error is below 1.5e-14
// (|x_c|^2 + |y_c|^2) over the pairs: 2.4e-12 absolute for standard
// normal clouds (|x_c|^2 ~ 64 + 16), 1e-14 relative to the soft-min's
// value ~ 2 d. The error is a random walk in practice, tens of times
// smaller (TestSoftMinHighDimMatchesReference measures it). The computed
// distance is clamped at 0, which only moves it toward the exact value.

// dotMinDim is the smallest dimension where the fast paths take the
// expanded form of the cost (below, the direct form costs about as much
// per pair and rounds less).
const dotMinDim = 16

// centre shifts the columns (cb.y, padding included) by their mean and
// stores it in cb.mean, their squared norms in cb.yn and, for the vector
// loop, their interleaved copy in cb.yt.
func (cb *columnBlocks) centre() {
	d := cb.d
	cb.mean = make([]float64, d)
	real := 0
	for j, src := range cb.src {
		if src < 0 {
			continue
		}
		real++
		for k, t := range cb.y[j*d : j*d+d] {
			cb.mean[k] += t
		}
	}
	for k := range cb.mean {
		cb.mean[k] /= float64(max(real, 1))
	}
	cb.yn = make([]float64, len(cb.h))
	for j := range cb.h {
		yj := cb.y[j*d : j*d+d]
		var s float64
		for k := range yj {
			yj[k] -= cb.mean[k]
			s += yj[k] * yj[k]
		}
		cb.yn[j] = s
	}
	cb.yt = make([]float64, len(cb.y))
	for j := range cb.h {
		g, c := j/4, j%4
		for k, t := range cb.y[j*d : j*d+d] {
			cb.yt[g*4*d+4*k+c] = t
		}
	}
}

// centredRows returns the n rows of x (dimension d) shifted by mean, and
// their squared norms.
func centredRows(x, mean []float64, n, d int) (xc, xn []float64) {
	xc, xn = make([]float64, n*d), make([]float64, n)
	for i := range n {
		var s float64
		for k, t := range x[i*d : i*d+d] {
			t -= mean[k]
			xc[i*d+k] = t
			s += t * t
		}
		xn[i] = s
	}
	return xc, xn
}
