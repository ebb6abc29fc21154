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
// invocation streams its own row.
//
// Bindings: 0 dst (n), 1 X (n*D), 2 Y (m*D), 3 Cm (n*m; unused in MODE 0),
// 4 LW (m; unused unless has_w), 5 G (m; unused unless has_g), 6 uniform
// Params. Workgroup: 64 invocations, one row each; the grid folds past
// 65,535 workgroups into y.

struct Params {
  n: u32, m: u32, gx: u32, has_w: u32,
  has_g: u32, p0: u32, p1: u32, p2: u32,
  inv_eps: f32, eps: f32, power: f32, p3: f32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> Cm: array<f32>;
@group(0) @binding(4) var<storage, read> LW: array<f32>;
@group(0) @binding(5) var<storage, read> G: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;

const D: u32 = {{D}}u;
const MODE: u32 = {{MODE}}u;
const NEG: f32 = -3.0e38;

//#include inc_cost.wgsl

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 64u;
  if (i >= P.n) { return; }
  var mx = NEG;
  var s = 0.0;
  for (var j = 0u; j < P.m; j++) {
    var v = -cost(i, j);
    if (P.has_g != 0u) { v += G[j]; }
    v *= P.inv_eps;
    if (P.has_w != 0u) { v += LW[j]; }
    if (v <= mx) {
      s += exp(v - mx);
    } else {
      s = fma(s, exp(mx - v), 1.0);
      mx = v;
    }
  }
  dst[i] = -P.eps * (mx + log(s));
}
