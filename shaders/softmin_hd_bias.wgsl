// softmin_hd_bias.wgsl: the column term of the tiled high-dimensional
// soft-min (softmin_hd.wgsl), computed once per call.
//
// Go equivalent, for j in [0, m), with y'_j = y_j - y_0 (the frame centred
// on the first column, which keeps |y'|^2 near the cloud's diameter
// squared instead of its distance from the origin):
//
//	H[j] = lw[j] log2(e) + g[j] log2(e)/eps - |y'_j|^2 log2(e)/eps
//
// Bindings: 0 H (m), 1 Y (m*D), 2 LW (m), 3 G (m), 4 uniform Params.
// Workgroup: 256 invocations, one column each; the grid folds past 65,535
// workgroups into y.

struct Params {
  m: u32, d: u32, gx: u32, pad: u32,
  lwk: f32, geps: f32, has_w: u32, has_g: u32,
}

@group(0) @binding(0) var<storage, read_write> H: array<f32>;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read> LW: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x + gid.y * P.gx * 256u;
  if (j >= P.m) { return; }
  var yy = 0.0;
  for (var k = 0u; k < P.d; k++) {
    let t = Y[j * P.d + k] - Y[k];
    yy = fma(t, t, yy);
  }
  var h = -yy * P.geps;
  if (P.has_w != 0u) { h += LW[j] * P.lwk; }
  if (P.has_g != 0u) { h += G[j] * P.geps; }
  H[j] = h;
}
