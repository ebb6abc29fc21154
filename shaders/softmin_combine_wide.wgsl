// softmin_combine_wide.wgsl: softmin_combine.wgsl with LANES invocations
// per row, for many splits (N = 1e4 on an H100: 39 of them).
//
// The same result as softmin_combine.wgsl (see there for the Go loop):
// lane l of a row merges the partials k = l, l + LANES, ... online
// (Milakov and Gimelshein 2018, "Online normalizer calculation for
// softmax", eq. (4): m' = max(m, m_k), s' = s 2^(m - m') + s_k 2^(m_k - m')),
// so that each invocation's chain of dependent loads is nsplit / LANES long
// instead of 2 nsplit, then lane 0 merges the LANES pairs from workgroup
// memory the same way and writes dst[i] = outk (m + log2 s).
//
// Bindings: 0 dst (n), 1 part (2*n*nsplit), 2 X, 3 Y, 4 LW, 5 G, 6 uniform
// Params (as softmin_combine.wgsl, whose exact redo of rows left NaN or
// infinite lane 0 runs here).
// Workgroup: 64 invocations = 64 / LANES rows; the grid folds past 65,535
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

const LANES: u32 = {{LANES}}u;
const ROWS: u32 = 64u / LANES;

var<workgroup> red: array<vec2<f32>, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3u) {
  let row = li / LANES;
  let lane = li % LANES;
  let i = (wid.x + wid.y * P.gx) * ROWS + row;
  var m = -3.0e38;
  var s = 0.0;
  if (i < P.n) {
    for (var k = lane; k < P.nsplit; k += LANES) {
      let o = 2u * (k * P.n + i);
      let mk = part[o];
      let sk = part[o + 1u];
      let mn = max(m, mk);
      s = s * exp2(m - mn) + sk * exp2(mk - mn);
      m = mn;
    }
  }
  red[li] = vec2<f32>(m, s);
  workgroupBarrier();
  if (lane == 0u && i < P.n) {
    for (var l = 1u; l < LANES; l++) {
      let p = red[li + l];
      let mn = max(m, p.x);
      s = s * exp2(m - mn) + p.y * exp2(p.x - mn);
      m = mn;
    }
    var f = lse_out(P.outk, m, s);
    if (P.exact != 0u && !finite(f)) { f = exact_softmin(i); }
    dst[i] = f;
  }
}
