// inc_exact.wgsl: compute's reference soft-min of one row (compute.rowLSE
// and pairLogits, compute/cost.go) in float32, for the kernels that redo
// the rows the fast kernels left NaN or infinite (exact_rows.wgsl,
// softmin_combine.wgsl, softmin_combine_wide.wgsl; see exact_rows.wgsl for
// why such rows appear). The including kernel binds X, Y, LW and G and
// has P.m, P.d, P.has_w, P.has_g, P.inv_eps (1/eps) and P.eps.
//
// Online normalizer: Milakov and Gimelshein (2018), "Online normalizer
// calculation for softmax", Algorithm 3, with the reference's rule for
// several +Inf logits (their weights tend to equal ones).

// float32's largest finite value: rowLSE's starting maximum (not -Inf, so
// that a column of zero weight adds e^(-Inf) = 0, not e^(-Inf + Inf)).
const MAXF: f32 = 0x1.fffffep+127f;

// finite tests the exponent bits (WGSL has no isnan or isinf, and a
// compiler may fold comparisons with NaN).
fn finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn pos_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0x7f800000u;
}

// logit is l_j of row i: logw_j + (g_j - |x_i - y_j|^2) / eps, in the
// reference's order of operations (compute.pairLogits).
fn logit(i: u32, j: u32) -> f32 {
  var c = 0.0;
  for (var k = 0u; k < P.d; k++) {
    let t = X[i * P.d + k] - Y[j * P.d + k];
    c = fma(t, t, c);
  }
  var v = -c;
  if (P.has_g != 0u) { v += G[j]; }
  v *= P.inv_eps;
  if (P.has_w != 0u) { v += LW[j]; }
  return v;
}

// exact_softmin is -eps log sum_j e^(l_j) over all P.m columns of row i,
// with rowLSE's running maximum: -Inf where a logit is +Inf, +Inf where
// every logit is -Inf, NaN where one is NaN.
fn exact_softmin(i: u32) -> f32 {
  var mx = -MAXF;
  var s = 0.0;
  for (var j = 0u; j < P.m; j++) {
    let v = logit(i, j);
    if (v <= mx) {
      if (!(v == mx && pos_inf(v))) { s += exp(v - mx); }
    } else {
      s = fma(s, exp(mx - v), 1.0);
      mx = v;
    }
  }
  return -P.eps * (mx + log(s));
}
