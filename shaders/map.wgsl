// map.wgsl: element-wise operations (compute.Backend.Map).
//
// Go equivalent (compute.MapScalar), for i in [0, n):
//
//	y := 0; if has_y { y = Y[(i / ydiv) % ymod] }     (ymod == 0: no wrap)
//	dst[i] = op(X[i], y; a, b, c)
//
// ops: 0 a*x+b*y+c, 1 a*x*y+c, 2 a*x/y+c, 3 exp(a*x+b*y+c), 4 log(...),
// 5 |...|, 6 sqrt(...), 7 max(a*x, b*y)+c, 8 min(a*x, b*y)+c, 9 step(a*x+b*y+c > 0),
// 10 sin(a*x+b*y+c) (cos: c + pi/2).
//
// In place (dst is X, or Y with no broadcast): x_dst / y_dst say so, the
// aliased input is bound as a dummy and read from dst instead, since
// WebGPU forbids binding one buffer both writable and read-only in a
// dispatch. Each invocation reads its own element before writing it.
//
// Bindings: 0 dst (n, read_write), 1 X (n), 2 Y (broadcast; a 1-word dummy
// when unused), 3 uniform Params. Workgroup: 256 invocations, one element each (a
// memory-bound kernel: large groups, no shared memory); the grid folds past
// 65,535 workgroups into y.

//#include inc_cos2pi.wgsl

// sin(s) = cos(2 pi (s / (2 pi) - 1/4)); float32 rounds s / (2 pi) to a
// relative 2^-24, an absolute error of about |s| 2^-24 in the angle.
fn sin_poly(s: f32) -> f32 {
  return cos_2pi(s * 0.15915494309189535 - 0.25);
}

struct Params { n: u32, op: u32, ydiv: u32, ymod: u32, a: f32, b: f32, c: f32, has_y: u32, gx: u32, x_dst: u32, y_dst: u32, p2: u32 }

@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Y: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x + gid.y * P.gx * 256u;
  if (i >= P.n) { return; }
  var x = 0.0;
  if (P.x_dst != 0u) { x = dst[i]; } else { x = X[i]; }
  var y = 0.0;
  if (P.y_dst != 0u) {
    y = dst[i];
  } else if (P.has_y != 0u) {
    var j = i / P.ydiv;
    if (P.ymod != 0u) { j = j % P.ymod; }
    y = Y[j];
  }
  let lin = P.a * x + P.b * y + P.c;
  var r = 0.0;
  switch P.op {
    case 0u: { r = lin; }
    case 1u: { r = P.a * x * y + P.c; }
    case 2u: { r = P.a * x / y + P.c; }
    case 3u: { r = exp(lin); }
    case 4u: { r = log(lin); }
    case 5u: { r = abs(lin); }
    case 6u: { r = sqrt(lin); }
    case 7u: { r = max(P.a * x, P.b * y) + P.c; }
    case 8u: { r = min(P.a * x, P.b * y) + P.c; }
    case 9u: { r = select(0.0, 1.0, lin > 0.0); }
    case 10u: { r = sin_poly(lin); }
    default: { r = 0.0; }
  }
  dst[i] = r;
}
