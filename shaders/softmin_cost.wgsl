// softmin_cost.wgsl: the soft-min (log-sum-exp) over all pairs for a
// ground cost other than |x - y|^2 (compute.Cost): a power |x - y|_2^P of
// the distance, or a dense cost matrix read from a buffer (POT's M).
//
// Go equivalent (compute.CPU.SoftMin with Pairs.Cost set), for i in [0, n):
//
//	for j := range m { v := lw[j] + (g[j] - C(i, j)) / eps; online-logsumexp(v) }
//	dst[i] = -eps * log(sum)
//
// with, by MODE:
//
//	0: C(i, j) = |x_i - y_j|_2^P  (P = 1: the norm; else pow(|x - y|^2, P/2))
//	1: C(i, j) = Cm[i*m + j]      (row-major N x M)
//	2: C(i, j) = Cm[j*n + i]      (transposed: the column reduction of a stored matrix)
//
// Feydy et al. 2019 (Interpolating between OT and MMD, eq. 8): the
// c-transform for any cost. The squared Euclidean cost keeps its own tiled
// kernels (softmin.wgsl, softmin_small.wgsl); this one is the plain loop,
// one row per invocation, no workgroup memory: in MODE 2 neighbouring
// invocations read neighbouring words of Cm (coalesced); in MODE 1 each
// invocation streams its own row. Everything is in base 2 (exp2, log2;
// kinv = log2(e)/eps, lwk = log2(e), outk = -eps ln 2), as in softmin.wgsl.
//
// The column range is split over the z dimension of the grid, jchunk
// columns per split: to fill the device when n is small, and to keep each
// invocation under lavapipe's loop limiter (65,535 iterations, nested
// loops counted together; compute/webgpu sizes jchunk). With nsplit > 1
// each split writes its (max, sum) pair and softmin_combine.wgsl merges.
//
// Bindings: 0 dst (n, or 2*n*nsplit partials), 1 X (n*D), 2 Y (m*D),
// 3 Cm (n*m; unused in MODE 0), 4 LW (m; unused unless has_w), 5 G (m;
// unused unless has_g), 6 uniform Params. Workgroup: 64 invocations, one
// row each; the row grid folds past 65,535 workgroups into y.

//#include inc_cost.wgsl

@group(0) @binding(6) var<uniform> P: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 64u;
  if (i >= P.n) { return; }
  let j0 = gid.z * P.jchunk;
  let j1 = min(j0 + P.jchunk, P.m);
  var mx = NEG;
  var s = 0.0;
  for (var j = j0; j < j1; j++) {
    let v = logit2(i, j);
    if (v <= mx) {
      s += exp2(v - mx);
    } else {
      s = fma(s, exp2(mx - v), 1.0);
      mx = v;
    }
  }
  if (P.nsplit == 1u) {
    dst[i] = P.outk * (mx + log2(s));
  } else {
    let o = 2u * (gid.z * P.n + i);
    dst[o] = mx;
    dst[o + 1u] = s;
  }
}
