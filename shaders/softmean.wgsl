// softmean.wgsl: the softmax-weighted mean of values over all pairs, the
// twin of softmin.wgsl.
//
// Go equivalent (compute.CPU.SoftMean), for i in [0, n):
//
//	w_ij := exp(lw[j] + (g[j] - |x_i - y_j|^2) / eps)
//	dst[i*DV+k] = sum_j w_ij V[j*DV+k] / sum_j w_ij
//
// With V = Y it is the barycentric projection of the entropic plan, the
// entropic map of Pooladian and Niles-Weed 2021 (eq. 3); with
// Y = sqrt(abar) * data and eps = 2 (1 - abar) it is the exact denoiser
// E[x_0 | x_t] of a finite data set (Karras et al. 2022, eq. 57 in the
// VP parametrisation). Base 2, and EXPAND (the centred expansion of the
// squared distance for D <= 4) as in softmin.wgsl; the row term cancels
// in the ratio, so it is never added back.
//
// With the column range split across workgroups (grid z, jchunk columns
// each: compute/webgpu splits it on software adapters, whose loop limiter
// would end a long range early) each split writes its partial per row,
// part[(split*n+i)*(DV+2) + {0, 1, 2..}] = (max, sum, acc[DV]), merged by
// softmean_combine.wgsl.
//
// Bindings: 0 dst (n*DV, or the partials), 1 X (n*D), 2 Y (m*D), 3 LW (m), 4 G (m), 5 V (m*DV),
// 6 uniform Params.
// Workgroup: WG invocations, R rows each; Y, the bias h_j and V are tiled
// through workgroup memory (TILE points of D+1+DV floats). The running
// accumulator of DV floats per row is rescaled only when the max grows.

// (Params shared with softmean_small.wgsl.)
struct Params {
  n: u32, m: u32, gx: u32, nsplit: u32,
  scale: f32, geps: f32, lwk: f32, pad1: f32,
  has_w: u32, has_g: u32, jchunk: u32, pad3: u32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> LW: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<storage, read> V: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;

const D: u32 = {{D}}u;
const DV: u32 = {{DV}}u;
const R: u32 = {{R}}u;
const WG: u32 = {{WG}}u;
const TILE: u32 = {{TILE}}u;
const STRIDE: u32 = D + 1u + DV;
const EXPAND: bool = {{EXPAND}}u == 1u;
const NEG: f32 = -3.0e38;

var<workgroup> tile: array<f32, {{TILEF}}>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let block = wid.x + wid.y * P.gx;
  let j0 = wid.z * P.jchunk;
  let j1 = min(j0 + P.jchunk, P.m);
  var xi: array<array<f32, D>, R>;
  var acc: array<array<f32, DV>, R>;
  var mx: array<f32, R>;
  var s: array<f32, R>;
  var ctr: array<f32, D>;
  for (var k = 0u; k < D; k++) { ctr[k] = select(0.0, Y[k], EXPAND); }
  for (var r = 0u; r < R; r++) {
    let i = block * WG * R + r * WG + lid.x;
    mx[r] = NEG;
    s[r] = 0.0;
    for (var k = 0u; k < DV; k++) { acc[r][k] = 0.0; }
    for (var k = 0u; k < D; k++) { xi[r][k] = (X[min(i, P.n - 1u) * D + k] - ctr[k]) * P.scale; }
  }
  for (var t0 = j0; t0 < j1; t0 += TILE) {
    let cnt = min(TILE, j1 - t0);
    for (var q = lid.x; q < cnt; q += WG) {
      let j = t0 + q;
      var h = 0.0;
      if (P.has_w != 0u) { h += LW[j] * P.lwk; }
      if (P.has_g != 0u) { h += G[j] * P.geps; }
      var yy = 0.0;
      for (var k = 0u; k < D; k++) {
        let t = (Y[j * D + k] - ctr[k]) * P.scale;
        yy = fma(t, t, yy);
        tile[q * STRIDE + k] = select(t, 2.0 * t, EXPAND);
      }
      tile[q * STRIDE + D] = select(h, h - yy, EXPAND);
      for (var k = 0u; k < DV; k++) { tile[q * STRIDE + D + 1u + k] = V[j * DV + k]; }
    }
    workgroupBarrier();
    for (var q = 0u; q < cnt; q++) {
      let base = q * STRIDE;
      let h = tile[base + D];
      for (var r = 0u; r < R; r++) {
        var v = h;
        if (EXPAND) {
          for (var k = 0u; k < D; k++) { v = fma(xi[r][k], tile[base + k], v); }
        } else {
          var c = 0.0;
          for (var k = 0u; k < D; k++) {
            let t = xi[r][k] - tile[base + k];
            c = fma(t, t, c);
          }
          v = h - c;
        }
        if (v <= mx[r]) {
          let w = exp2(v - mx[r]);
          s[r] += w;
          for (var k = 0u; k < DV; k++) { acc[r][k] = fma(w, tile[base + D + 1u + k], acc[r][k]); }
        } else {
          let rs = exp2(mx[r] - v);
          s[r] = fma(s[r], rs, 1.0);
          for (var k = 0u; k < DV; k++) { acc[r][k] = fma(acc[r][k], rs, tile[base + D + 1u + k]); }
          mx[r] = v;
        }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < R; r++) {
    let i = block * WG * R + r * WG + lid.x;
    if (i < P.n && P.nsplit == 1u) {
      let inv = 1.0 / s[r];
      for (var k = 0u; k < DV; k++) { dst[i * DV + k] = acc[r][k] * inv; }
    }
    if (i < P.n && P.nsplit > 1u) {
      let o = (wid.z * P.n + i) * (DV + 2u);
      dst[o] = mx[r];
      dst[o + 1u] = s[r];
      for (var k = 0u; k < DV; k++) { dst[o + 2u + k] = acc[r][k]; }
    }
  }
}
