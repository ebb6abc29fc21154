// inc_cost.wgsl: the ground cost C(i, j) of softmin_cost.wgsl and
// softmean_cost.wgsl, by MODE (see there), and the base-2 logit of a pair.
// Needs X, Y, Cm, LW, G, P (n, m, has_w, has_g, kinv, lwk, power) and the
// constants D and MODE.

fn cost(i: u32, j: u32) -> f32 {
  if (MODE == 1u) { return Cm[i * P.m + j]; }
  if (MODE == 2u) { return Cm[j * P.n + i]; }
  var c = 0.0;
  for (var k = 0u; k < D; k++) {
    let t = X[i * D + k] - Y[j * D + k];
    c = fma(t, t, c);
  }
  if (P.power == 1.0) { return sqrt(c); }
  if (c <= 0.0) { return 0.0; }
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
