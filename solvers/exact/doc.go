// Package exact solves unregularised optimal transport for the cost
// C(x, y) = |x - y|^2 on problems small enough for exact methods: the
// eps -> 0 reference of the entropic solvers in package ot.
//
// Three solvers:
//
//   - Solve1D: one-dimensional OT with arbitrary weights, by sorting both
//     sides and matching quantiles (the north-west corner rule on sorted
//     points, optimal for any convex cost of x - y; Santambrogio 2015,
//     "Optimal Transport for Applied Mathematicians", Thm. 2.9 and
//     Prop. 2.17). O((n + m) log(n + m)).
//   - Solve: point clouds in any dimension with uniform weights, as a
//     linear assignment problem solved by the shortest-augmenting-path
//     Hungarian method with potentials (Kuhn 1955, Munkres 1957; the
//     O(n^3) form of Jonker and Volgenant 1987). With n != m the clouds
//     are replicated to lcm(n, m) points each (a uniform measure on n
//     points equals the uniform measure on its points repeated
//     lcm/n times), so lcm(n, m) must not exceed MaxPoints.
//   - SolveCost: the same assignment for a dense n x m cost matrix (POT's
//     M, any finite costs), uniform weights: ot.emd(a, b, M).
//
// Costs are reported as POT reports them: Cost = sum_ij P_ij |x_i - y_j|^2
// = W_2^2, the value of ot.emd2(a, b, ot.dist(X, Y)).
//
// The entropic Sinkhorn cost of package ot converges to this value as
// eps -> 0 (Cominetti and San Martin 1994; Peyre and Cuturi 2019,
// Prop. 4.1), which the tests of both packages check.
package exact
