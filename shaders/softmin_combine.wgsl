// softmin_combine.wgsl: merges the per-split partial log-sum-exps of
// softmin.wgsl into the soft-min.
//
// Go equivalent, for i in [0, n):
//
//	M := max_k part[k].max;  S := sum_k part[k].sum * 2^(part[k].max - M)
//	dst[i] = outk * (M + log2 S)                       (outk = -eps ln 2)
//
// Bindings: 0 dst (n), 1 part (2*n*nsplit), 2 uniform Params.
// Workgroup: 64 invocations, one row each; the grid folds past 65,535
// workgroups into y.

struct Params { n: u32, nsplit: u32, gx: u32, pad: u32, outk: f32, p1: f32, p2: f32, p3: f32 }

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 64u;
  if (i >= P.n) { return; }
  var m = -3.0e38;
  for (var k = 0u; k < P.nsplit; k++) { m = max(m, part[2u * (k * P.n + i)]); }
  var s = 0.0;
  for (var k = 0u; k < P.nsplit; k++) {
    let o = 2u * (k * P.n + i);
    s += part[o + 1u] * exp2(part[o] - m);
  }
  dst[i] = P.outk * (m + log2(s));
}
