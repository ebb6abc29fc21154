package sliced

import (
	"fmt"

	"github.com/otplay/otplay/compute"
)

// TransportMap moves the source points x towards the target points y by
// the averaged sliced optimal transport displacement (Rabin, Peyre, Delon
// and Bernot 2011, "Wasserstein barycenter and its application to texture
// mixing", the sliced Wasserstein distance and the descent on it that
// moves the points; Bonneel, Rabin, Peyre and Pfister 2015, "Sliced and
// Radon Wasserstein barycenters of measures", the same gradient written
// with the sorted 1-D assignments):
//
//	T(x_i) = x_i + (1/P) sum_{p < P} theta_p (sort(y . theta_p)[rank_p(i)] - x_i . theta_p)
//
// where rank_p(i) is the rank of x_i . theta_p among the source
// projections: along each of the P directions every source point is sent
// to the target projection of the same rank, the exact monotone 1-D
// transport of Transport1D. In 1-D (d = 1, theta = 1) T is the exact
// optimal map, the sorted assignment. In d > 1 one application is a
// descent step on SW_2^2(x, y) in the points (the displacement of x_i is
// -n/2 times the gradient of the P-direction estimate with respect to
// x_i), so SW_2 to y drops but T(x) is not y's law in general.
//
// It is FastSB-OT's batch OT map (the seed's
// FastSB-OT/fastsb_ot/transport.py, SlicedOptimalTransport.
// _sliced_ot_fixed), which draws P Gaussian directions, normalises them,
// sorts both projections, scatters the sorted target into the source's
// order and averages the displacements: here the directions are Random
// ones (Directions(Random, P, d, seed)); ties among source projections
// are broken by index (a stable argsort), where torch.sort leaves them in
// any order.
//
// x and y must have the same number of points and dimension and uniform
// weights (the seed's batches have equal shapes); P >= 1. Projection
// (MatMul), the target's sort (SortRows), the gather of the ranked target
// projections (GatherSum), the differences (Map) and the back-projection
// of the displacements (MatMul) run on be; the source projections are read
// back once per chunk of directions for their argsort on the host
// (SortRows sorts values only), O(P n log n) host work.
func TransportMap(be compute.Backend, x, y Measure, P int, seed uint64) ([]float64, error) {
	if be == nil {
		return nil, fmt.Errorf("%w: nil backend", ErrBadArgument)
	}
	if P < 1 || P > MaxProjections {
		return nil, fmt.Errorf("%w: projections P = %d outside [1, %d]", ErrBadArgument, P, MaxProjections)
	}
	if err := x.check("x"); err != nil {
		return nil, err
	}
	if err := y.check("y"); err != nil {
		return nil, err
	}
	switch {
	case x.N != y.N || x.D != y.D:
		return nil, fmt.Errorf("%w: transport map: x is %d x %d but y is %d x %d; the batches must have the same shape", ErrBadArgument, x.N, x.D, y.N, y.D)
	case x.Weights != nil || y.Weights != nil:
		return nil, fmt.Errorf("%w: transport map: weights are not supported (the map pairs points of equal mass 1/N)", ErrBadArgument)
	}
	theta, err := Directions(Random, P, x.D, seed)
	if err != nil {
		return nil, err
	}
	return transportMap(be, x.Points, y.Points, x.N, x.D, theta, P)
}

// transportChunkElems bounds the projections held at once (chunkElems;
// a variable so that a test can force several chunks).
var transportChunkElems = chunkElems

