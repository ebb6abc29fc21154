// Package metrics measures how close a generated sample is to fresh data
// from its target, for the diffusion pages and `otplay sample --json`.
//
//   - MMD: the unbiased squared maximum mean discrepancy of Gretton et al.
//     2012 (eq. (3)) with the Gaussian kernel exp(-|a - b|^2 / (2 h^2)),
//     bandwidth h by the median heuristic (median pairwise distance of the
//     pooled sample, on at most MedianSubsample points) unless given. On
//     the backend each of the three kernel sums is one fused SoftMin (Eps =
//     2 h^2) plus an exp Map and a Sum: O((n + m)^2 d) work, no matrix.
//     MMDHost is the plain float64 double loop the tests compare with.
//   - Compare: MMD, the sliced W_2 of package sliced (200 directions) and
//     the Sinkhorn divergence of package ot (eps = 0.05 times the data's
//     total variance E|y - mean y|^2 unless given, eps-scaling 0.5, with
//     its convergence flag) in one Quality report; fields are pointers so
//     that a metric not computed is absent from JSON rather than faked.
package metrics
