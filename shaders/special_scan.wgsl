// special_scan.wgsl: marks a call whose inputs hold a special value, for
// exact_rows.wgsl on a software adapter.
//
// exact_rows.wgsl finds the rows to compute again by their results (NaN
// or infinite), which holds where exp2 of NaN is NaN (lavapipe, NVIDIA,
// SwiftShader through naga). SwiftShader through Chromium's Tint gave a
// finite, wrong soft-min at d = 64 for a NaN potential or a column at
// infinity, so on software adapters the inputs themselves are scanned,
// O(N d + M d), the cost of one more pass over the clouds: a column bias
// h_j = logw_j + g_j/eps of +Inf or NaN (compute's allFinite), or a
// coordinate of a row or a column that is NaN or infinite.
//
// Go equivalent: if any of them { flag[0] = seq }  (seq: this call's
// number, 1 .. 2^22 - 1, exact in float32, so that no dispatch has to
// clear the flag first; several invocations storing the same word is the
// only race).
//
// Bindings: 0 flag (1 word), 1 X, 2 Y, 3 LW, 4 G, 5 uniform Params.
// Workgroup: 256 invocations, one row and one column each; the grid folds
// into y.

struct Params {
  n: u32, m: u32, d: u32, gx: u32,
  has_w: u32, has_g: u32, inv_eps: f32, seq: u32,
}

@group(0) @binding(0) var<storage, read_write> flag: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> LW: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;

// special tests the exponent bits: NaN or an infinity.
fn special(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 256u;
  var bad = false;
  if (i < P.n) {
    for (var k = 0u; k < P.d; k++) { bad = bad || special(X[i * P.d + k]); }
  }
  if (i < P.m) {
    for (var k = 0u; k < P.d; k++) { bad = bad || special(Y[i * P.d + k]); }
    var h = 0.0;
    if (P.has_g != 0u) { h = G[i] * P.inv_eps; }
    if (P.has_w != 0u) { h += LW[i]; }
    // +Inf or NaN; -Inf (a column of zero weight) is no special case.
    bad = bad || (special(h) && bitcast<u32>(h) != 0xff800000u);
  }
  if (bad) { flag[0] = f32(P.seq); }
}