// transportMap is TransportMap with the directions theta (P x d) given.
func transportMap(be compute.Backend, xs, ys []float64, n, d int, theta []float64, P int) ([]float64, error) {
	var arrs []compute.Array
	defer func() {
		for _, a := range arrs {
			be.Free(a)
		}
	}()
	upload := func(v []float64) (compute.Array, error) {
		a, err := be.Upload(v)
		if err == nil {
			arrs = append(arrs, a)
		}
		return a, err
	}
	alloc := func(k int) (compute.Array, error) {
		a, err := be.Alloc(k)
		if err == nil {
			arrs = append(arrs, a)
		}
		return a, err
	}
	X, err := upload(xs)
	if err != nil {
		return nil, fmt.Errorf("sliced: upload x: %w", err)
	}
	Y, err := upload(ys)
	if err != nil {
		return nil, fmt.Errorf("sliced: upload y: %w", err)
	}
	acc, err := alloc(n * d) // sum over directions of the displacements
	if err != nil {
		return nil, err
	}
	disp, err := alloc(n * d)
	if err != nil {
		return nil, err
	}
	chunk := max(1, min(P, transportChunkElems/n))
	px, err := alloc(chunk * n)
	if err != nil {
		return nil, err
	}
	py, err := alloc(chunk * n)
	if err != nil {
		return nil, err
	}
	ranked, err := alloc(chunk * n)
	if err != nil {
		return nil, err
	}
	idx, err := alloc(chunk * n)
	if err != nil {
		return nil, err
	}
	host := make([]float64, chunk*n)
	index := make([]float64, chunk*n)
	for l0 := 0; l0 < P; l0 += chunk {
		lc := min(chunk, P-l0)
		if lc < chunk {
			// The last, shorter chunk: arrays of its own length.
			for _, a := range []*compute.Array{&px, &py, &ranked, &idx} {
				if *a, err = alloc(lc * n); err != nil {
					return nil, err
				}
			}
			host, index = host[:lc*n], index[:lc*n]
		}
		T, err := upload(theta[l0*d : (l0+lc)*d])
		if err != nil {
			return nil, err
		}
		// px[l*n + i] = theta_l . x_i, py likewise: (lc x d) (n x d)^T.
		if err := be.MatMul(px, T, X, lc, d, n, false, true); err != nil {
			return nil, fmt.Errorf("sliced: project x: %w", err)
		}
		if err := be.MatMul(py, T, Y, lc, d, n, false, true); err != nil {
			return nil, fmt.Errorf("sliced: project y: %w", err)
		}
		if err := be.SortRows(py, lc, n); err != nil {
			return nil, fmt.Errorf("sliced: sort y: %w", err)
		}
		if err := be.Read(host, px); err != nil {
			return nil, err
		}
		// index[l*n + i] = l*n + rank of x_i . theta_l (stable argsort).
		for l := 0; l < lc; l++ {
			for r, i := range argsort(host[l*n : (l+1)*n]) {
				index[l*n+i] = float64(l*n + r)
			}
		}
		if err := be.Write(idx, index); err != nil {
			return nil, err
		}
		// ranked[l*n + i] = sorted(y . theta_l)[rank_l(i)] - x_i . theta_l.
		if err := be.GatherSum(ranked, py, idx, 1); err != nil {
			return nil, fmt.Errorf("sliced: gather ranked targets: %w", err)
		}
		if err := be.Map(ranked, compute.MapArgs{Op: compute.OpAxpby, X: ranked, Y: px, A: 1, B: -1}); err != nil {
			return nil, err
		}
		// disp (n x d) = ranked^T (n x lc) theta (lc x d); acc += disp.
		if err := be.MatMul(disp, ranked, T, n, lc, d, true, false); err != nil {
			return nil, fmt.Errorf("sliced: back-project: %w", err)
		}
		if err := be.Map(acc, compute.MapArgs{Op: compute.OpAxpby, X: acc, Y: disp, A: 1, B: 1}); err != nil {
			return nil, err
		}
	}
	// T(x) = x + acc / P.
	if err := be.Map(acc, compute.MapArgs{Op: compute.OpAxpby, X: X, Y: acc, A: 1, B: 1 / float64(P)}); err != nil {
		return nil, err
	}
	out := make([]float64, n*d)
	if err := be.Read(out, acc); err != nil {
		return nil, err
	}
	return out, nil
}
