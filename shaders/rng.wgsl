// rng.wgsl: counter-based random numbers (compute.Backend.Uniform/Normal).
//
// Go equivalent (compute.UniformAt / compute.NormalAt), for i in [0, n):
//
//	b := Philox4x32((offset+i) as (lo, hi, 0, 0), seed as (lo, hi))
//	uniform: dst[i] = (b[0] >> 8) * 2^-24
//	normal:  u1 = ((b[0] >> 8) + 1) 2^-24, u2 = (b[1] >> 8) 2^-24,
//	         dst[i] = sqrt(-2 ln u1) cos(2 pi u2)          (Box and Muller 1958)
//
// WGSL only bounds cos to an absolute 2^-11 on [-pi, pi] and log to an
// absolute 2^-21 on [0.5, 2] (SwiftShader is that loose: the normals were
// off by 7e-4), and sqrt(-2 ln u1) magnifies log's error near u1 = 1. So
// both are computed here from polynomials: ln u = 2 atanh((u-1)/(u+1)) on
// [0.5, 1] (|z| <= 1/3, eight terms, error < 5e-9) and cos(2 pi u) folded to
// [0, pi/2] (Taylor to theta^14, error < 7e-9); the builtin log is used only
// for u1 < 0.5, where its 3-ulp relative bound is harmless.
//
// Bindings: 0 dst, 1 uniform. Workgroup: 256, one element each; grid folds into y.

struct Params { n: u32, normal: u32, off_lo: u32, off_hi: u32, seed_lo: u32, seed_hi: u32, gx: u32, p0: u32 }

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<uniform> P: Params;

//#include inc_philox.wgsl

// ln(u) for u in (0, 1].
fn ln_unit(u: f32) -> f32 {
  if (u < 0.5) { return log(u); }
  let z = (u - 1.0) / (u + 1.0);
  let z2 = z * z;
  let p = 1.0 + z2 * (1.0 / 3.0 + z2 * (1.0 / 5.0 + z2 * (1.0 / 7.0 + z2 * (1.0 / 9.0 + z2 * (1.0 / 11.0 + z2 * (1.0 / 13.0 + z2 * (1.0 / 15.0)))))));
  return 2.0 * z * p;
}

//#include inc_cos2pi.wgsl

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 256u;
  if (i >= P.n) { return; }
  let lo = P.off_lo + i;
  let carry = select(0u, 1u, lo < i);
  let b = philox(vec4u(lo, P.off_hi + carry, 0u, 0u), vec2u(P.seed_lo, P.seed_hi));
  let s = 1.0 / 16777216.0;
  if (P.normal == 0u) {
    dst[i] = f32(b.x >> 8u) * s;
  } else {
    let u1 = f32((b.x >> 8u) + 1u) * s;
    let u2 = f32(b.y >> 8u) * s;
    dst[i] = sqrt(-2.0 * ln_unit(u1)) * cos_2pi(u2);
  }
}
