// softmin_hd_bias.wgsl: the column term of the tiled high-dimensional
// soft-min and soft-mean (softmin_hd*.wgsl, softmean_hd*.wgsl), computed
// once per call; with geps = -log2(e)/eps and no weights it gives their
// row term instead.
//
// Go equivalent, for j in [0, mpad), with y'_j = y_j - C (C = y_0: the
// frame centred on the first column, which keeps |y'|^2 near the cloud's
// diameter squared instead of its distance from the origin):
//
//	H[j] = lw[j] lwk + g[j] geps - |y'_j|^2 geps     (j < m)
//	H[j] = -3e38                                     (m <= j < mpad: padding)
//
// lwk = log2(e), geps = log2(e)/eps for the column term.
//
// Bindings: 0 H (mpad), 1 Y (m*D), 2 LW (m), 3 G (m), 4 C (D: the centre),
// 5 uniform Params.
// Workgroup: 256 invocations, one column each; the grid folds past 65,535
// workgroups into y.

struct Params {
  m: u32, d: u32, gx: u32, mpad: u32,
  lwk: f32, geps: f32, has_w: u32, has_g: u32,
}

@group(0) @binding(0) var<storage, read_write> H: array<f32>;
@group(0) @binding(1) var<storage, read> Y: array<f32>;
@group(0) @binding(2) var<storage, read> LW: array<f32>;
@group(0) @binding(3) var<storage, read> G: array<f32>;
@group(0) @binding(4) var<storage, read> C: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x + gid.y * P.gx * 256u;
  if (j >= P.mpad) { return; }
  if (j >= P.m) {
    H[j] = -3.0e38;
    return;
  }
  var yy = 0.0;
  for (var k = 0u; k < P.d; k++) {
    let t = Y[j * P.d + k] - C[k];
    yy = fma(t, t, yy);
  }
  var h = -yy * P.geps;
  if (P.has_w != 0u) { h += LW[j] * P.lwk; }
  if (P.has_g != 0u) { h += G[j] * P.geps; }
  H[j] = h;
}
