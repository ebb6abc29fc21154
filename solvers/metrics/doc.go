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
//   - Compare: MMD, the sliced W_2 of package sliced and the Sinkhorn
//     divergence of package ot in one Quality report whose absent fields
//     (nil) are omitted from JSON rather than faked.
package metrics
