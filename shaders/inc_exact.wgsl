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

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// from_bits is bitcast<f32>(b) at run time: a NaN or an infinity in a WGSL
// constant expression is a shader-creation error.
fn from_bits(b: u32) -> f32 {
  return bitcast<f32>(b);
}

// softmin_value is -eps (mx + log s) with the reference's special values
// spelled out, since a software rasteriser's compiler (SwiftShader, seen
// natively and in Chromium) may take NaN <= x as true, and its exp and
// log need not return NaN, Inf or 0 at the ends: NaN where a logit was
// NaN, -Inf where one was +Inf, +Inf where every one was -Inf (s = 0).
fn softmin_value(nan: bool, mx: f32, s: f32) -> f32 {
  if (nan) { return from_bits(0x7fc00000u); }
  if (pos_inf(mx)) { return from_bits(0xff800000u); }
  if (s == 0.0) { return from_bits(0x7f800000u); }
  return -P.eps * (mx + log(s));
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
  var nan = false;
  for (var j = 0u; j < P.m; j++) {
    let v = logit(i, j);
    if (is_nan(v)) {
      nan = true;
    } else if (v <= mx) {
      if (!(v == mx && pos_inf(v))) { s += exp(v - mx); }
    } else {
      s = fma(s, exp(mx - v), 1.0);
      mx = v;
    }
  }
  return softmin_value(nan, mx, s);
}
