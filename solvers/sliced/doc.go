// Package sliced computes sliced and max-sliced Wasserstein distances and
// exact 1-D optimal transport by sorting, with the projections and sorts on
// a compute.Backend (the GPU when there is one).
//
// # Convention
//
// As in DESIGN.md and POT's sliced_wasserstein_distance(X, Y, a, b,
// n_projections=L, p=2):
//
//	SW_2(mu, nu) = sqrt( mean_{l < L} W_2^2(theta_l# mu, theta_l# nu) )
//
// with directions theta_l uniform on the sphere S^{d-1}, cost |x - y|^2,
// weights normalised to mass 1 (nil weights: uniform). Each W_2^2 is exact:
// the monotone coupling of the sorted projections (Transport1D).
// Settings.P = p >= 1 gives SW_p = (mean_l W_p^p)^(1/p) (POT's p; the
// monotone coupling is optimal for every convex cost); p = 1 and 2 keep
// the device path, other p merge the sorted rows on the host.
//
// # What runs where
//
// Distance uploads both clouds once and, for chunks of directions that fit
// 2^22 floats per cloud, projects with Backend.MatMul and then (Path):
//   - uniform weights, N == M: SortRows, Map (squared differences) and a
//     MatMul with a ones vector give the L per-direction sums on the
//     backend; only L numbers are read back;
//   - uniform weights, N != M: SortRows on the backend, then the quantile
//     merge of the sorted rows on the host in O(N + M) per direction,
//     exact in integer units of 1/(N M);
//   - weights: the projections are read back and sorted on the host with
//     their argsort (SortRows sorts values only; the weights must follow
//     the permutation), then merged.
//
// # Directions
//
// Random (default): normalised Philox normals (compute.NormalAt), seeded,
// the same stream on every backend. QMC: randomised quasi-Monte-Carlo
// point sets (evenly spaced half circle in 2-D, spherical Fibonacci lattice
// under a random rotation in 3-D, shifted Halton sequence beyond), lower
// variance for the same L. Directions draws either; Settings.Directions
// takes explicit ones (POT's `projections`, transposed), scaled to unit
// rows (a zero row is refused).
//
// # Displays
//
// Result.Running is the estimate after k directions (the curve a page
// draws as directions are added); Result.StdErr its Monte-Carlo standard
// error. Slices gives, per direction, the projections, argsorts and the
// monotone matching for drawing.
//
// # Transport map
//
// TransportMap moves a batch x towards a batch y of the same size by the
// averaged 1-D monotone displacements along P random directions (Rabin et
// al. 2011; Bonneel et al. 2015): the exact OT map in 1-D, one step of
// SW_2^2 descent in d > 1. It is FastSB-OT's batch OT map
// (package diffusion's SampleBatchOT); its sort of y, gather and
// back-projection run on the backend, the argsort of x on the host.
//
// # Max-sliced
//
// Max evaluates many candidate directions on the backend, then refines the
// best by projected gradient ascent on the sphere (Deshpande et al. 2019),
// monotone in W_2^2.
package sliced
