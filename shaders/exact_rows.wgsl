// exact_rows.wgsl: recomputes, with compute's reference loops, the rows
// of a soft-min or soft-mean that the fast kernels left not finite.
//
// The fast kernels (softmin_small.wgsl, pairs_mid.wgsl, softmin_hd*.wgsl,
// the generic softmin.wgsl and softmean.wgsl and their combines) shift each
// row by a maximum taken before the sum and expand |x - y|^2 (centred, or as
// |x|^2 - 2 x.y + |y|^2): a column bias h_j = logw_j + g_j/eps of +Inf
// gives them 2^(Inf - Inf) = NaN, and an infinite coordinate Inf - Inf,
// where the reference (compute.rowLSE and rowMean, compute/cost.go) gives
// the soft-min -Inf (every row's sum is +Inf), the soft-mean the mean of
// the +Inf columns' values, a cost of +Inf to an infinite coordinate (the
// row's soft-min +Inf, a column no weight). Every such row comes out NaN
// or infinite, so this pass, dispatched after them, looks at each row's
// result only (O(N) reads, O(N DV) for the soft-mean; no work per pair)
// and runs the reference's online log-sum-exp over the row's columns where
// it is not finite. NaN inputs give NaN again, as in the reference.
//
// Go equivalent, for i in [0, n) where dst's row i holds a NaN or an Inf:
//
//	l_j := logw_j + (g_j - |x_i - y_j|^2) / eps      (rowLSE's logits)
//	mx, s := -MaxFloat32, 0
//	for j := range m { v := l_j; if v <= mx { if !(v == mx == +Inf) { s += e^(v - mx) } } else { s = s e^(mx - v) + 1; mx = v } }
//	dst[i] = -eps (mx + log s)                                       (DV = 0)
//	dst[i*DV+t] = vscale sum_j w_j V[j*DV+t] / s  (w_j as in rowMean; vscale: SoftMeanY's c, else 1)
//
// Online normalizer: Milakov and Gimelshein (2018), "Online normalizer
// calculation for softmax", Algorithm 3, with the reference's rule for
// several +Inf logits (their weights tend to equal ones).
//
// On a software adapter (llvmpipe ends a shader's loops after 65,535
// iterations) the columns come in chunks [c0, c1), one dispatch each, and
// each row's running (flag, mx, s, acc[DV]) lives in a state buffer (flag
// 0: the row is finite, 1: being redone, 2: a NaN logit was seen)
// between them (compute/webgpu, exactRows); P.mode says which dispatch
// this is: 0 the only one (hardware: out is dst, everything in registers
// and dst), 1 the first chunk (out is the state, inp is dst, read for the
// check), 2 a later chunk (out is the state), 3 the finish (out is dst,
// inp the state; no columns).
//
// On a software adapter special_scan.wgsl marks the call first (flag[0]
// holds P.seq when an input is special) and every row of a marked
// call is computed again, whatever its result (P.seq = 0: results only).
//
// Bindings: 0 out (read_write), 1 inp, 2 X, 3 Y, 4 LW, 5 G, 6 V (DV > 0,
// else a dummy), 7 flag (1 word), 8 uniform Params. Only binding 0 may be written (the
// layout of gpu.Device.Kernel), hence the modes' swap of dst and state.
// Workgroup: 64 invocations, one row each; the grid folds into y.

struct Params {
  n: u32, m: u32, d: u32, dv: u32,
  c0: u32, c1: u32, mode: u32, pad0: u32,
  has_w: u32, has_g: u32, inv_eps: f32, eps: f32,
  gx: u32, seq: u32, vscale: f32, pad3: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> Y: array<f32>;
@group(0) @binding(4) var<storage, read> LW: array<f32>;
@group(0) @binding(5) var<storage, read> G: array<f32>;
@group(0) @binding(6) var<storage, read> V: array<f32>;
@group(0) @binding(7) var<storage, read> flag: array<f32>;
@group(0) @binding(8) var<uniform> P: Params;

//#include inc_exact.wgsl

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 64u;
  if (i >= P.n) { return; }
  let so = i * (P.dv + 3u); // the row's state: flag, mx, s, acc[DV]
  if (P.mode == 3u) {
    let flag = inp[so];
    if (flag == 0.0) { return; }
    finish_row(i, flag == 2.0, inp[so + 1u], inp[so + 2u], so + 3u, true);
    return;
  }
  var a = so + 3u; // where the row's accumulators live in out
  var mx = -MAXF;
  var s = 0.0;
  var nan = false;
  if (P.mode <= 1u) {
    var ok = P.seq == 0u || flag[0] != f32(P.seq);
    if (P.mode == 0u) {
      a = i * P.dv;
      if (P.dv == 0u) { ok = ok && finite(out[i]); }
      for (var t = 0u; t < P.dv; t++) { ok = ok && finite(out[a + t]); }
    } else {
      if (P.dv == 0u) { ok = ok && finite(inp[i]); }
      for (var t = 0u; t < P.dv; t++) { ok = ok && finite(inp[i * P.dv + t]); }
      out[so] = select(1.0, 0.0, ok);
    }
    if (ok) { return; }
    for (var t = 0u; t < P.dv; t++) { out[a + t] = 0.0; }
  } else {
    let flag = out[so];
    if (flag == 0.0) { return; }
    nan = flag == 2.0;
    mx = out[so + 1u];
    s = out[so + 2u];
  }
  for (var j = P.c0; j < P.c1; j++) {
    let v = logit(i, j);
    if (is_nan(v)) {
      nan = true;
    } else if (v <= mx) {
      var w = exp(v - mx);
      if (v == mx && pos_inf(v)) { w = 1.0; } // another +Inf column: an equal weight
      s += w;
      for (var t = 0u; t < P.dv; t++) { out[a + t] = fma(w, V[j * P.dv + t], out[a + t]); }
    } else {
      let r = exp(mx - v);
      s = fma(s, r, 1.0);
      for (var t = 0u; t < P.dv; t++) { out[a + t] = fma(out[a + t], r, V[j * P.dv + t]); }
      mx = v;
    }
  }
  if (P.mode != 0u) {
    out[so] = select(1.0, 2.0, nan);
    out[so + 1u] = mx;
    out[so + 2u] = s;
    return;
  }
  finish_row(i, nan, mx, s, a, false);
}

// finish_row writes row i of dst (out): the soft-min softmin_value, or the
// soft-mean acc / s from the accumulators at a (in inp, the state, when
// fromState; else in out), NaN where a logit was NaN or no column had
// weight (s = 0, the reference's 0 / 0).
fn finish_row(i: u32, nan: bool, mx: f32, s: f32, a: u32, fromState: bool) {
  if (P.dv == 0u) {
    out[i] = softmin_value(nan, mx, s);
    return;
  }
  let bad = nan || s == 0.0;
  for (var t = 0u; t < P.dv; t++) {
    var acc = 0.0;
    if (fromState) { acc = inp[a + t]; } else { acc = out[a + t]; }
    out[i * P.dv + t] = select(acc / s * P.vscale, from_bits(0x7fc00000u), bad);
  }
}
