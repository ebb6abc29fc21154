// inc_lse.wgsl: the soft-min's last step, outk (m + log2 s) with outk =
// -eps ln 2 < 0, its one end made explicit: a row with no weight (s = 0:
// every column's weight zero or every logit -Inf) is +Inf, as compute's
// reference loops (rowLSE) give. IEEE's log2(0) = -Inf gives that
// already, but WGSL leaves log2(0) undefined and Chromium's SwiftShader
// returns a finite value there, so such a row came back finite and wrong
// (conformance's "logw=-Inf everywhere" in the browser, where no input
// scan marks -Inf weights). One test a row, nothing a pair.
fn lse_out(outk: f32, m: f32, s: f32) -> f32 {
  if (s == 0.0) { return lse_bits(0x7f800000u); }
  return outk * (m + log2(s));
}

// lse_bits is bitcast<f32>(b) at run time: an infinity in a WGSL constant
// expression is an error.
fn lse_bits(b: u32) -> f32 {
  return bitcast<f32>(b);
}
