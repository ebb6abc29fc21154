// inc_cos2pi.wgsl: cos(2 pi u) from a polynomial, for rng.wgsl (Box-Muller)
// and map.wgsl (op 10, sin). WGSL bounds the builtin cos and sin only to an
// absolute 2^-11 on [-pi, pi] and not at all outside it (SwiftShader's were
// off by 7e-4 in the normals and 9.5e-5 in Map's cos); here u is folded to
// [0, 1/4] (cos is even and 1-periodic in u; cos(pi - a) = -cos(a)) and
// the Taylor series to theta^14 on [0, pi/2] has error < 7e-9.

// cos(2 pi u) for any finite u.
fn cos_2pi(u: f32) -> f32 {
  var r = abs(u - round(u));        // [0, 1/2]: cos is even and 1-periodic in u
  var sign = 1.0;
  if (r > 0.25) { r = 0.5 - r; sign = -1.0; } // cos(pi - a) = -cos(a)
  let t = 6.283185307179586 * r;    // [0, pi/2]
  let t2 = t * t;
  let c = 1.0 - t2 / 2.0 * (1.0 - t2 / 12.0 * (1.0 - t2 / 30.0 * (1.0 - t2 / 56.0 * (1.0 - t2 / 90.0 * (1.0 - t2 / 132.0 * (1.0 - t2 / 182.0))))));
  return sign * c;
}
