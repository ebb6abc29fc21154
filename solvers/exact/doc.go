// Package exact solves unregularised optimal transport exactly: the
// eps -> 0 reference of the entropic solvers in package ot, and POT's
// ot.emd for a POT user.
//
// Three solvers:
//
//   - EMD: weights a (n) and b (m) and any dense n x m cost matrix, by
//     the network simplex of Bonneel, van de Panne, Paris and Heidrich
//     2011 ("Displacement interpolation using Lagrangian mass
//     transport", SIGGRAPH Asia, sec. 5), which is POT's ot.emd: a
//     minimum-cost flow on the complete bipartite graph with LEMON's
//     spanning-tree structure (Kovacs 2015, "Minimum-cost flow
//     algorithms: an experimental evaluation", sec. 3.4) and the block
//     search pivot rule (Grigoriadis 1986, "An efficient implementation
//     of the network simplex method"; blocks of sqrt(n m) arcs). It
//     returns a basic optimal plan (at most n + m - 1 nonzeros, sparse),
//     its cost, dual potentials U, V (U_i + V_j <= C_ij, equality on the
//     plan's support, centred as POT's log['u'], log['v'] with
//     center_dual=True: <a, U> = <b, V>), the pivot count and a status;
//     the pivot cap (Settings.MaxIter, POT's numItermax, default 100000)
//     ends a solve with MaxIterReached and POT's warning, "numItermax
//     reached before optimality. Try to increase numItermax.".
//     SquaredEuclidean builds POT's ot.dist matrix for point clouds
//     (PairCosts any cost function over points), and
//     EMDResult.SquaredEuclideanGradient gives emd2's gradients for it.
//   - Solve1D: one-dimensional OT with arbitrary weights, by sorting both
//     sides and matching quantiles (the north-west corner rule on sorted
//     points, optimal for any convex cost of x - y; Santambrogio 2015,
//     "Optimal Transport for Applied Mathematicians", Thm. 2.9 and
//     Prop. 2.17). O((n + m) log(n + m)); no potentials.
//   - Assignment: the linear assignment problem on an n x n matrix by the
//     shortest-augmenting-path Hungarian method (Kuhn 1955, Munkres 1957;
//     the O(n^3) form of Jonker and Volgenant 1987), used by package
//     patch. Solve (uniform weights, |x - y|^2) and SolveCost (uniform
//     weights, a dense matrix) now call EMD without a pivot cap: the
//     network simplex is faster than the Hungarian method from n = 500
//     on (13 ms against 108 ms on 2-D clouds on the 2-core VM).
//
// Why by hand: no Go library solves the transportation problem (gonum's
// optimize/convex/lp is a dense simplex for general LPs: an n m-variable
// tableau, hopeless beyond n = 100), and POT's C++ (LEMON, Boost
// licence) would need cgo. The simplex here follows LEMON's algorithm;
// it differs from POT's in three ways that change neither the optimum
// nor the duals' convention: arcs are scanned in row order (POT mixes
// them with a stride of sqrt(n m)), a non-tree arc never carries flow
// (every capacity is infinite), so flow is kept per tree node, and the
// big-M cost of the artificial arcs is (max C - min(C, 0) + 1)(n + m),
// large enough for negative costs too. Ties are broken differently, so
// where the optimum is not unique the plan may differ from POT's while
// the cost agrees.
//
// Memory: the caller's cost matrix is read in place, never copied; EMD
// adds one byte per arc and O(n + m) words (MaxArcs = 5000 x 5000 pairs).
//
// Speed, against POT 0.8.2's ot.emd on weighted 2-D clouds on a 2-core
// VM under heavy shared load (bench/pot/emd_pot.py, whole otplay solve
// runs): 0.55..0.74 s at n = m = 1000, 3.1..3.4 s at 2000 and 24..33 s at
// 5000 (about 174,000 pivots, above the default cap), POT's time times
// 0.70..1.30.
//
// Costs are reported as POT reports them: Cost = sum_ij P_ij C_ij; with
// C = |x - y|^2 it is W_2^2, the value of ot.emd2(a, b, ot.dist(X, Y)).
//
// The entropic Sinkhorn cost of package ot converges to this value as
// eps -> 0 (Cominetti and San Martin 1994; Peyre and Cuturi 2019,
// Prop. 4.1), which the tests of both packages check.
package exact
