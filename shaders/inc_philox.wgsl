// inc_philox.wgsl: Philox4x32-10 (Salmon et al., SC 2011), the twin of
// compute.Philox4x32: the same 128 bits for the same counter and key.
// WGSL has no 32x32->64 multiply, so mulhilo splits into 16-bit halves.

fn mulhilo(a: u32, b: u32) -> vec2u {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2u(hi, a * b);
}

fn philox(ctr_in: vec4u, key_in: vec2u) -> vec4u {
  var c = ctr_in;
  var k = key_in;
  for (var r = 0u; r < 10u; r++) {
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4u(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2u(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}
