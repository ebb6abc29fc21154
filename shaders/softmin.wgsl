// softmin.wgsl: the fused soft-min (log-sum-exp) over all pairs.
//
// Go equivalent (compute.CPU.SoftMin), for i in [0, n):
//
//	for j := j0; j < j1; j++ { v := lw[j] + (g[j] - |x_i - y_j|^2) / eps; online-logsumexp(v) }
//	dst[i] = -eps * log(sum)                      (nsplit == 1)
//	part[2*(split*n+i)+{0,1}] = (max, sum)        (nsplit > 1; softmin_combine.wgsl merges)
//
// Feydy et al. 2019 (Interpolating between OT and MMD, eq. 8; GeomLoss),
// computed KeOps-style: C_ij is never stored. Everything is in base 2:
// coordinates are scaled by sqrt(log2(e)/eps) so |x'-y'|^2 =
// C_ij log2(e)/eps, and exp2 replaces exp.
//
// EXPAND = 1 (used for D <= 4, where the exp would otherwise wait on the
// ALU): in a frame centred on y_0, |x'-y'|^2 = |x'|^2 + |y'|^2 - 2<x', y'>;
// the tile holds 2y' and H_j = h_j - |y'_j|^2, so a pair costs D FMAs and
// one exp2, and the row term -|x'_i|^2 is added after the log-sum-exp.
// Rounding grows from ~1e-7 C_ij to ~1e-7 diam^2 (absolute, in cost
// units): within the documented float32 tolerance. EXPAND = 0 keeps the
// direct difference (higher D, where speed is ALU-bound either way).
//
// Bindings: 0 dst (n, or 2*n*nsplit partials), 1 X (n*D), 2 Y (m*D),
// 3 LW (m log-weights; unused unless has_w), 4 G (m potential; unused unless
// has_g), 5 uniform Params.
// Workgroup: WG invocations, each owning R rows (strided by WG so loads of
// X coalesce); Y is tiled through workgroup memory, TILE points of D+1
// floats (coordinates and the column bias h_j), so each y_j loaded from
// global memory serves WG*R rows. The grid is (row blocks folded into x and
// y, splits of the j range in z): splitting j fills the GPU when n is small.
// The online log-sum-exp keeps a running max and rescales only when it
// grows, so almost every pair costs one exp2.

struct Params {
  n: u32, m: u32, jchunk: u32, nsplit: u32,
  scale: f32, geps: f32, lwk: f32, outk: f32,
  has_w: u32, has_g: u32, gx: u32, pad: u32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> LW: array<f32>;
@group(0) @binding(4) var<storage, read> G: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;

const D: u32 = {{D}}u;
const R: u32 = {{R}}u;
const WG: u32 = {{WG}}u;
const TILE: u32 = {{TILE}}u;
const STRIDE: u32 = D + 1u;
const EXPAND: bool = {{EXPAND}}u == 1u;
const NEG: f32 = -3.0e38;

var<workgroup> tile: array<f32, {{TILEF}}>;

//#include inc_lse.wgsl

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let block = wid.x + wid.y * P.gx;
  let j0 = wid.z * P.jchunk;
  let j1 = min(j0 + P.jchunk, P.m);
  var xi: array<array<f32, D>, R>;
  var qi: array<f32, R>;
  var mx: array<f32, R>;
  var s: array<f32, R>;
  var ctr: array<f32, D>;
  for (var k = 0u; k < D; k++) { ctr[k] = select(0.0, Y[k], EXPAND); }
  for (var r = 0u; r < R; r++) {
    let i = block * WG * R + r * WG + lid.x;
    mx[r] = NEG;
    s[r] = 0.0;
    qi[r] = 0.0;
    let ii = min(i, P.n - 1u);
    for (var k = 0u; k < D; k++) {
      let t = (X[ii * D + k] - ctr[k]) * P.scale;
      xi[r][k] = t;
      qi[r] = fma(t, t, qi[r]);
    }
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
    }
    workgroupBarrier();
    for (var q = 0u; q < cnt; q++) {
      let h = tile[q * STRIDE + D];
      for (var r = 0u; r < R; r++) {
        var v = h;
        if (EXPAND) {
          for (var k = 0u; k < D; k++) { v = fma(xi[r][k], tile[q * STRIDE + k], v); }
        } else {
          var c = 0.0;
          for (var k = 0u; k < D; k++) {
            let t = xi[r][k] - tile[q * STRIDE + k];
            c = fma(t, t, c);
          }
          v = h - c;
        }
        if (v <= mx[r]) {
          s[r] += exp2(v - mx[r]);
        } else {
          s[r] = fma(s[r], exp2(mx[r] - v), 1.0);
          mx[r] = v;
        }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < R; r++) {
    let i = block * WG * R + r * WG + lid.x;
    if (i < P.n) {
      // EXPAND: the row term -|x'_i|^2 was left out of every v; add it back.
      let m = select(mx[r], mx[r] - qi[r], EXPAND);
      if (P.nsplit == 1u) {
        dst[i] = lse_out(P.outk, m, s[r]);
      } else {
        let o = 2u * (wid.z * P.n + i);
        dst[o] = m;
        dst[o + 1u] = s[r];
      }
    }
  }
}
