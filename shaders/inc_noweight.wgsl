// inc_noweight.wgsl: the end of a row's running (max, sum) in the high-d
// soft-min kernels (softmin_hd.wgsl, softmin_hd2.wgsl), whose padding
// columns have a logit of exactly NEG. The including kernel defines NEG.

// no_weight is a row's running sum s where its maximum m stayed NEG: 0
// (the padding columns, logit exactly NEG, each added 2^(NEG - NEG) = 1,
// and a real column of logit -Inf adds 0), but NaN where a NaN logit was
// added. Every tile is summed, with no test of its maximum: max drops a
// NaN beside a number (the padding's NEG included), so a tile whose
// maximum said "nothing here" could hold a NaN, and a NaN left out gives
// a finite, wrong row that exact_rows.wgsl, which redoes only the rows
// that are not finite, keeps. The test reads the bits (a compiler may
// fold comparisons with NaN).
fn no_weight(m: f32, s: f32) -> f32 {
  let nan = (bitcast<u32>(s) & 0x7fffffffu) > 0x7f800000u;
  return select(s, 0.0, m <= NEG && !nan);
}
