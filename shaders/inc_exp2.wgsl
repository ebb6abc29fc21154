// inc_exp2.wgsl: 2^t on the FMA units, for kernels whose exps are bound by
// the special function unit (see shaders.SmallOptions.PolyEvery).
//
// t = n + f with n = round(t) (by the float32 magic-number trick:
// 1.5 * 2^23 + t rounds t into the low mantissa bits) and f in [-0.5, 0.5].
// The magic number comes twice from the uniform Params (P.rnd_a and
// P.rnd_b, both 1.5 * 2^23): with a literal, Mesa's NIR folds
// (u + C) - C to u, which leaves f = t - n = 0 (found on lavapipe).
// 2^f by a degree-5 polynomial fitted for relative error (Lawson's
// iteration on 2e5 points; 7.5e-8 in exact arithmetic, 2.4e-7 evaluated in
// float32, against 2^-22 = 2.4e-7 for one float32 rounding); 2^n added to
// the exponent field (integer adds only: no float-to-int conversion, which
// runs at the special function unit's rate on NVIDIA GPUs). t is clamped
// to [-126, 128]: about 2^-126 stands in for anything smaller (below
// float32's resolution next to the sum's largest term, which is >= 1 in
// every caller), and t >= 128 gives NaN where exp2 gives +Inf (both fail
// the Lazy form's check `s < LAZY_LIMIT`, which is what it relies on).
// The clamp turns a NaN t into -126 (max and min drop a NaN beside a
// number on lavapipe and NVIDIA): a NaN logit is then lost, and the row
// comes out finite, which exact_rows.wgsl does not redo (compute/webgpu's
// Special values).
// Muller et al., "Handbook of Floating-Point Arithmetic" (2018), sec. 10.2
// (range reduction) on the Cody-Waite split.
fn exp2_fma(t: f32) -> f32 {
  let u = clamp(t, -126.0, 128.0);
  let r = u + P.rnd_a;
  let f = u - (r - P.rnd_b);
  var p = fma(f, 0.0013276446, 0.0096755332);
  p = fma(p, f, 0.055507133);
  p = fma(p, f, 0.2402212);
  p = fma(p, f, 0.69314697);
  p = fma(p, f, 1.0000001);
  return bitcast<f32>(bitcast<u32>(p) + (bitcast<u32>(r) << 23u));
}
