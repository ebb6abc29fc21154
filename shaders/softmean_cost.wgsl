// softmean_cost.wgsl: the softmax-weighted mean over all pairs for a
// ground cost other than |x - y|^2 (compute.Cost; see softmin_cost.wgsl
// for the costs by MODE).
//
// Go equivalent (compute.CPU.SoftMean with Pairs.Cost set), for i in [0, n):
//
//	w_ij = exp(lw[j] + (g[j] - C(i, j)) / eps)
//	dst[i*DV+k] = sum_j w_ij V[j*DV+k] / sum_j w_ij    (one online pass)
//
// The barycentric projection of the entropic plan (Pooladian and
// Niles-Weed 2021, eq. (3)) for any cost.
//
// Base 2 and the split of the column range over the grid's z dimension
// as in softmin_cost.wgsl; with nsplit > 1 each split writes (max, sum,
// acc[DV]) and softmean_cost_combine.wgsl merges.
//
// Bindings: 0 dst (n*DV, or nsplit*n*(DV+2) partials), 1 X (n*D), 2 Y
// (m*D), 3 Cm (n*m; unused in MODE 0), 4 LW, 5 G, 6 V (m*DV), 7 uniform
// Params. Workgroup: 64 invocations, one row each (the DV accumulators
// live in registers or private memory); the row grid folds past 65,535
// workgroups into y.

//#include inc_cost.wgsl

@group(0) @binding(6) var<storage, read> V: array<f32>;
@group(0) @binding(7) var<uniform> P: Params;

const DV: u32 = {{DV}}u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 64u;
  if (i >= P.n) { return; }
  let j0 = gid.z * P.jchunk;
  let j1 = min(j0 + P.jchunk, P.m);
  var acc: array<f32, DV>;
  var mx = NEG;
  var s = 0.0;
  for (var j = j0; j < j1; j++) {
    let l = logit2(i, j);
    if (l <= mx) {
      let w = exp2(l - mx);
      s += w;
      for (var k = 0u; k < DV; k++) { acc[k] = fma(w, V[j * DV + k], acc[k]); }
    } else {
      let r = exp2(mx - l);
      s = fma(s, r, 1.0);
      for (var k = 0u; k < DV; k++) { acc[k] = fma(acc[k], r, V[j * DV + k]); }
      mx = l;
    }
  }
  if (P.nsplit == 1u) {
    for (var k = 0u; k < DV; k++) { dst[i * DV + k] = acc[k] / s; }
  } else {
    let o = (gid.z * P.n + i) * (DV + 2u);
    dst[o] = mx;
    dst[o + 1u] = s;
    for (var k = 0u; k < DV; k++) { dst[o + 2u + k] = acc[k]; }
  }
}
