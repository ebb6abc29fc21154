// inc_cost.wgsl: what softmin_cost.wgsl and softmean_cost.wgsl share:
// their Params (the uniform P, declared by each kernel after its own
// bindings), bindings 0 to 5 (dst, X, Y, Cm, LW, G), the constants D and
// MODE, the ground cost C(i, j) by MODE (see softmin_cost.wgsl) and the
// base-2 logit of a pair.

struct Params {
  n: u32, m: u32, gx: u32, has_w: u32,
  has_g: u32, jchunk: u32, nsplit: u32, p0: u32,
  kinv: f32, lwk: f32, outk: f32, power: f32,
}

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<storage, read> Cm: array<f32>;
@group(0) @binding(4) var<storage, read> LW: array<f32>;
@group(0) @binding(5) var<storage, read> G: array<f32>;

const D: u32 = {{D}}u;
const MODE: u32 = {{MODE}}u;
const NEG: f32 = -3.0e38;

fn cost(i: u32, j: u32) -> f32 {
  if (MODE == 1u) { return Cm[i * P.m + j]; }
  if (MODE == 2u) { return Cm[j * P.n + i]; }
  var c = 0.0;
  for (var k = 0u; k < D; k++) {
    let t = X[i * D + k] - Y[j * D + k];
    c = fma(t, t, c);
  }
  return powerCost(c);
}

// powerCost returns |x - y|^P from c = |x - y|^2. A NaN or +Inf c is
// returned as it is, tested on the bits: WGSL leaves pow of NaN
// indeterminate, and lavapipe's, computed from the exponent bits, was
// finite (a NaN coordinate then gave a column no weight and a row a
// finite soft-min; TestCostNaNPoints).
fn powerCost(c: f32) -> f32 {
  if (P.power == 2.0) { return c; }
  if (P.power == 1.0) { return sqrt(c); }
  if (c <= 0.0) { return 0.0; }
  if ((bitcast<u32>(c) & 0x7f800000u) == 0x7f800000u) { return c; }
  return pow(c, 0.5 * P.power);
}

// logit2 returns (lw[j] + (g[j] - C(i, j)) / eps) log2(e).
fn logit2(i: u32, j: u32) -> f32 {
  var v = -cost(i, j);
  if (P.has_g != 0u) { v += G[j]; }
  v *= P.kinv;
  if (P.has_w != 0u) { v = fma(LW[j], P.lwk, v); }
  return v;
}
