package compute

// The high-dimensional cost of the fast CPU paths (cpu and cpu32): from
// d = dotMinDim on, the logits of softMin64 and softMean64 take the
// squared distance in its expanded form
//
//	|x_i - y_j|^2 = |x_i|^2 + |y_j|^2 - 2 x_i . y_j
//
// with the norms computed once per call and the inner products four rows
// by four columns at a time (logits4Dot): sixteen accumulators, each
// loaded x_i[k] and y_j[k] used four times, against one subtraction and
// one multiply-add per coordinate and pair in the direct form (logits4).
// This is the cost-by-GEMM of POT and PyTorch (the tiled product of, for
// instance, K. Goto and R. van de Geijn, "Anatomy of high-performance
// matrix multiplication", ACM TOMS 34(3), 2008, sec. 4, without the
// packing: a column block of columnBlockSize points, 16 KiB at d = 64,
// stays in L1 across its rows). The cost matrix is never stored: caching
// it across calls would need the backend to know that an Array's contents
// have not changed since, which Upload and the ops that write Arrays do
// not track, and at n = 4000 it is 128 MiB.
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
	if simd64 {
		cb.yt = make([]float64, len(cb.y))
		for j := range cb.h {
			g, c := j/4, j%4
			for k, t := range cb.y[j*d : j*d+d] {
				cb.yt[g*4*d+4*k+c] = t
			}
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

// logits4Dot is logits4 by the expanded form (see the top of this file)
// over the centred rows x (norms xn) and columns y (norms yn, an even
// number of them, as columnBlocks pads each block to a multiple of 4):
// four rows by two columns per step, whose eight accumulators, four row
// values and two column values fit amd64's sixteen float registers (four
// by four spills: measured 3x slower on the 2-core VM).
func logits4Dot(dst *[4][]float64, mx *[4]float64, x, xn, y, yn, h []float64, d int, rows [4]int, inv float64) {
	r0, r1, r2, r3 := rows[0], rows[1], rows[2], rows[3]
	x0, x1, x2, x3 := x[r0*d:r0*d+d], x[r1*d:r1*d+d], x[r2*d:r2*d+d], x[r3*d:r3*d+d]
	n := [4]float64{xn[r0], xn[r1], xn[r2], xn[r3]}
	m := len(h)
	yn = yn[:m]
	for j := 0; j+1 < m; j += 2 {
		y0, y1 := y[j*d:j*d+d], y[j*d+d:j*d+2*d]
		y1 = y1[:len(y0)]
		x0, x1, x2, x3 := x0[:len(y0)], x1[:len(y0)], x2[:len(y0)], x3[:len(y0)]
		var c00, c01, c10, c11, c20, c21, c30, c31 float64
		for k, s := range y0 {
			t := y1[k]
			a := x0[k]
			c00 += a * s
			c01 += a * t
			a = x1[k]
			c10 += a * s
			c11 += a * t
			a = x2[k]
			c20 += a * s
			c21 += a * t
			a = x3[k]
			c30 += a * s
			c31 += a * t
		}
		dots := [4][2]float64{{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}}
		for r := range 4 {
			for c := range 2 {
				v := h[j+c] - max(n[r]+yn[j+c]-2*dots[r][c], 0)*inv
				dst[r][j+c] = v
				mx[r] = max(mx[r], v)
			}
		}
	}
}
