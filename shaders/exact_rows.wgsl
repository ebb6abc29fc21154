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
  c0: u32, c1: u32, mode: u32, columns: u32,
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

// The column pass (P.columns = 1, mode 0 only): the workgroup's special
// columns in the tile, a bit each, and whether any column of the call can
// have weight (live).
var<workgroup> wg_mask: array<atomic<u32>, 2>;
var<workgroup> wg_any: u32;
var<workgroup> wg_live: u32;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = gid.x + gid.y * P.gx * 64u;
  if (P.columns != 0u && P.mode == 0u) {
    by_columns(i, li);
    return;
  }
  if (i >= P.n) { return; }
  full_row(i, false);
}

// neg_inf tests for -Inf by its bits.
fn neg_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0xff800000u;
}

// VBIG bounds the values |V| that the column pass sums on its own: M of
// them (M <= 2^20) stay far inside float32's range, as in the reference's
// sum before its first +Inf column (whose factor 0 would turn an overflow
// into NaN).
const VBIG: f32 = 1e30;

// UBIG bounds the bias bound u_j of an ordinary column: above it a
// column is special, so that a compiler fusing the logit's last multiply
// and add (and not u_j's, or the other way round) cannot round a logit
// past float32's range where u_j is not.
const UBIG: f32 = 1e37;

// values_bad says whether a value of column j is not finite or past VBIG:
// the reference's sum then turns on its order (0 x Inf is NaN), so the
// column is special and a row that meets it takes full_row.
fn values_bad(j: u32) -> bool {
  var bad = false;
  for (var t = 0u; t < P.dv; t++) { bad = bad || !(abs(V[j * P.dv + t]) <= VBIG); }
  return bad;
}

// by_columns is mode 0 with the column pass (exact.go, exactRows): the
// workgroup's 64 rows find which need a redo (result not finite, or the
// call marked); if any, its 64 invocations go through the columns 64 at a
// time, each classifying one column j by its bias bound
// u_j = g_j/eps + logw_j (the order of compute.pairLogits, with the cost
// left out: every logit of a finite row is at most u_j, float32 rounding
// being monotone) and its coordinates: special where u_j is NaN or +Inf or
// a coordinate of y_j or a value (values_bad) is not finite (or u_j past
// UBIG), live unless g_j or logw_j is -Inf. A finite row
// computes the logits of the special columns only: a NaN gives NaN (as the
// reference); a +Inf (the reference's maximum then +Inf, every finite
// logit a weight of 0) makes the soft-min -Inf and the soft-mean the mean
// of the +Inf columns' values, summed in the reference's order; -Inf adds
// nothing; no live column at all (every log-weight -Inf) gives the
// reference's s = 0 (+Inf, NaN). Every other row (a coordinate of its own
// not finite, live columns but no +Inf one, or values too large or not
// finite in a special column) runs
// the reference's full loop, full_row. Cost: O(M (d + 1)) loads a
// workgroup that needs it, shared by its 64 rows, against O(M (d + dv))
// a row for full_row.
fn by_columns(i: u32, li: u32) {
  var need = false;
  var own = false;
  if (i < P.n) {
    need = P.seq != 0u && flag[0] == f32(P.seq);
    if (P.dv == 0u) { need = need || !finite(out[i]); }
    for (var t = 0u; t < P.dv; t++) { need = need || !finite(out[i * P.dv + t]); }
    if (need) {
      for (var k = 0u; k < P.d; k++) { own = own || !finite(X[i * P.d + k]); }
    }
  }
  if (li == 0u) { wg_any = 0u; wg_live = 0u; }
  workgroupBarrier();
  if (need) { wg_any = 1u; }
  if (workgroupUniformLoad(&wg_any) == 0u) { return; }
  let a = i * P.dv;
  let short = need && !own;
  var nan = false;
  var full = false;
  var cnt = 0.0; // the +Inf columns' count: the reference's s
  for (var c0 = 0u; c0 < P.m; c0 += 64u) {
    if (li < 2u) { atomicStore(&wg_mask[li], 0u); }
    workgroupBarrier();
    let j = c0 + li;
    if (j < P.m) {
      var u = 0.0;
      var dead = false; // a -Inf potential or log-weight: every logit -Inf
      if (P.has_g != 0u) { u = G[j] * P.inv_eps; dead = neg_inf(G[j]); }
      if (P.has_w != 0u) { u += LW[j]; dead = dead || neg_inf(LW[j]); }
      var sp = is_nan(u) || pos_inf(u) || u > UBIG;
      for (var k = 0u; k < P.d; k++) { sp = sp || !finite(Y[j * P.d + k]); }
      sp = sp || values_bad(j);
      if (sp) { atomicOr(&wg_mask[li / 32u], 1u << (li % 32u)); }
      if (sp || !dead) { wg_live = 1u; }
    }
    workgroupBarrier();
    if (short && !full && !nan) {
      for (var w = 0u; w < 2u; w++) {
        var bits = atomicLoad(&wg_mask[w]);
        while (bits != 0u) {
          let jj = c0 + w * 32u + firstTrailingBit(bits);
          bits &= bits - 1u;
          let v = logit(i, jj);
          if (is_nan(v)) {
            nan = true;
          } else if (values_bad(jj)) {
            full = true;
          } else if (pos_inf(v)) {
            if (cnt == 0.0) {
              for (var t = 0u; t < P.dv; t++) { out[a + t] = V[jj * P.dv + t]; }
              cnt = 1.0;
            } else {
              cnt += 1.0;
              for (var t = 0u; t < P.dv; t++) { out[a + t] = fma(1.0, V[jj * P.dv + t], out[a + t]); }
            }
          }
          // A finite logit or -Inf: weight 0 beside a +Inf column; where
          // there is none, the row is live and so takes full_row.
        }
      }
    }
    workgroupBarrier();
  }
  let live = workgroupUniformLoad(&wg_live) != 0u;
  if (!need) { return; }
  if (short && nan) {
    finish_row(i, true, -MAXF, 0.0, a, false);
  } else if (short && !full && cnt > 0.0) {
    finish_row(i, false, from_bits(0x7f800000u), cnt, a, false);
  } else if (short && !full && !live) {
    finish_row(i, false, -MAXF, 0.0, a, false);
  } else {
    full_row(i, true);
  }
}

// full_row is the modes' row: the reference's loop over the columns
// [P.c0, P.c1) (see the file's comment); forced (by_columns) redoes the
// row without looking at its result, which the column pass may have
// overwritten with its accumulators.
fn full_row(i: u32, forced: bool) {
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
    var ok = !forced && (P.seq == 0u || flag[0] != f32(P.seq));
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
