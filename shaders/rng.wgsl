// rng.wgsl: counter-based random numbers (compute.Backend.Uniform/Normal).
//
// Go equivalent (compute.UniformAt / compute.NormalAt), for i in [0, n):
//
//	b := Philox4x32((offset+i) as (lo, hi, 0, 0), seed as (lo, hi))
//	uniform: dst[i] = (b[0] >> 8) * 2^-24
//	normal:  u1 = ((b[0] >> 8) + 1) 2^-24, u2 = (b[1] >> 8) 2^-24,
//	         dst[i] = sqrt(-2 ln u1) cos(2 pi u2)          (Box and Muller 1958)
//
// Bindings: 0 dst, 1 uniform. Workgroup: 256, one element each; grid folds into y.

struct Params { n: u32, normal: u32, off_lo: u32, off_hi: u32, seed_lo: u32, seed_hi: u32, gx: u32, p0: u32 }

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<uniform> P: Params;

//#include inc_philox.wgsl

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
    dst[i] = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
  }
}
