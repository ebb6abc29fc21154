// softmean_combine.wgsl: merges the per-split partials of
// softmean_small.wgsl and pairs_mid.wgsl into the soft-mean.
//
// Go equivalent, for i in [0, n):
//
//	M := max_k m_k;  c_k := 2^(m_k - M)
//	dst[i*DV+t] = sum_k c_k acc_k[t] / sum_k c_k s_k
//
// Bindings: 0 dst (n*DV), 1 part (nsplit*n*(DV+2)), 2 uniform Params.
// Workgroup: 64 invocations, one row each; the grid folds into y.

struct Params { n: u32, nsplit: u32, gx: u32, dv: u32 }

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 64u;
  if (i >= P.n) { return; }
  let stride = P.dv + 2u;
  var m = -3.0e38;
  for (var k = 0u; k < P.nsplit; k++) { m = max(m, part[(k * P.n + i) * stride]); }
  var s = 0.0;
  for (var k = 0u; k < P.nsplit; k++) {
    let o = (k * P.n + i) * stride;
    s = fma(part[o + 1u], exp2(part[o] - m), s);
  }
  // One value column at a time, so that any dv fits (pairs_mid.wgsl
  // writes up to 16).
  for (var t = 0u; t < P.dv; t++) {
    var a = 0.0;
    for (var k = 0u; k < P.nsplit; k++) {
      let o = (k * P.n + i) * stride;
      a = fma(part[o + 2u + t], exp2(part[o] - m), a);
    }
    dst[i * P.dv + t] = a / s;
  }
}
