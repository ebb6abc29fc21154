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
// kernels (softmin.wgsl, softmin_small.wgsl); this one reads the columns
// from global memory, R rows per invocation (strided by 64, so loads of X
// and, in MODE 2, of Cm coalesce): each column's coordinates and bias
// h_j = (lw_j + g_j / eps) log2(e) are loaded once for R rows, and the R
// exp chains are independent. Everything is in base 2 (exp2, log2;
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
// unused unless has_g), 6 uniform Params. Workgroup: 64 invocations of R
// rows each; the row-block grid folds past 65,535 workgroups into y.

//#include inc_cost.wgsl

@group(0) @binding(6) var<uniform> P: Params;

const R: u32 = {{R}}u;

//#include inc_lse.wgsl

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let block = wid.x + wid.y * P.gx;
  let j0 = wid.z * P.jchunk;
  let j1 = min(j0 + P.jchunk, P.m);
  var row: array<u32, R>;
  var xi: array<array<f32, D>, R>;
  var mx: array<f32, R>;
  var s: array<f32, R>;
  for (var r = 0u; r < R; r++) {
    row[r] = min(block * 64u * R + r * 64u + lid.x, P.n - 1u);
    mx[r] = NEG;
    s[r] = 0.0;
    if (MODE == 0u) {
      for (var k = 0u; k < D; k++) { xi[r][k] = X[row[r] * D + k]; }
    }
  }
  var yj: array<f32, D>;
  for (var j = j0; j < j1; j++) {
    var h = 0.0;
    if (P.has_g != 0u) { h = G[j] * P.kinv; }
    if (P.has_w != 0u) { h = fma(LW[j], P.lwk, h); }
    if (MODE == 0u) {
      for (var k = 0u; k < D; k++) { yj[k] = Y[j * D + k]; }
    }
    for (var r = 0u; r < R; r++) {
      var c: f32;
      if (MODE == 1u) {
        c = Cm[row[r] * P.m + j];
      } else if (MODE == 2u) {
        c = Cm[j * P.n + row[r]];
      } else {
        c = 0.0;
        for (var k = 0u; k < D; k++) {
          let t = xi[r][k] - yj[k];
          c = fma(t, t, c);
        }
        c = powerCost(c);
      }
      let v = fma(-c, P.kinv, h);
      if (v <= mx[r]) {
        s[r] += exp2(v - mx[r]);
      } else {
        s[r] = fma(s[r], exp2(mx[r] - v), 1.0);
        mx[r] = v;
      }
    }
  }
  for (var r = 0u; r < R; r++) {
    let i = block * 64u * R + r * 64u + lid.x;
    if (i < P.n) {
      if (P.nsplit == 1u) {
        dst[i] = lse_out(P.outk, mx[r], s[r]);
      } else {
        let o = 2u * (wid.z * P.n + i);
        dst[o] = mx[r];
        dst[o + 1u] = s[r];
      }
    }
  }
}
