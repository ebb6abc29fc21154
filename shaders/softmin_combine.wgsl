// softmin_combine.wgsl: merges the per-split partial log-sum-exps of
// softmin.wgsl into the soft-min.
//
// Go equivalent, for i in [0, n):
//
//	M := max_k part[k].max;  S := sum_k part[k].sum * 2^(part[k].max - M)
//	dst[i] = outk * (M + log2 S)                       (outk = -eps ln 2)
//
// A row that comes out NaN or infinite (a special value in the inputs:
// a +Inf potential, an infinite coordinate, a NaN) is computed again from
// X, Y, LW and G with compute's reference loops when P.exact is set
// (inc_exact.wgsl; on hardware: a software adapter's loop limit leaves
// that to exact_rows.wgsl's chunks): one test a row, no work per pair.
//
// Bindings: 0 dst (n), 1 part (2*n*nsplit), 2 X, 3 Y, 4 LW, 5 G, 6 uniform
// Params.
// Workgroup: 64 invocations, one row each; the grid folds past 65,535
// workgroups into y.

struct Params {
  n: u32, nsplit: u32, gx: u32, exact: u32, outk: f32, p1: f32, p2: f32, p3: f32,
  m: u32, d: u32, has_w: u32, has_g: u32, inv_eps: f32, eps: f32, p4: u32, p5: u32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array<f32>;
@group(0) @binding(4) var<storage, read> LW: array<f32>;
@group(0) @binding(5) var<storage, read> G: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;

//#include inc_exact.wgsl
//#include inc_lse.wgsl

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
  var f = lse_out(P.outk, m, s);
  if (P.exact != 0u && !finite(f)) { f = exact_softmin(i); }
  dst[i] = f;
}
